// Employer invitation endpoints (API.md "Employer"); one function per endpoint.
const { request } = require('../utils/request')

const base = '/employer/invitations'

// query: status, cohort, cursor, limit (see the OpenAPI EmployerInvitationQuery).
function listInvitations(query = {}) {
  return request({ path: base, query })
}

function getInvitation(id) {
  return request({ path: `${base}/${encodeURIComponent(id)}` })
}

// One invitation per student; the answer reports each student's result.
function sendInvitations(studentIds, terms, opts = {}) {
  return request({ method: 'POST', path: base, data: { student_ids: studentIds, terms }, idempotencyKey: opts.idempotencyKey })
}

// 修改邀约: a new revision the student must accept.
function modifyInvitation(id, terms, opts = {}) {
  return request({ method: 'PUT', path: `${base}/${encodeURIComponent(id)}`, data: terms, idempotencyKey: opts.idempotencyKey })
}

// The letter as the student will see it.
function previewInvitation(studentId, terms) {
  return request({ method: 'POST', path: `${base}/preview`, data: { student_id: studentId, terms } })
}

// The workbench: counts per group, terminations waiting for an answer, unread notices.
function getHome(query = {}) {
  return request({ path: '/employer/home', query })
}

const termination = id => `/employer/terminations/${encodeURIComponent(id)}`

function getTermination(id) {
  return request({ path: termination(id) })
}

function agreeTermination(id, opts = {}) {
  return request({ method: 'POST', path: `${termination(id)}/agree`, data: { confirm: true }, idempotencyKey: opts.idempotencyKey })
}

function disagreeTermination(id, reason, opts = {}) {
  const text = (reason || '').trim()
  return request({ method: 'POST', path: `${termination(id)}/disagree`, data: text ? { reason: text } : {}, idempotencyKey: opts.idempotencyKey })
}

module.exports = {
  getHome, listInvitations, getInvitation, sendInvitations, modifyInvitation, previewInvitation,
  getTermination, agreeTermination, disagreeTermination,
}
