// Student endpoints (API.md "Student"); one function per endpoint.
const { request } = require('../utils/request')

const base = id => `/student/invitations/${encodeURIComponent(id)}`

function getHome() {
  return request({ path: '/student/home' })
}

// status: open | done | all; employerName: a part of the employer's name; cursor: the previous
// page's next_cursor.
function listInvitations({ status = 'all', employerName, cursor, limit } = {}) {
  return request({ path: '/student/invitations', query: { status, employer_name: employerName, cursor, limit } })
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

const agreement = id => `/student/agreements/${encodeURIComponent(id)}`

// 解约须知 with the school's limit and how many terminations the student has used.
function getTerminationNotice(invitationId) {
  return request({ path: `${agreement(invitationId)}/termination-notice` })
}

// 申请解约: the reason (≤ 200 characters) and the acknowledged notice; it cannot be withdrawn.
function requestTermination(invitationId, reason, opts = {}) {
  return request({ method: 'POST', path: `${agreement(invitationId)}/terminations`, data: { reason, acknowledge: true }, idempotencyKey: opts.idempotencyKey })
}

// My terminations, newest first, with who started each.
function listTerminations({ cursor, limit } = {}) {
  return request({ path: '/student/terminations', query: { cursor, limit } })
}

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
  getTerminationNotice, requestTermination, listTerminations, getTermination, agreeTermination, disagreeTermination,
}
