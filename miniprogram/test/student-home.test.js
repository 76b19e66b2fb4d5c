// 学生首页: one GET /student/home draws the first screen.
const { installWx, flush } = require('./helpers/wx')
const { mount, text, tap, answerDialog } = require('./helpers/page')
const { fixture } = require('./fixtures')

async function open(home, routes = {}) {
  const env = installWx({ routes: { 'GET /student/home': home, ...routes } })
  const page = mount('pages/student/home/index')
  page.instance.onShow()
  await flush()
  return { ...env, page }
}

test('shows the profile, no destination yet, and the counts — from a single request of the API', async () => {
  const { page, calls } = await open({ body: fixture('student_home') })
  expect(calls.filter(c => !c.path.startsWith('/subscriptions')).map(c => `${c.method} ${c.path}`)).toEqual(['GET /student/home'])
  expect(text(page, '#profile')).toContain('欧彤欣')
  expect(text(page, '#profile')).toContain('华夏示范大学 · 计算机学院')
  expect(text(page, '#profile')).toContain('网络工程 · 本科 · 2026届')
  expect(text(page, '#no-destination')).toContain('尚未落实毕业去向')
  expect(text(page, '#open-count')).toMatch(/待处理邀约\s*2/)
  expect(text(page, '#unread-count')).toMatch(/未读消息\s*3/)
})

test('a signed destination shows its employer, agreement number, state and since when (就业状态)', async () => {
  const { page, wx } = await open({ body: fixture('student_home_signed') })
  expect(text(page, '#destination')).toContain('湘江智造装备有限公司')
  expect(text(page, '#destination')).toContain('协议书编号 1202610532000017')
  expect(text(page, '#destination')).toContain('已签约')
  expect(text(page, '#destination-status')).toMatch(/去向类别\s*网上签约 · 2026\/06\/03 起/)
  tap(page, '#destination-cell')
  await flush()
  expect(wx.navigateTo).toHaveBeenCalledWith({ url: '/pages/student/invitation/detail?id=9' })
})

test('a paper agreement held as the destination shows its kind and opens 纸质签约', async () => {
  const home = fixture('student_home')
  home.destination_status = { kind: 'paper', kind_label: '线下签约', since: '2026-06-10T09:05:00+08:00' }
  const { page, wx } = await open({ body: home })
  expect(page.querySelector('#no-destination')).toBeUndefined()
  expect(text(page, '#destination-other')).toMatch(/线下签约\s*2026\/06\/10 起/)
  tap(page, '#destination-other')
  await flush()
  expect(wx.navigateTo).toHaveBeenCalledWith({ url: '/pages/student/paper/list' })
  tap(page, '#paper-agreements')
  await flush()
  expect(wx.navigateTo).toHaveBeenCalledTimes(2)
})

test('the counts and links open the invitation lists, the terminations and the inbox', async () => {
  const { page, wx } = await open({ body: fixture('student_home') })
  tap(page, '#open-count')
  tap(page, '#unread-count')
  tap(page, '#my-terminations')
  tap(page, '#all-invitations')
  await flush()
  expect(wx.navigateTo.mock.calls.map(c => c[0].url)).toEqual([
    '/pages/student/invitation/list?status=open', '/pages/notifications/index',
    '/pages/student/termination/list', '/pages/student/invitation/list?status=all'])
})

test('an employer\'s termination request waiting for the student opens its page', async () => {
  const home = fixture('student_home_signed')
  const { page, wx } = await open({ body: home })
  expect(text(page, '#terminations')).toContain('岗位调整，经双方协商一致解除协议')
  tap(page, page.querySelector('.waiting-termination'))
  await flush()
  expect(wx.navigateTo).toHaveBeenCalledWith({ url: '/pages/student/termination/detail?id=4' })
})

test('接收签约消息提醒 asks for the letter templates and records the choice', async () => {
  const templates = { moment: 'student_letters', template_ids: ['SUB_INVITATION_RECEIVED', 'SUB_INVITATION_MODIFIED', 'SUB_INVITATION_EXPIRING'], events: [] }
  const { page, calls, wx } = await open({ body: fixture('student_home') }, {
    'GET /subscriptions/templates': { body: templates },
    'POST /subscriptions': { body: { granted: [] } },
  })
  tap(page, '#subscribe')
  await flush()
  expect(wx.requestSubscribeMessage.mock.calls[0][0].tmplIds).toEqual(templates.template_ids)
  expect(calls.find(c => c.path === '/subscriptions').data.moment).toBe('student_letters')
  expect(text(page, '#t-toast')).toBe('已开启消息提醒')
})

test('解除微信绑定 asks first, then unbinds and goes back to the log-in page', async () => {
  const { page, calls, wx } = await open({ body: fixture('student_home') }, { 'POST /auth/unbind': { body: { ok: true } } })
  tap(page, '#unbind')
  await flush()
  expect(text(page, '#t-dialog')).toContain('解除后本微信将不能再登录该账号')
  answerDialog(page, true)
  await flush()
  expect(calls.find(c => c.path === '/auth/unbind').method).toBe('POST')
  expect(wx.removeStorageSync).toHaveBeenCalledWith('wq_token')
  expect(wx.reLaunch).toHaveBeenCalledWith({ url: '/pages/login/index' })
})

test('扫码登录电脑端 reads the desktop\'s code and opens the confirmation', async () => {
  const { page, wx } = await open({ body: fixture('student_home') })
  wx.scanCode.mockImplementationOnce(o => o.success({ result: 'https://wq.example.edu.cn/wechat/qr/Q1w2E3r4T5y6U7i8O9p0Aa', scanType: 'QR_CODE' }))
  tap(page, '#scan')
  await flush()
  expect(wx.navigateTo).toHaveBeenCalledWith({ url: '/pages/qr/index?ticket=Q1w2E3r4T5y6U7i8O9p0Aa' })
  wx.scanCode.mockImplementationOnce(o => o.success({ result: 'https://example.com/other', scanType: 'QR_CODE' }))
  tap(page, '#scan')
  await flush()
  expect(text(page, '#t-toast')).toBe('这不是网签电脑端的登录二维码')
})

test('an error is shown with a retry that reloads', async () => {
  const unavailable = { error: { code: 'SERVICE_UNAVAILABLE', message: '服务暂时不可用，请稍后再试', fields: {} } }
  const { page, calls } = await open([{ status: 503, body: unavailable }, { body: fixture('student_home') }])
  expect(text(page, '#error')).toMatch(/^服务暂时不可用，请稍后再试/)
  page.querySelector('#error').querySelector('.error-banner__retry').dispatchEvent('tap')
  await flush()
  expect(calls.filter(c => c.path === '/student/home')).toHaveLength(2)
  expect(page.querySelector('#error').querySelector('.error-banner')).toBeUndefined()
  expect(text(page, '#profile')).toContain('欧彤欣')
})
