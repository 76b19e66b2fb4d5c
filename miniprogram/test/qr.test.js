// 扫码登录电脑端: the phone shows which desktop asks, then confirms or refuses it.
const { installWx, flush } = require('./helpers/wx')
const { mount, text, tap } = require('./helpers/page')
const { fixture } = require('./fixtures')

const TICKET = 'Q1w2E3r4T5y6U7i8O9p0Aa'
const SCAN = `POST /auth/qr/${TICKET}/scan`
const CONFIRM = `POST /auth/qr/${TICKET}/confirm`

async function open(routes, storage) {
  const env = installWx({ routes, storage })
  const page = mount('pages/qr/index')
  page.instance.onLoad({ ticket: TICKET })
  await flush()
  return { ...env, page }
}

test('shows the desktop (browser, IP, time) before anything is confirmed', async () => {
  const { page, calls } = await open({ [SCAN]: { body: fixture('qr_scanned') } })
  expect(calls).toHaveLength(1)
  expect(calls[0].header['Idempotency-Key']).toBeTruthy()
  const desktop = text(page, '#desktop')
  ;['欧彤欣', 'Chrome（Windows）', '222.240.1.8', '2026-06-05 10:20:00', '96 秒内确认'].forEach(t => expect(desktop).toContain(t))
  expect(text(page, '#ask')).toContain('电脑端请求登录')
})

test('确认登录 confirms, once, and says to go back to the desktop', async () => {
  const { page, calls } = await open({ [SCAN]: { body: fixture('qr_scanned') }, [CONFIRM]: { body: { state: 'confirmed' } } })
  tap(page, '#confirm-btn')
  page.instance.confirm() // a double tap
  await flush()
  const confirms = calls.filter(c => c.path.endsWith('/confirm'))
  expect(confirms).toHaveLength(1)
  expect(confirms[0].data).toEqual({ confirm: true })
  expect(text(page, '#done')).toContain('已确认登录')
})

test('取消登录 refuses the desktop', async () => {
  const { page, calls } = await open({ [SCAN]: { body: fixture('qr_scanned') }, [CONFIRM]: { body: { state: 'cancelled' } } })
  tap(page, '#cancel-btn')
  await flush()
  expect(calls.find(c => c.path.endsWith('/confirm')).data).toEqual({ confirm: false })
  expect(text(page, '#done')).toContain('已取消登录')
})

test('an expired code says so in Chinese', async () => {
  const expired = { error: { code: 'QR_EXPIRED', message: '二维码已过期，请在电脑上刷新二维码', fields: {} } }
  const { page, wx } = await open({ [SCAN]: { status: 404, body: expired } })
  expect(text(page, '#failed')).toContain('二维码已过期，请在电脑上刷新二维码')
  tap(page, '#home-btn')
  await flush()
  expect(wx.reLaunch).toHaveBeenCalledWith({ url: '/pages/student/home/index' })
})

test('a reviewer goes back to the reviewer home', async () => {
  const expired = { error: { code: 'QR_EXPIRED', message: '二维码已过期，请在电脑上刷新二维码', fields: {} } }
  const { page, wx } = await open({ [SCAN]: { status: 404, body: expired } }, { wq_token: 'tok-reviewer', wq_role: 'school_reviewer' })
  tap(page, '#home-btn')
  await flush()
  expect(wx.reLaunch).toHaveBeenCalledWith({ url: '/pages/reviewer/home/index' })
})
