// utils/request.js: statusCode decides, errors come from the envelope, 401 logs out.
const config = require('../config')
const { installWx, flush, API } = require('./helpers/wx')
const { fixture } = require('./fixtures')

let request, ApiError
beforeEach(() => {
  jest.isolateModules(() => ({ request, ApiError } = require('../utils/request')))
})

test('a 2xx resolves with the JSON body, sent with the Bearer token and JSON headers', async () => {
  const { calls, wx } = installWx({ routes: { 'GET /student/home': { status: 200, body: fixture('student_home') } } })
  await expect(request({ path: '/student/home' })).resolves.toEqual(fixture('student_home'))
  expect(wx.request.mock.calls[0][0].url).toBe(`${API}/student/home`)
  expect(calls[0].header).toMatchObject({ Authorization: 'Bearer tok-student', 'Content-Type': 'application/json' })
  expect(calls[0].header['Idempotency-Key']).toBeUndefined()
})

test('query parameters are encoded and empty ones left out', async () => {
  const { calls } = installWx({ routes: { 'GET /student/invitations': { body: fixture('student_invitations_empty') } } })
  await request({ path: '/student/invitations', query: { status: 'open', cursor: null, limit: undefined, q: '张 三' } })
  expect(calls[0].query).toEqual({ status: 'open', q: '张 三' })
})

test('writes carry an Idempotency-Key: the caller\'s when given, a fresh one otherwise', async () => {
  const { calls } = installWx({ routes: { 'POST /notifications/read': { body: fixture('read_result') } } })
  await request({ method: 'POST', path: '/notifications/read', data: {}, idempotencyKey: 'key-for-this-tap' })
  await request({ method: 'POST', path: '/notifications/read', data: {} })
  await request({ method: 'POST', path: '/notifications/read', data: {} })
  expect(calls[0].header['Idempotency-Key']).toBe('key-for-this-tap')
  expect(calls[1].header['Idempotency-Key']).toMatch(/^.{8,100}$/)
  expect(calls[2].header['Idempotency-Key']).not.toBe(calls[1].header['Idempotency-Key'])
})

test('a 4xx rejects with an ApiError built from the error envelope', async () => {
  installWx({ routes: { 'POST /student/invitations/12/reject': { status: 400, body: fixture('error_validation') } } })
  const err = await request({ method: 'POST', path: '/student/invitations/12/reject', data: {} }).catch(e => e)
  expect(err).toBeInstanceOf(ApiError)
  expect(err).toMatchObject({ status: 400, code: 'VALIDATION_FAILED', message: '提交的内容有误，请检查后重试', fields: { reason: '内容过长' } })
})

test('a 409 keeps the API\'s Chinese message', async () => {
  installWx({ routes: { 'POST /student/invitations/12/accept': { status: 409, body: fixture('error_already_signed') } } })
  const err = await request({ method: 'POST', path: '/student/invitations/12/accept', data: {} }).catch(e => e)
  expect(err).toMatchObject({ status: 409, code: 'ALREADY_SIGNED', message: '你已有有效的毕业去向，不能再与其他单位签约' })
})

test('an error without the envelope (a proxy\'s HTML page) gets a Chinese message', async () => {
  installWx({ routes: { 'GET /student/home': { status: 502, body: '<html>Bad Gateway</html>' } } })
  const err = await request({ path: '/student/home' }).catch(e => e)
  expect(err).toMatchObject({ status: 502, code: 'HTTP_502', message: '系统繁忙，请稍后再试' })
})

test('a 2xx that is not JSON is an error, not data', async () => {
  installWx({ routes: { 'GET /student/home': { status: 200, body: 'OK' } } })
  await expect(request({ path: '/student/home' })).rejects.toMatchObject({ code: 'BAD_RESPONSE', message: '服务器返回的数据有误，请稍后再试' })
})

test('a network failure rejects with status 0 and a Chinese message', async () => {
  installWx({ routes: { 'GET /student/home': { networkError: true } } })
  await expect(request({ path: '/student/home' })).rejects.toMatchObject({ status: 0, code: 'NETWORK_ERROR', message: '网络连接失败，请检查网络后重试' })
})

test('a 401 clears the token and sends the user to log in, back to this page afterwards', async () => {
  const { wx, store } = installWx({ routes: { 'GET /student/invitations/12': { status: 401, body: fixture('error_auth_required') } } })
  global.getCurrentPages = () => [{ route: 'pages/student/invitation/detail', options: { id: '12' } }]
  const err = await request({ path: '/student/invitations/12' }).catch(e => e)
  global.getCurrentPages = () => []
  expect(err).toMatchObject({ status: 401, code: 'AUTH_REQUIRED', message: '登录已失效，请重新登录' })
  expect(store[config.TOKEN_KEY]).toBeUndefined()
  expect(store[config.ROLE_KEY]).toBeUndefined()
  expect(wx.reLaunch).toHaveBeenCalledWith(expect.objectContaining({
    url: `/pages/login/index?redirect=${encodeURIComponent('/pages/student/invitation/detail?id=12')}`,
  }))
})

test('a 401 on an unauthenticated call (the log-in itself) does not redirect', async () => {
  const { wx } = installWx({ routes: { 'POST /auth/wxa-login': { status: 401, body: fixture('error_auth_required') } } })
  await expect(request({ method: 'POST', path: '/auth/wxa-login', data: { code: 'x' }, auth: false })).rejects.toMatchObject({ status: 401 })
  expect(wx.reLaunch).not.toHaveBeenCalled()
  expect(wx.request.mock.calls[0][0].header.Authorization).toBeUndefined()
})

test('several 401s at once relaunch the login page only once', async () => {
  const { wx } = installWx({ routes: { 'GET /student/home': { status: 401, body: fixture('error_auth_required') } } })
  wx.reLaunch.mockImplementation(() => {}) // still navigating
  await Promise.all([request({ path: '/student/home' }).catch(() => {}), request({ path: '/student/home' }).catch(() => {})])
  await flush()
  expect(wx.reLaunch).toHaveBeenCalledTimes(1)
})

describe('download (wx.downloadFile)', () => {
  let download
  beforeEach(() => {
    jest.isolateModules(() => ({ download } = require('../utils/request')))
  })

  test('a 2xx resolves with the temporary file, fetched with the Bearer token', async () => {
    const { calls, wx, server } = installWx({ routes: { 'GET /agreements/12/document': { body: '%PDF-1.4' } } })
    const filePath = await download({ path: '/agreements/12/document' })
    expect(wx.downloadFile.mock.calls[0][0].url).toBe(`${API}/agreements/12/document`)
    expect(calls[0].header).toEqual({ Authorization: 'Bearer tok-student' })
    expect(server.files[filePath]).toBe('%PDF-1.4')
  })

  test('an error envelope saved to the file gives its code and message; an unreadable one the fallback', async () => {
    installWx({ routes: {
      'GET /agreements/12/document': { status: 409, body: fixture('error_document_rendering') },
      'GET /agreements/13/document': { status: 500, body: 'Internal Server Error' },
    } })
    await expect(download({ path: '/agreements/12/document' })).rejects.toMatchObject({ status: 409, code: 'DOCUMENT_RENDERING', message: '协议书状态已变化，文件正在更新，请稍后再试' })
    await expect(download({ path: '/agreements/13/document' })).rejects.toMatchObject({ status: 500, code: 'HTTP_500', message: '系统繁忙，请稍后再试' })
  })

  test('a 2xx without a file is an error, not a success', async () => {
    const { wx } = installWx()
    wx.downloadFile.mockImplementation(opts => opts.success({ statusCode: 200 }))
    await expect(download({ path: '/agreements/12/document' })).rejects.toMatchObject({ code: 'BAD_RESPONSE', message: '文件下载失败，请稍后再试' })
  })

  test('a 401 logs out and reopens the log-in page', async () => {
    const { wx, store } = installWx({ routes: { 'GET /agreements/12/document.png': { status: 401, body: fixture('error_auth_required') } } })
    await expect(download({ path: '/agreements/12/document.png' })).rejects.toMatchObject({ status: 401, message: '登录已失效，请重新登录' })
    expect(store[config.TOKEN_KEY]).toBeUndefined()
    expect(wx.reLaunch).toHaveBeenCalledWith(expect.objectContaining({ url: '/pages/login/index' }))
  })
})
