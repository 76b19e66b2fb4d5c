// The one wx.request wrapper: base URL, Bearer token, JSON, Idempotency-Key, error envelope.
// wx.request calls `success` for every HTTP status, so the status code decides, never res.data.code.
const config = require('../config')
const { newKey } = require('./idempotency')

const FALLBACK = {
  0: '网络连接失败，请检查网络后重试',
  400: '提交的内容有误，请检查后重试',
  401: '登录已失效，请重新登录',
  403: '无权进行此操作',
  404: '内容不存在或已被删除',
  409: '当前状态已变化，请刷新后重试',
  413: '上传内容过大',
  415: '不支持的文件类型',
  422: '请求无法处理，请刷新后重试',
  429: '操作过于频繁，请稍后再试',
  500: '系统繁忙，请稍后再试',
}

class ApiError extends Error {
  constructor({ status, code, message, fields }) {
    super(message)
    this.name = 'ApiError'
    this.status = status
    this.code = code
    this.fields = fields || {}
  }
}

function fallbackMessage(status) {
  return FALLBACK[status] || (status >= 500 ? FALLBACK[500] : `请求失败（${status}）`)
}

// Build an ApiError from a non-2xx response; bodies without our envelope get a Chinese fallback.
function errorFrom(res) {
  const status = res.statusCode
  const body = res.data && typeof res.data === 'object' ? res.data.error : null
  if (body && typeof body.code === 'string' && typeof body.message === 'string') {
    return new ApiError({ status, code: body.code, message: body.message, fields: body.fields })
  }
  return new ApiError({ status, code: `HTTP_${status}`, message: fallbackMessage(status) })
}

function queryString(query) {
  const parts = Object.keys(query || {})
    .filter(k => query[k] !== undefined && query[k] !== null && query[k] !== '')
    .map(k => `${encodeURIComponent(k)}=${encodeURIComponent(query[k])}`)
  return parts.length ? `?${parts.join('&')}` : ''
}

let redirecting = false

// The token is gone or expired (401), or it belongs to no account yet: back to the login page,
// remembering where the user was so a pushed message still opens its page after logging in.
function toLogin(clearToken) {
  if (clearToken) {
    wx.removeStorageSync(config.TOKEN_KEY)
    wx.removeStorageSync(config.ROLE_KEY)
  }
  const pages = typeof getCurrentPages === 'function' ? getCurrentPages() : []
  const here = pages.length ? pages[pages.length - 1] : null
  if (redirecting || (here && `/${here.route}` === config.LOGIN_PAGE)) return
  redirecting = true
  let url = config.LOGIN_PAGE
  if (here && here.route) {
    const query = queryString(here.options)
    url += `?redirect=${encodeURIComponent(`/${here.route}${query}`)}`
  }
  wx.reLaunch({ url, complete: () => { redirecting = false } })
}

/**
 * request({method, path, query, data, idempotencyKey, auth}) → Promise of the JSON body.
 * POST/PUT carry an Idempotency-Key: pass the action's key so a retry reuses it.
 */
function request({ method = 'GET', path, query, data, idempotencyKey, auth = true }) {
  const header = { 'Content-Type': 'application/json', Accept: 'application/json' }
  const token = auth ? wx.getStorageSync(config.TOKEN_KEY) : ''
  if (token) header.Authorization = `Bearer ${token}`
  if (method === 'POST' || method === 'PUT') header['Idempotency-Key'] = idempotencyKey || newKey()

  return new Promise((resolve, reject) => {
    wx.request({
      url: config.apiBase() + path + queryString(query),
      method,
      data,
      header,
      dataType: 'json',
      success(res) {
        const ok = res.statusCode >= 200 && res.statusCode < 300
        if (ok && res.data && typeof res.data === 'object') return resolve(res.data)
        if (ok) {
          return reject(new ApiError({ status: res.statusCode, code: 'BAD_RESPONSE', message: '服务器返回的数据有误，请稍后再试' }))
        }
        const err = errorFrom(res)
        if (err.status === 401 && auth) toLogin(true)
        else if (err.code === 'BINDING_REQUIRED') toLogin(false)
        reject(err)
      },
      fail() {
        reject(new ApiError({ status: 0, code: 'NETWORK_ERROR', message: FALLBACK[0] }))
      },
    })
  })
}

/**
 * upload({path, filePath, name, formData}) → Promise of the JSON body: one file as
 * multipart/form-data (wx.uploadFile; its response body is a string to parse).
 */
function upload({ path, filePath, name, formData, idempotencyKey }) {
  const header = { Accept: 'application/json', 'Idempotency-Key': idempotencyKey || newKey() }
  const token = wx.getStorageSync(config.TOKEN_KEY)
  if (token) header.Authorization = `Bearer ${token}`
  return new Promise((resolve, reject) => {
    wx.uploadFile({
      url: config.apiBase() + path,
      filePath,
      name,
      formData: formData || {},
      header,
      success(res) {
        let data = null
        try { data = JSON.parse(res.data) } catch (e) { data = null }
        const ok = res.statusCode >= 200 && res.statusCode < 300
        if (ok && data && typeof data === 'object') return resolve(data)
        if (ok) return reject(new ApiError({ status: res.statusCode, code: 'BAD_RESPONSE', message: '服务器返回的数据有误，请稍后再试' }))
        const err = errorFrom({ statusCode: res.statusCode, data })
        if (err.status === 401) toLogin(true)
        reject(err)
      },
      fail() {
        reject(new ApiError({ status: 0, code: 'NETWORK_ERROR', message: FALLBACK[0] }))
      },
    })
  })
}

// A failed download's body (our JSON error envelope) is saved to the temporary file instead of
// being parsed: read it back for the API's message, or fall back to the status's message.
function errorBodyOf(tempFilePath) {
  try {
    return JSON.parse(wx.getFileSystemManager().readFileSync(tempFilePath, 'utf8'))
  } catch (e) {
    return null
  }
}

/**
 * download({path}) → Promise of the downloaded file's temporary path (wx.downloadFile, with the
 * Bearer token; `success` comes for every HTTP status, as with wx.request). `path` is under the
 * API base or, as the API writes it in a response (an evidence url), an absolute "/api/v1/…" path.
 */
function download({ path, query }) {
  const base = config.apiBase()
  const url = (path.startsWith('/api/') ? base.replace(/\/api\/v\d+$/, '') + path : base + path) + queryString(query)
  const header = {}
  const token = wx.getStorageSync(config.TOKEN_KEY)
  if (token) header.Authorization = `Bearer ${token}`
  return new Promise((resolve, reject) => {
    wx.downloadFile({
      url,
      header,
      success(res) {
        const ok = res.statusCode >= 200 && res.statusCode < 300
        if (ok && res.tempFilePath) return resolve(res.tempFilePath)
        if (ok) return reject(new ApiError({ status: res.statusCode, code: 'BAD_RESPONSE', message: '文件下载失败，请稍后再试' }))
        const err = errorFrom({ statusCode: res.statusCode, data: res.tempFilePath ? errorBodyOf(res.tempFilePath) : null })
        if (err.status === 401) toLogin(true)
        else if (err.code === 'BINDING_REQUIRED') toLogin(false)
        reject(err)
      },
      fail() {
        reject(new ApiError({ status: 0, code: 'NETWORK_ERROR', message: FALLBACK[0] }))
      },
    })
  })
}

module.exports = { request, upload, download, ApiError, errorFrom }
