// A reviewer's item page (签约 or 解约 detail): load it, and decide on it — 审核通过 after a
// confirmation dialog, 审核不通过 with a reason that must be given. The buttons are the API's
// allowed_actions; each decision keeps its Idempotency-Key until it settles, and a tap while one
// is on its way sends nothing.
// `calls`: {get(id), approve(id, remark, opts), reject(id, reason, opts)}; `show(item)` → view.
const { actionKeys, isRetryable } = require('./idempotency')
const { toast, confirmDialog } = require('./ui')
const subscribe = require('./subscribe')
const config = require('../config')

// The subscribe moment of the reviewer's role: the service-level reminders (review_overdue…).
const momentOf = role => (role === 'college_reviewer' || role === 'school_reviewer' ? `${role}_reviewing` : '')

const REASON_MAX = 500 // RejectBody.reason

function reviewPage({ calls, show, approveText }) {
  return {
    data: { loading: true, errorMessage: '', actionError: '', item: null, view: {}, submitting: false, dialog: '', reason: '', reasonError: '', reasonMax: REASON_MAX },

    onLoad(options = {}) {
      this.itemId = options.id
      this.keys = actionKeys()
      this.moment = momentOf(wx.getStorageSync(config.ROLE_KEY))
      if (this.moment) subscribe.prepare(this.moment)
      return this.load()
    },

    // In the tap (WeChat's rule): one 允许 is one reminder we may send later.
    askForReminders() {
      if (this.moment) subscribe.ask(this.moment)
    },

    onPullDownRefresh() {
      return this.load().then(() => wx.stopPullDownRefresh())
    },

    load() {
      this.setData({ errorMessage: '' })
      return calls.get(this.itemId)
        .then(item => this.display(item))
        .catch(err => this.setData({ errorMessage: err.message }))
        .then(() => this.setData({ loading: false }))
    },

    display(item) {
      const actions = item.allowed_actions || []
      this.setData({
        item,
        view: {
          ...show(item),
          mayApprove: actions.includes('approve'),
          mayReject: actions.includes('reject'),
          // Withdraw, void, force-terminate… are the desktop's (they need evidence and care).
          elsewhere: actions.some(a => a !== 'approve' && a !== 'reject'),
        },
      })
    },

    approve() {
      if (this.data.submitting) return Promise.resolve()
      this.askForReminders()
      return confirmDialog(this, { title: approveText.title, content: approveText.content, confirmBtn: '审核通过' })
        .then(ok => ok && this.decide('approve', key => calls.approve(this.itemId, undefined, { idempotencyKey: key }), '已审核通过'))
    },

    openReject() {
      this.askForReminders()
      this.setData({ dialog: 'reject', reasonError: '', actionError: '' })
    },

    closeDialog() {
      if (!this.data.submitting) this.setData({ dialog: '' })
    },

    onReasonInput(e) {
      this.setData({ reason: e.detail.value.slice(0, REASON_MAX), reasonError: '' })
    },

    reject() {
      const reason = this.data.reason.trim()
      if (!reason) {
        this.setData({ reasonError: '请填写审核不通过的理由' })
        return Promise.resolve()
      }
      return this.decide('reject', key => calls.reject(this.itemId, reason, { idempotencyKey: key }), '已审核不通过')
    },

    decide(action, call, doneText) {
      if (this.data.submitting) return Promise.resolve()
      this.setData({ submitting: true, actionError: '' })
      return call(this.keys.key(action))
        .then(item => {
          this.keys.settle(action)
          this.display(item)
          this.setData({ dialog: '', reason: '' })
          toast(this, doneText, 'success')
        })
        .catch(err => {
          this.keys.settle(action, err)
          // A field error (the reason) stays in the open dialog; anything else closes it.
          const fieldError = err.fields && err.fields.reason
          if (fieldError) return this.setData({ reasonError: fieldError })
          this.setData({ actionError: err.message, dialog: isRetryable(err) ? this.data.dialog : '' })
          // Someone decided first (409), or the item moved past my level (403): show what stands now.
          if (err.status === 409 || err.status === 403) return this.load()
        })
        .then(() => this.setData({ submitting: false }))
    },
  }
}

module.exports = { reviewPage, REASON_MAX }
