// 学生首页: one GET /student/home draws the first screen.
const { installWx, flush } = require('./helpers/wx')
const { mount, text, tap } = require('./helpers/page')
const { fixture } = require('./fixtures')

async function open(home) {
  const env = installWx({ routes: { 'GET /student/home': home } })
  const page = mount('pages/student/home/index')
  page.instance.onShow()
  await flush()
  return { ...env, page }
}

test('shows the profile, no destination yet, and the counts — from a single request', async () => {
  const { page, calls } = await open({ body: fixture('student_home') })
  expect(calls.map(c => `${c.method} ${c.path}`)).toEqual(['GET /student/home'])
  expect(text(page, '#profile')).toContain('欧彤欣')
  expect(text(page, '#profile')).toContain('华夏示范大学 · 计算机学院')
  expect(text(page, '#profile')).toContain('网络工程 · 本科 · 2026届')
  expect(text(page, '#no-destination')).toBe('尚未落实毕业去向')
  expect(text(page, '#open-count')).toMatch(/^2\s*待处理邀约$/)
  expect(text(page, '#unread-count')).toMatch(/^3\s*未读消息$/)
})

test('a signed destination shows its employer, agreement number and state', async () => {
  const { page, wx } = await open({ body: fixture('student_home_signed') })
  expect(text(page, '#destination')).toContain('湘江智造装备有限公司')
  expect(text(page, '#destination')).toContain('协议书编号 1202610532000017')
  expect(text(page, '#destination')).toContain('已签约')
  tap(page, '.home__destination')
  await flush()
  expect(wx.navigateTo).toHaveBeenCalledWith({ url: '/pages/student/invitation/detail?id=9' })
})

test('the counts open the open-invitation list and the inbox', async () => {
  const { page, wx } = await open({ body: fixture('student_home') })
  tap(page, '#open-count')
  tap(page, '#unread-count')
  await flush()
  expect(wx.navigateTo).toHaveBeenCalledWith({ url: '/pages/student/invitation/list?status=open' })
  expect(wx.navigateTo).toHaveBeenCalledWith({ url: '/pages/notifications/index' })
})

test('an error is shown with a retry that reloads', async () => {
  const unavailable = { error: { code: 'SERVICE_UNAVAILABLE', message: '服务暂时不可用，请稍后再试', fields: {} } }
  const { page, calls } = await open([{ status: 503, body: unavailable }, { body: fixture('student_home') }])
  expect(text(page, '#error')).toMatch(/^服务暂时不可用，请稍后再试/)
  page.querySelector('#error').querySelector('.error-banner__retry').dispatchEvent('tap')
  await flush()
  expect(calls).toHaveLength(2)
  expect(page.querySelector('#error').querySelector('.error-banner')).toBeUndefined()
  expect(text(page, '#profile')).toContain('欧彤欣')
})
