// 登录与绑定: wx.login → wxa-login; an unbound student verifies identity, then SMS + email + address.
const config = require('../config')
const { installWx, flush } = require('./helpers/wx')
const { mount, text, tap, input } = require('./helpers/page')
const { fixture } = require('./fixtures')

async function open(routes, options = {}, storage = {}) {
  const env = installWx({ routes, storage })
  const page = mount('pages/login/index')
  page.instance.onLoad(options)
  await flush()
  return { ...env, page }
}

async function fill(page, values) {
  Object.keys(values).forEach(id => input(page, `#${id}`, values[id]))
  await flush()
}

// A t-input shows its field's error as its tips, in the error colour.
function fieldTip(page, field) {
  const node = page.querySelector(`#${field}`)
  const tip = node.querySelector('.t-input__tips')
  const shown = tip ? text(page, tip) : ''
  if (shown) expect(node.data.status).toBe('error')
  return shown
}

const IDENTITY = { school_code: '10532', student_no: '2022010001', name: '欧彤欣', id_number: '430102200409201401' }

test('a bound student goes straight to the home page with the token stored', async () => {
  const { wx, calls, store } = await open({ 'POST /auth/wxa-login': { body: fixture('auth_login_bound') } })
  expect(calls[0]).toMatchObject({ method: 'POST', path: '/auth/wxa-login', data: { code: 'wx-login-code' } })
  expect(calls[0].header.Authorization).toBeUndefined()
  expect(store[config.TOKEN_KEY]).toBe('tok-bound-0123456789abcdef0123456789')
  expect(store[config.ROLE_KEY]).toBe('student')
  expect(wx.reLaunch).toHaveBeenCalledWith({ url: '/pages/student/home/index' })
})

test('after a forced log-out the user returns to the page they were on', async () => {
  const redirect = encodeURIComponent('/pages/student/invitation/detail?id=12')
  const { wx } = await open({ 'POST /auth/wxa-login': { body: fixture('auth_login_bound') } }, { redirect })
  expect(wx.reLaunch).toHaveBeenCalledWith({ url: '/pages/student/invitation/detail?id=12' })
})

test('a saved session skips the log-in call', async () => {
  const { wx, calls } = await open({}, {}, { [config.TOKEN_KEY]: 'tok', [config.ROLE_KEY]: 'employer_user' })
  expect(calls).toHaveLength(0)
  expect(wx.reLaunch).toHaveBeenCalledWith({ url: '/pages/employer/home/index' })
})

test('an unbound user sees the identity form; empty fields are flagged without a request', async () => {
  const { page, calls } = await open({ 'POST /auth/wxa-login': { body: fixture('auth_login_unbound') } })
  expect(page.querySelector('#identity-form')).toBeDefined()
  tap(page, '#identity-submit')
  await flush()
  expect(calls).toHaveLength(1)
  ;['school_code', 'student_no', 'name', 'id_number'].forEach(f => expect(fieldTip(page, f)).toBe('必填'))
  input(page, '#name', '欧彤欣')
  await flush()
  expect(fieldTip(page, 'name')).toBe('')
})

test('the server\'s field errors appear next to their fields, its message in the banner', async () => {
  const { page, calls } = await open({
    'POST /auth/wxa-login': { body: fixture('auth_login_unbound') },
    'POST /auth/bind/student': { status: 400, body: fixture('error_binding_fields') },
  })
  await fill(page, IDENTITY)
  tap(page, '#identity-submit')
  await flush()
  expect(calls[1]).toMatchObject({ method: 'POST', path: '/auth/bind/student', data: IDENTITY })
  expect(calls[1].header.Authorization).toBe('Bearer tok-unbound-0123456789abcdef01234567')
  expect(fieldTip(page, 'student_no')).toBe('学号与姓名不匹配')
  expect(text(page, '#error')).toBe('提交的内容有误，请检查后重试')
})

test('identity → SMS code, email and address → bound and on the home page', async () => {
  const { page, calls, wx, store } = await open({
    'POST /auth/wxa-login': { body: fixture('auth_login_unbound') },
    'POST /auth/bind/student': { body: fixture('auth_bind_student') },
    'POST /auth/bind/student/confirm': { body: fixture('auth_bind_student_confirm') },
  })
  await fill(page, IDENTITY)
  tap(page, '#identity-submit')
  await flush()
  expect(text(page, '#phone-hint')).toBe('验证码已发送至学籍登记的手机 139****0265')
  tap(page, '#sms-submit')
  await flush()
  expect(fieldTip(page, 'sms_code')).toBe('必填')
  await fill(page, { sms_code: '123456', email: 'otx@example', address: '湖南省长沙市岳麓区麓山南路2号' })
  tap(page, '#sms-submit')
  await flush()
  expect(fieldTip(page, 'email')).toBe('邮箱格式不正确')
  await fill(page, { email: 'otx@example.com' })
  tap(page, '#sms-submit')
  await flush()
  const confirm = calls.find(c => c.path === '/auth/bind/student/confirm')
  expect(confirm.data).toEqual({ sms_code: '123456', email: 'otx@example.com', address: '湖南省长沙市岳麓区麓山南路2号' })
  expect(confirm.header['Idempotency-Key']).toBeTruthy()
  expect(store[config.TOKEN_KEY]).toBe('tok-bound-0123456789abcdef0123456789')
  expect(wx.reLaunch).toHaveBeenCalledWith({ url: '/pages/student/home/index' })
})

test('a failed WeChat log-in shows why, and 重试 tries again', async () => {
  const { page, calls } = await open({ 'POST /auth/wxa-login': [{ status: 429, body: { error: { code: 'RATE_LIMITED', message: '操作过于频繁，请稍后再试', fields: {} } } }, { body: fixture('auth_login_unbound') }] })
  expect(text(page, '#error')).toMatch(/^操作过于频繁，请稍后再试\s*重试$/)
  page.querySelector('#error').querySelector('.error-banner__retry').dispatchEvent('tap')
  await flush()
  expect(calls).toHaveLength(2)
  expect(page.querySelector('#identity-form')).toBeDefined()
})

test('an employer user can bind with username and password', async () => {
  const { page, calls, wx } = await open({
    'POST /auth/wxa-login': { body: fixture('auth_login_unbound') },
    'POST /auth/bind/employer': { body: { token: 'tok-employer-0123456789abcdef012345', bound: true, role: 'employer_user' } },
  })
  tap(page, '#to-employer')
  await flush()
  await fill(page, { username: 'hr1.xingchen', password: 'demo-pass-2026' })
  tap(page, '#employer-submit')
  await flush()
  expect(calls[1]).toMatchObject({ path: '/auth/bind/employer', data: { username: 'hr1.xingchen', password: 'demo-pass-2026' } })
  expect(wx.reLaunch).toHaveBeenCalledWith({ url: '/pages/employer/home/index' })
})

test('a desktop log-in code (scene) leads to its confirmation after logging in', async () => {
  const { wx } = await open({ 'POST /auth/wxa-login': { body: fixture('auth_login_bound') } }, { scene: 'Q1w2E3r4T5y6U7i8O9p0Aa' })
  expect(wx.reLaunch).toHaveBeenCalledWith({ url: '/pages/qr/index?ticket=Q1w2E3r4T5y6U7i8O9p0Aa' })
})

test('a reviewer binds with the desktop username and password and lands on the reviewer home', async () => {
  const { page, wx, store } = await open({
    'POST /auth/wxa-login': { body: fixture('auth_login_unbound') },
    'POST /auth/bind/employer': { body: { token: 'tok-reviewer-0123456789abcdef012345', bound: true, role: 'college_reviewer' } },
  })
  tap(page, '#to-employer')
  await flush()
  expect(text(page, '#employer-form')).toContain('审核老师')
  await fill(page, { username: 'xxy.zhang', password: 'demo-pass-2026' })
  tap(page, '#employer-submit')
  await flush()
  expect(store[config.ROLE_KEY]).toBe('college_reviewer')
  expect(wx.reLaunch).toHaveBeenCalledWith({ url: '/pages/reviewer/home/index' })
})

test('a school reviewer already bound goes straight to the reviewer home', async () => {
  const { wx } = await open({ 'POST /auth/wxa-login': { body: { ...fixture('auth_login_bound'), role: 'school_reviewer', profile: { account_id: 9, display_name: '李老师', school: '湖南大学' } } } })
  expect(wx.reLaunch).toHaveBeenCalledWith({ url: '/pages/reviewer/home/index' })
})
