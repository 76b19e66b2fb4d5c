// Reviewer endpoints (API.md "Review"): the college and school reviewers' phone screens.
// One function per endpoint; batch, interventions and statistics stay on the desktop pages.
const { request, download } = require('../utils/request')

const id$ = id => encodeURIComponent(id)

// What waits for me and how much of it is past the school's service level.
function getHome() {
  return request({ path: '/review/home' })
}

// status: waiting (default) | all | a state; overdue: only items past the service level.
function queryOf({ status, overdue, q, cursor, limit } = {}) {
  return { status, overdue: overdue ? 'true' : undefined, q, cursor, limit }
}

function listSignings(filters) {
  return request({ path: '/review/signings', query: queryOf(filters) })
}

function listTerminations(filters) {
  return request({ path: '/review/terminations', query: queryOf(filters) })
}

function getSigning(invitationId) {
  return request({ path: `/review/signings/${id$(invitationId)}` })
}

// remark optional (shown in the flow log).
function approveSigning(invitationId, remark, opts = {}) {
  return request({ method: 'POST', path: `/review/signings/${id$(invitationId)}/approve`, data: remark ? { remark } : {}, idempotencyKey: opts.idempotencyKey })
}

function rejectSigning(invitationId, reason, opts = {}) {
  return request({ method: 'POST', path: `/review/signings/${id$(invitationId)}/reject`, data: { reason }, idempotencyKey: opts.idempotencyKey })
}

function getTermination(terminationId) {
  return request({ path: `/review/terminations/${id$(terminationId)}` })
}

function approveTermination(terminationId, remark, opts = {}) {
  return request({ method: 'POST', path: `/review/terminations/${id$(terminationId)}/approve`, data: remark ? { remark } : {}, idempotencyKey: opts.idempotencyKey })
}

function rejectTermination(terminationId, reason, opts = {}) {
  return request({ method: 'POST', path: `/review/terminations/${id$(terminationId)}/reject`, data: { reason }, idempotencyKey: opts.idempotencyKey })
}

// An evidence file of a detail (营业执照, 授权委托书, …) by the `url` the detail gives → a local
// temporary file to preview.
function downloadEvidence(url) {
  return download({ path: url })
}

module.exports = {
  downloadEvidence, getHome, listSignings, listTerminations, getSigning, approveSigning, rejectSigning,
  getTermination, approveTermination, rejectTermination,
}
