// Shared widgets: state-tag, empty-state, error-banner.
const { mount, text } = require('./helpers/page')

const toneOf = tag => tag.querySelector('.state-tag').dom.className

test.each([
  ['invited', '单位发起邀约', 'pending'],
  ['college_review', '学生已应约，等待学院审核', 'review'],
  ['effective', '已签约', 'success'],
  ['review_rejected', '签约失败（审核不通过）', 'failed'],
  ['voided', '已作废', 'closed'],
  ['awaiting_party', '待对方确认', 'pending'],
  ['something_new', '新状态', 'neutral'],
])('state-tag shows %s as its label in the %s colour', (state, label, tone) => {
  const tag = mount('components/state-tag/index', { state, label })
  expect(tag.dom.textContent).toBe(label)
  expect(toneOf(tag)).toContain(`state-tag--${tone}`)
})

test('state-tag follows a state change', () => {
  const tag = mount('components/state-tag/index', { state: 'invited', label: '单位发起邀约' })
  tag.setData({ state: 'effective', label: '已签约' })
  expect(toneOf(tag)).toContain('state-tag--success')
  expect(tag.dom.textContent).toBe('已签约')
})

test('empty-state shows its text, 暂无数据 by default', () => {
  expect(mount('components/empty-state/index').dom.textContent).toContain('暂无数据')
  expect(mount('components/empty-state/index', { text: '暂无邀约' }).dom.textContent).toContain('暂无邀约')
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
