// Our own widgets: state-tag (a TDesign tag per state) and error-banner.
const { installWx } = require('./helpers/wx')
const { mount, text } = require('./helpers/page')

beforeEach(() => installWx())

const themeOf = tag => tag.querySelector('.state-tag').data.theme

test.each([
  ['invited', '单位发起邀约', 'primary'],
  ['college_review', '学生已应约，等待学院审核', 'warning'],
  ['effective', '已签约', 'success'],
  ['review_rejected', '签约失败（审核不通过）', 'danger'],
  ['voided', '已作废', 'default'],
  ['awaiting_party', '待对方确认', 'primary'],
  ['something_new', '新状态', 'default'],
])('state-tag shows %s as its label on a TDesign tag of the %s theme', (state, label, theme) => {
  const tag = mount('components/state-tag/index', { state, label })
  expect(text(tag, '.state-tag')).toBe(label)
  expect(themeOf(tag)).toBe(theme)
})

test('state-tag follows a state change', async () => {
  const tag = mount('components/state-tag/index', { state: 'invited', label: '单位发起邀约' })
  tag.setData({ state: 'effective', label: '已签约' })
  await new Promise(resolve => setTimeout(resolve, 0))
  expect(themeOf(tag)).toBe('success')
  expect(text(tag, '.state-tag')).toBe('已签约')
})

test('error-banner is hidden without a message and shows the message when given', () => {
  const banner = mount('components/error-banner/index')
  expect(banner.querySelector('.error-banner')).toBeUndefined()
  banner.setData({ message: '邀约已过期，无法应约' })
  expect(text(banner, '.error-banner')).toBe('邀约已过期，无法应约')
  expect(banner.querySelector('.error-banner__retry')).toBeUndefined()
})

test('error-banner 重试 fires a retry event', async () => {
  const banner = mount('components/error-banner/index', { message: '网络连接失败，请检查网络后重试', retryable: true })
  const retry = jest.fn()
  banner.addEventListener('retry', retry)
  banner.querySelector('.error-banner__retry').dispatchEvent('tap')
  await new Promise(resolve => setTimeout(resolve, 0))
  expect(retry).toHaveBeenCalledTimes(1)
})
