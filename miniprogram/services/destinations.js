// 其他去向 endpoints (API.md "Student"): the categories' forms and the student's registration.
const config = require('../config')
const { request, upload, errorFrom, ApiError } = require('../utils/request')
const { newKey } = require('../utils/idempotency')

const base = id => `/student/other-destinations/${encodeURIComponent(id)}`

function getCategories() {
  return request({ path: '/destination-categories' })
}

function listDestinations({ cursor, limit } = {}) {
  return request({ path: '/student/other-destinations', query: { cursor, limit } })
}

function getDestination(id) {
  return request({ path: base(id) })
}

// 暂存 (submit false) or 保存并送审 (submit true): a new registration, or an update of this one.
function saveDestination(id, registration, submit, opts = {}) {
  const data = { ...registration, submit: !!submit }
  if (id) return request({ method: 'PUT', path: base(id), data, idempotencyKey: opts.idempotencyKey })
  return request({ method: 'POST', path: '/student/other-destinations', data, idempotencyKey: opts.idempotencyKey })
}

function submitDestination(id, opts = {}) {
  return request({ method: 'POST', path: `${base(id)}/submit`, idempotencyKey: opts.idempotencyKey })
}

function withdrawDestination(id, opts = {}) {
  return request({ method: 'POST', path: `${base(id)}/withdraw`, idempotencyKey: opts.idempotencyKey })
}

// 上传证明材料: one JPEG/PNG (≤ 2 MB) picked with wx.chooseMedia.
function uploadEvidence(id, filePath, opts = {}) {
  return upload({ path: `${base(id)}/evidence`, filePath, name: 'file', idempotencyKey: opts.idempotencyKey })
}

function deleteEvidence(id, fileId) {
  return request({ method: 'DELETE', path: `${base(id)}/evidence/${encodeURIComponent(fileId)}` })
}

// 申请注销: the reason, and an optional proof image. The endpoint takes multipart/form-data;
// without an image the form is written here (wx.request has no multipart of its own).
function cancelDestination(id, reason, filePath, opts = {}) {
  const path = `${base(id)}/cancellations`
  if (filePath) return upload({ path, filePath, name: 'file', formData: { reason }, idempotencyKey: opts.idempotencyKey })
  const boundary = `wq${newKey().replace(/-/g, '')}`
  const body = `--${boundary}\r\nContent-Disposition: form-data; name="reason"\r\n\r\n${reason}\r\n--${boundary}--\r\n`
  const header = { 'Content-Type': `multipart/form-data; boundary=${boundary}`, Accept: 'application/json',
    'Idempotency-Key': opts.idempotencyKey || newKey() }
  const token = wx.getStorageSync(config.TOKEN_KEY)
  if (token) header.Authorization = `Bearer ${token}`
  return new Promise((resolve, reject) => {
    wx.request({
      url: config.apiBase() + path, method: 'POST', data: body, header, dataType: 'json',
      success(res) {
        if (res.statusCode >= 200 && res.statusCode < 300 && res.data && typeof res.data === 'object') return resolve(res.data)
        reject(errorFrom(res))
      },
      fail() { reject(new ApiError({ status: 0, code: 'NETWORK_ERROR', message: '网络连接失败，请检查网络后重试' })) },
    })
  })
}

module.exports = {
  getCategories, listDestinations, getDestination, saveDestination, submitDestination, withdrawDestination,
  uploadEvidence, deleteEvidence, cancelDestination,
}
