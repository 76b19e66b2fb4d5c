// 账号管理: our employer's user accounts; its admin adds a colleague and resets a password;
// everyone changes their own password (its own page).
const employer = require('../../../services/employer')
const { dateTime } = require('../../../utils/format')
const { fieldErrorsFrom } = require('../../../utils/form')
const { actionKeys, isRetryable } = require('../../../utils/idempotency')
const { toast } = require('../../../utils/ui')

const BLANK = { username: '', display_name: '', password: '' }

Page({
  data: { loading: true, loaded: false, loadError: '', items: [], me: null, admin: false, dialog: '', draft: { ...BLANK }, target: {}, fieldErrors: {}, dialogError: '', submitting: false },

  onLoad() {
    this.keys = actionKeys()
    return this.load()
  },

  load() {
    this.setData({ loadError: '' })
    return employer.listAccounts()
      .then(res => this.setData({
        items: res.items.map(a => ({ ...a, lastLogin: a.last_login_at ? dateTime(a.last_login_at) : '从未登录' })),
        me: res.my_account_id, admin: res.i_am_admin, loaded: true,
      }))
      .catch(err => this.setData({ loadError: err.message }))
      .then(() => this.setData({ loading: false }))
  },

  onDraft(e) {
    const field = e.currentTarget.dataset.field
    this.setData({ [`draft.${field}`]: e.detail.value, [`fieldErrors.${field}`]: '' })
  },

  openAdd() {
    this.setData({ dialog: 'add', draft: { ...BLANK }, fieldErrors: {}, dialogError: '' })
  },

  openReset(e) {
    this.setData({ dialog: 'reset', target: this.data.items[e.currentTarget.dataset.index], draft: { ...BLANK }, fieldErrors: {}, dialogError: '' })
  },

  closeDialog() {
    if (!this.data.submitting) this.setData({ dialog: '' })
  },

  add() {
    const d = this.data.draft
    return this.run('add', key => employer.addColleague({ username: d.username.trim(), display_name: d.display_name.trim(), password: d.password }, { idempotencyKey: key }), '账号已添加')
  },

  reset() {
    const target = this.data.target
    return this.run(`reset-${target.id}`, key => employer.resetPassword(target.id, this.data.draft.password, { idempotencyKey: key }), `已重置 ${target.display_name} 的密码`)
  },

  run(action, call, doneText) {
    if (this.data.submitting) return Promise.resolve()
    this.setData({ submitting: true, dialogError: '', fieldErrors: {} })
    return call(this.keys.key(action))
      .then(() => { this.keys.settle(action); this.setData({ dialog: '' }); toast(this, doneText, 'success'); return this.load() })
      .catch(err => { this.keys.settle(action, err); this.setData({ dialogError: err.message, fieldErrors: isRetryable(err) ? {} : fieldErrorsFrom(err) }) })
      .then(() => this.setData({ submitting: false }))
  },

  changePassword() {
    wx.navigateTo({ url: '/pages/employer/password/index' })
  },
})
