// 线下签约 endpoints (API.md "Student": /student/paper-agreements…); one function per endpoint.
const { request, upload } = require('../utils/request')

const base = id => `/student/paper-agreements/${encodeURIComponent(id)}`

// My paper agreements, newest first, and whether I may enter a new one (can_create, blocker).
function listPaperAgreements() {
  return request({ path: '/student/paper-agreements' })
}

function getPaperAgreement(id) {
  return request({ path: base(id) })
}

// 暂不提交: content is {employer, terms, archive}, any subset of it.
function createPaperAgreement(content, opts = {}) {
  return request({ method: 'POST', path: '/student/paper-agreements', data: { content }, idempotencyKey: opts.idempotencyKey })
}

function updatePaperAgreement(id, content, opts = {}) {
  return request({ method: 'PUT', path: base(id), data: { content }, idempotencyKey: opts.idempotencyKey })
}

function discardPaperAgreement(id, opts = {}) {
  return request({ method: 'DELETE', path: base(id), idempotencyKey: opts.idempotencyKey })
}

// 预览协议书: the document's sections as text.
function previewPaperAgreement(id) {
  return request({ path: `${base(id)}/preview` })
}

// 保存并生成协议书, after the two confirmations.
function generatePaperAgreement(id, opts = {}) {
  return request({ method: 'POST', path: `${base(id)}/generate`, data: { confirm: true }, idempotencyKey: opts.idempotencyKey })
}

// 反馈签约材料: the stamped scan (a local file path from wx.chooseMedia).
function submitScan(id, filePath, opts = {}) {
  return upload({ path: `${base(id)}/feedback`, filePath, name: 'scan', idempotencyKey: opts.idempotencyKey })
}

// 解约申请: type, reason and the stamped proof.
function requestPaperTermination(id, { type, reason }, filePath, opts = {}) {
  return upload({ path: `${base(id)}/terminations`, filePath, name: 'proof', formData: { type, reason, acknowledge: 'true' }, idempotencyKey: opts.idempotencyKey })
}

module.exports = {
  listPaperAgreements, getPaperAgreement, createPaperAgreement, updatePaperAgreement, discardPaperAgreement,
  previewPaperAgreement, generatePaperAgreement, submitScan, requestPaperTermination,
}
