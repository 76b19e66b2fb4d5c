// Employer endpoints (API.md "Employer"); one function per endpoint.
const { request, upload } = require('../utils/request')

const base = '/employer/invitations'
const id$ = id => encodeURIComponent(id)

// The workbench: counts per group, terminations waiting for an answer, unread notices.
function getHome(query = {}) {
  return request({ path: '/employer/home', query })
}

// -- students and favorites (收藏夹 / 签约发送列表) --

// All four exact: the school's 5-digit code, the cohort, the name, the phone or ID number.
function searchStudents({ school_code, cohort, name, phone_or_id }) {
  return request({ path: '/employer/students/search', query: { school_code, cohort, name, phone_or_id } })
}

function listFavorites({ cohort, cursor, limit } = {}) {
  return request({ path: '/employer/favorites', query: { cohort, cursor, limit } })
}

function addFavorite(studentId, opts = {}) {
  return request({ method: 'POST', path: '/employer/favorites', data: { student_id: studentId }, idempotencyKey: opts.idempotencyKey })
}

function removeFavorite(studentId) {
  return request({ method: 'DELETE', path: '/employer/favorites', query: { student_id: studentId } })
}

// -- letters --

// query: status (a workbench group), cohort, school_code, name, major, from, to, cursor, limit.
function listInvitations(query = {}) {
  return request({ path: base, query })
}

function getInvitation(id) {
  return request({ path: `${base}/${id$(id)}` })
}

// The checks before sending (minimum wage, the school's damages cap, missing 户档信息).
function checkLetter(studentIds, terms) {
  return request({ method: 'POST', path: `${base}/checks`, data: { student_ids: studentIds, terms } })
}

// The letter as the student will see it.
function previewInvitation(studentId, terms) {
  return request({ method: 'POST', path: `${base}/preview`, data: { student_id: studentId, terms } })
}

// One invitation per student; the answer reports each student's result.
function sendInvitations(studentIds, terms, opts = {}) {
  return request({ method: 'POST', path: base, data: { student_ids: studentIds, terms }, idempotencyKey: opts.idempotencyKey })
}

// 修改邀约: a new revision the student must accept.
function modifyInvitation(id, terms, opts = {}) {
  return request({ method: 'PUT', path: `${base}/${id$(id)}`, data: terms, idempotencyKey: opts.idempotencyKey })
}

// -- terminations (解约) --

const agreement = id => `/employer/agreements/${id$(id)}`
const termination = id => `/employer/terminations/${id$(id)}`

function getTerminationNotice(invitationId) {
  return request({ path: `${agreement(invitationId)}/termination-notice` })
}

function requestTermination(invitationId, reason, opts = {}) {
  return request({ method: 'POST', path: `${agreement(invitationId)}/terminations`, data: { reason, acknowledge: true }, idempotencyKey: opts.idempotencyKey })
}

function listTerminations({ cursor, limit } = {}) {
  return request({ path: '/employer/terminations', query: { cursor, limit } })
}

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

// -- 户档信息, registration, verification --

function getArchiveProfile() {
  return request({ path: '/employer/archive-profile' })
}

function saveArchiveProfile(profile, opts = {}) {
  return request({ method: 'PUT', path: '/employer/archive-profile', data: profile, idempotencyKey: opts.idempotencyKey })
}

// 单位注册 (no log-in yet): the answer carries the new user's token.
function register(form, opts = {}) {
  return request({ method: 'POST', path: '/employer/register', data: form, auth: false, idempotencyKey: opts.idempotencyKey })
}

function getVerification() {
  return request({ path: '/employer/verification' })
}

// The licence scan chosen with wx.chooseMedia (JPEG/PNG, ≤ 2 MB), as multipart/form-data.
function submitLicence(filePath, opts = {}) {
  return upload({ path: '/employer/verification', filePath, name: 'licence', idempotencyKey: opts.idempotencyKey })
}

// -- 账号管理 --

function listAccounts() {
  return request({ path: '/employer/accounts' })
}

function addColleague({ username, display_name, password }, opts = {}) {
  return request({ method: 'POST', path: '/employer/accounts', data: { username, display_name, password }, idempotencyKey: opts.idempotencyKey })
}

function resetPassword(accountId, password, opts = {}) {
  return request({ method: 'POST', path: `/employer/accounts/${id$(accountId)}/password`, data: { password }, idempotencyKey: opts.idempotencyKey })
}

function changePassword(oldPassword, newPassword) {
  return request({ method: 'POST', path: '/employer/password', data: { old_password: oldPassword, new_password: newPassword } })
}

module.exports = {
  getHome, searchStudents, listFavorites, addFavorite, removeFavorite,
  listInvitations, getInvitation, checkLetter, previewInvitation, sendInvitations, modifyInvitation,
  getTerminationNotice, requestTermination, listTerminations, getTermination, agreeTermination, disagreeTermination,
  getArchiveProfile, saveArchiveProfile, register, getVerification, submitLicence,
  listAccounts, addColleague, resetPassword, changePassword,
}
