// Auth and binding (API.md "Auth and identity"); one function per endpoint.
const { request } = require('../utils/request')

// wx.login code → {token, bound, role, profile?}; no Bearer: this is how a token is obtained.
function wxaLogin(code) {
  return request({ method: 'POST', path: '/auth/wxa-login', data: { code }, auth: false })
}

// {school_code, student_no, name, id_number} → {phone_masked}; an SMS code goes to that phone.
function bindStudent(identity, opts = {}) {
  return request({ method: 'POST', path: '/auth/bind/student', data: identity, idempotencyKey: opts.idempotencyKey })
}

// {sms_code, email, address} → completes the binding.
function confirmStudentBinding(confirmation, opts = {}) {
  return request({ method: 'POST', path: '/auth/bind/student/confirm', data: confirmation, idempotencyKey: opts.idempotencyKey })
}

// {username, password} → binds an employer user account to this WeChat identity.
function bindEmployer(credentials, opts = {}) {
  return request({ method: 'POST', path: '/auth/bind/employer', data: credentials, idempotencyKey: opts.idempotencyKey })
}

function logout() {
  return request({ method: 'POST', path: '/auth/logout', data: {} })
}

// 解除绑定: this WeChat no longer logs in to the account (every token of it ends).
function unbind(opts = {}) {
  return request({ method: 'POST', path: '/auth/unbind', data: {}, idempotencyKey: opts.idempotencyKey })
}

const qr = ticket => `/auth/qr/${encodeURIComponent(ticket)}`

// A desktop log-in code scanned: which desktop asks (browser, IP, time) before confirming.
function scanQr(ticket, opts = {}) {
  return request({ method: 'POST', path: `${qr(ticket)}/scan`, data: {}, idempotencyKey: opts.idempotencyKey })
}

// confirm true: log the desktop in; false: refuse it.
function confirmQr(ticket, confirm, opts = {}) {
  return request({ method: 'POST', path: `${qr(ticket)}/confirm`, data: { confirm }, idempotencyKey: opts.idempotencyKey })
}

module.exports = { wxaLogin, bindStudent, confirmStudentBinding, bindEmployer, logout, unbind, scanQr, confirmQr }
