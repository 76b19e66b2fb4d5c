// A fake `wx` for page tests: an in-memory storage and a scripted API server behind wx.request.
const config = require('../../config')

const API = 'http://127.0.0.1:5000/api/v1'

// routes: {"POST /student/invitations/12/accept": reply}, where a reply is
// {status, body}, {networkError: true}, a function(call) returning one, or a list (one per call).
function createServer(routes) {
  const calls = []
  function replyFor(call) {
    const key = `${call.method} ${call.path}`
    let reply = routes[key]
    if (Array.isArray(reply)) reply = reply.length > 1 ? reply.shift() : reply[0]
    if (typeof reply === 'function') reply = reply(call)
    return reply || { status: 404, body: { error: { code: 'NOT_FOUND', message: `测试未配置 ${key}`, fields: {} } } }
  }
  function handle(opts) {
    const [base, query = ''] = opts.url.split('?')
    const call = {
      method: opts.method || 'GET',
      path: base.slice(API.length),
      query: Object.fromEntries(new URLSearchParams(query)),
      data: opts.data,
      header: opts.header || {},
    }
    calls.push(call)
    const reply = replyFor(call)
    Promise.resolve().then(() => {
      if (reply.networkError) return opts.fail && opts.fail({ errMsg: 'request:fail timeout' })
      opts.success({ statusCode: reply.status || 200, data: reply.body, header: {} })
    })
    return { abort() {} }
  }
  // wx.uploadFile: the same routes; the reply body goes back as a string, as WeChat gives it.
  function handleUpload(opts) {
    const call = { method: 'POST', path: opts.url.slice(API.length), query: {}, data: opts.formData || {}, header: opts.header || {}, file: { name: opts.name, path: opts.filePath } }
    calls.push(call)
    const reply = replyFor(call)
    Promise.resolve().then(() => {
      if (reply.networkError) return opts.fail && opts.fail({ errMsg: 'uploadFile:fail timeout' })
      opts.success({ statusCode: reply.status || 200, data: JSON.stringify(reply.body) })
    })
    return { abort() {} }
  }
  // wx.downloadFile: the same routes; the reply body is saved to a temporary file (`files`),
  // error envelopes included, as WeChat does: the caller reads it back.
  const files = {}
  function handleDownload(opts) {
    const call = { method: 'GET', path: opts.url.slice(API.length), query: {}, header: opts.header || {}, download: true }
    calls.push(call)
    const reply = replyFor(call)
    Promise.resolve().then(() => {
      if (reply.networkError) return opts.fail && opts.fail({ errMsg: 'downloadFile:fail timeout' })
      const tempFilePath = `wxfile://tmp/${reply.file || `download-${calls.length}`}`
      files[tempFilePath] = typeof reply.body === 'string' ? reply.body : JSON.stringify(reply.body)
      opts.success({ statusCode: reply.status || 200, tempFilePath })
    })
    return { abort() {} }
  }
  return { calls, files, handle, handleUpload, handleDownload, route: (key, reply) => { routes[key] = reply } }
}

function installWx({ routes = {}, storage = { [config.TOKEN_KEY]: 'tok-student', [config.ROLE_KEY]: 'student' }, modalConfirm = true } = {}) {
  const store = { ...storage }
  const server = createServer(routes)
  const wx = {
    request: jest.fn(opts => server.handle(opts)),
    getStorageSync: jest.fn(key => (key in store ? store[key] : '')),
    setStorageSync: jest.fn((key, value) => { store[key] = value }),
    removeStorageSync: jest.fn(key => { delete store[key] }),
    showToast: jest.fn(),
    showModal: jest.fn(opts => opts.success && opts.success({ confirm: modalConfirm, cancel: !modalConfirm })),
    // What the subscribe dialog answers: every template accepted unless a test says otherwise.
    requestSubscribeMessage: jest.fn(opts => {
      const res = { errMsg: 'requestSubscribeMessage:ok' }
      opts.tmplIds.forEach(id => { res[id] = 'accept' })
      opts.success && opts.success(res)
    }),
    scanCode: jest.fn(opts => opts.fail && opts.fail({ errMsg: 'scanCode:fail cancel' })),
    chooseMedia: jest.fn(opts => opts.fail && opts.fail({ errMsg: 'chooseMedia:fail cancel' })),
    uploadFile: jest.fn(opts => server.handleUpload(opts)),
    downloadFile: jest.fn(opts => server.handleDownload(opts)),
    getFileSystemManager: () => ({
      readFileSync: (filePath, encoding) => {
        if (!(filePath in server.files)) throw new Error(`readFileSync:fail no such file ${filePath}`)
        return encoding ? server.files[filePath] : Buffer.from(server.files[filePath])
      },
    }),
    // WeChat's viewers: what they were asked to show is in their mock's calls.
    openDocument: jest.fn(opts => { Promise.resolve().then(() => opts.success && opts.success({ errMsg: 'openDocument:ok' })) }),
    previewImage: jest.fn(opts => { Promise.resolve().then(() => opts.success && opts.success({ errMsg: 'previewImage:ok' })) }),
    pageScrollTo: jest.fn(),
    getMenuButtonBoundingClientRect: () => ({ top: 48, bottom: 80, left: 281, right: 368, width: 87, height: 32 }),
    navigateTo: jest.fn(),
    redirectTo: jest.fn(),
    navigateBack: jest.fn(),
    reLaunch: jest.fn(opts => opts.complete && opts.complete()),
    stopPullDownRefresh: jest.fn(),
    login: jest.fn(opts => opts.success({ code: 'wx-login-code' })),
    getAccountInfoSync: () => ({ miniProgram: { envVersion: 'develop' } }),
    getWindowInfo: () => ({ screenWidth: 375, screenHeight: 812, windowWidth: 375, windowHeight: 812, pixelRatio: 2, statusBarHeight: 44 }),
    getAppBaseInfo: () => ({ SDKVersion: '3.7.0', language: 'zh_CN', theme: 'light' }),
    getDeviceInfo: () => ({ platform: 'devtools', system: 'iOS 17.0', brand: 'devtools', model: 'iPhone 15' }),
    nextTick: fn => Promise.resolve().then(fn),
    createAnimation: () => {
      const animation = { export: () => [] }
      ;['translateX', 'translateY', 'opacity', 'step', 'scale', 'rotate'].forEach(m => { animation[m] = () => animation })
      return animation
    },
  }
  global.wx = wx
  return { wx, store, server, calls: server.calls }
}

// Let every pending promise and simulated event settle.
async function flush() {
  for (let i = 0; i < 5; i++) await new Promise(resolve => setTimeout(resolve, 0))
}

module.exports = { API, installWx, flush }
