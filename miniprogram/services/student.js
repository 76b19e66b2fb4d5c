// Student endpoints (API.md "Student"); one function per endpoint.
const { request } = require('../utils/request')

const base = id => `/student/invitations/${encodeURIComponent(id)}`

function getHome() {
  return request({ path: '/student/home' })
}

// status: open | done | all; cursor: the previous page's next_cursor.
function listInvitations({ status = 'all', cursor, limit } = {}) {
  return request({ path: '/student/invitations', query: { status, cursor, limit } })
}

function getInvitation(id) {
  return request({ path: base(id) })
}

// 同意签约: the revision the student read, and the second confirmation.
function acceptInvitation(id, revision, opts = {}) {
  return request({ method: 'POST', path: `${base(id)}/accept`, data: { revision, confirm: true }, idempotencyKey: opts.idempotencyKey })
}

// 拒绝: the reason is optional (at most 200 characters).
function rejectInvitation(id, reason, opts = {}) {
  const text = (reason || '').trim()
  return request({ method: 'POST', path: `${base(id)}/reject`, data: text ? { reason: text } : {}, idempotencyKey: opts.idempotencyKey })
}

// 同意修改: the revision number of the modified letter shown to the student.
function acceptRevision(id, revision, opts = {}) {
  return request({ method: 'POST', path: `${base(id)}/revision/accept`, data: { revision }, idempotencyKey: opts.idempotencyKey })
}

// 不同意修改: the accepted terms stay; revision names the modification the student read.
function declineRevision(id, revision, opts = {}) {
  return request({ method: 'POST', path: `${base(id)}/revision/decline`, data: { revision }, idempotencyKey: opts.idempotencyKey })
}

const termination = id => `/student/terminations/${encodeURIComponent(id)}`

// 解约 the other party asked for (the student's own request is made on the desktop for now).
function getTermination(id) {
  return request({ path: termination(id) })
}

// 同意解约 needs the second confirmation.
function agreeTermination(id, opts = {}) {
  return request({ method: 'POST', path: `${termination(id)}/agree`, data: { confirm: true }, idempotencyKey: opts.idempotencyKey })
}

function disagreeTermination(id, reason, opts = {}) {
  const text = (reason || '').trim()
  return request({ method: 'POST', path: `${termination(id)}/disagree`, data: text ? { reason: text } : {}, idempotencyKey: opts.idempotencyKey })
}

module.exports = {
  getHome, listInvitations, getInvitation, acceptInvitation, rejectInvitation, acceptRevision, declineRevision,
  getTermination, agreeTermination, disagreeTermination,
}
