// 登录: wx.login → wxa-login; an unbound student verifies identity, then the SMS code.
const config = require('../../config')
const auth = require('../../services/auth')
const { actionKeys } = require('../../utils/idempotency')

const HOME = config.HOME_PAGES
const ID_NUMBER = /^\d{17}[\dXx]$/
const EMAIL = /^[^@\s]+@[^@\s]+\.[^@\s]+$/

// Client-side checks only catch the obvious; the server's field errors are shown the same way.
function missing(values, fields) {
  const errors = {}
  fields.forEach(f => { if (!String(values[f] || '').trim()) errors[f] = '必填' })
  return errors
}

Page({
  data: {
    step: 'loading', // loading | student | sms | employer | failed
    identity: { school_code: '', student_no: '', name: '', id_number: '' },
    confirmation: { sms_code: '', email: '', address: '' },
    credentials: { username: '', password: '' },
    fieldErrors: {},
    errorMessage: '',
    phoneMasked: '',
    submitting: false,
  },

  onLoad(options = {}) {
    this.keys = actionKeys()
    this.redirect = options.redirect ? decodeURIComponent(options.redirect) : ''
    // A desktop log-in's mini-program code opens this page with the ticket as its scene.
    if (options.scene) this.redirect = `/pages/qr/index?ticket=${encodeURIComponent(decodeURIComponent(options.scene))}`
    const role = wx.getStorageSync(config.ROLE_KEY)
    if (wx.getStorageSync(config.TOKEN_KEY) && HOME[role]) return this.enter(role)
    this.login()
  },

  login() {
    this.setData({ step: 'loading', errorMessage: '' })
    wx.login({
      success: ({ code }) => auth.wxaLogin(code).then(res => this.loggedIn(res)).catch(err => this.failed(err)),
      fail: () => this.failed({ message: '微信登录失败，请稍后重试' }),
    })
  },

  loggedIn({ token, bound, role }) {
    wx.setStorageSync(config.TOKEN_KEY, token)
    if (!bound) return this.setData({ step: 'student' })
    this.enter(role)
  },

  enter(role) {
    if (!HOME[role]) return this.failed({ message: '该账号请在电脑端登录使用' })
    wx.setStorageSync(config.ROLE_KEY, role)
    wx.reLaunch({ url: this.redirect || HOME[role] })
  },

  failed(err) {
    this.setData({ step: 'failed', errorMessage: err.message })
  },

  onInput(e) {
    const { form, field } = e.currentTarget.dataset
    this.setData({ [`${form}.${field}`]: e.detail.value, [`fieldErrors.${field}`]: '' })
  },

  register() {
    wx.navigateTo({ url: '/pages/employer/register/index' })
  },

  showStep(e) {
    this.setData({ step: e.currentTarget.dataset.step, fieldErrors: {}, errorMessage: '' })
  },

  // Run a binding call: field errors go next to their fields, the message into the banner.
  submit(action, errors, call) {
    if (this.data.submitting) return Promise.resolve()
    if (Object.keys(errors).length) return Promise.resolve(this.setData({ fieldErrors: errors }))
    this.setData({ submitting: true, fieldErrors: {}, errorMessage: '' })
    return call(this.keys.key(action))
      .then(res => { this.keys.settle(action); return res })
      .catch(err => {
        this.keys.settle(action, err)
        this.setData({ fieldErrors: err.fields || {}, errorMessage: err.message })
      })
      .then(res => { this.setData({ submitting: false }); return res })
  },

  submitIdentity() {
    const identity = this.data.identity
    const errors = missing(identity, ['school_code', 'student_no', 'name', 'id_number'])
    if (!errors.id_number && !ID_NUMBER.test(identity.id_number.trim())) errors.id_number = '身份证号应为18位'
    const trimmed = {}
    Object.keys(identity).forEach(k => { trimmed[k] = identity[k].trim() })
    return this.submit('bind', errors, key => auth.bindStudent(trimmed, { idempotencyKey: key }))
      .then(res => res && this.setData({ step: 'sms', phoneMasked: res.phone_masked }))
  },

  submitConfirmation() {
    const confirmation = this.data.confirmation
    const errors = missing(confirmation, ['sms_code', 'email', 'address'])
    if (!errors.email && !EMAIL.test(confirmation.email.trim())) errors.email = '邮箱格式不正确'
    return this.submit('confirm', errors, key => auth.confirmStudentBinding(confirmation, { idempotencyKey: key }))
      .then(res => res && this.bound(res, 'student'))
  },

  submitEmployer() {
    const errors = missing(this.data.credentials, ['username', 'password'])
    return this.submit('employer', errors, key => auth.bindEmployer(this.data.credentials, { idempotencyKey: key }))
      .then(res => res && this.bound(res, 'employer_user'))
  },

  // A binding may hand out a fresh token; otherwise the current one is now bound.
  bound(res, role) {
    if (res.token) wx.setStorageSync(config.TOKEN_KEY, res.token)
    this.enter(res.role || role)
  },
})
