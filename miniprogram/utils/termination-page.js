// The 解约 detail page, shared by students and employers (pushed messages open
// pages/student/termination/detail?id=… and pages/employer/termination/detail?id=…).
// `service` provides getTermination, agreeTermination and disagreeTermination; `role` is
// student | employer (the subscribe moment after answering).
const { dateTime } = require('./format')
const { actionKeys, isRetryable } = require('./idempotency')
const { toast, confirmDialog } = require('./ui')
const subscribe = require('./subscribe')

const INITIATORS = { student: '学生', employer: '用人单位' }
const REASON_MAX = 200

function terminationPage(service, role) {
  const answered = `${role}_termination_answered`
  return {
    data: { loading: true, errorMessage: '', actionError: '', termination: null, view: {}, submitting: false, dialog: '', reason: '', reasonMax: REASON_MAX },

    onLoad(options = {}) {
      this.terminationId = options.id
      this.keys = actionKeys()
      subscribe.prepare(answered)
      return this.load()
    },

    load() {
      this.setData({ errorMessage: '' })
      return service.getTermination(this.terminationId)
        .then(t => this.show(t))
        .catch(err => this.setData({ errorMessage: err.message }))
        .then(() => this.setData({ loading: false }))
    },

    show(t) {
      this.setData({
        termination: t,
        view: {
          initiator: INITIATORS[t.initiated_by] || t.initiated_by,
          requested: dateTime(t.requested_at),
          answered: dateTime(t.answered_at),
          // The buttons are the API's allowed_actions.
          mayAgree: (t.allowed_actions || []).includes('agree'),
          mayDisagree: (t.allowed_actions || []).includes('disagree'),
        },
      })
    },

    openAgreement() {
      wx.navigateTo({ url: `/pages/${role}/invitation/detail?id=${this.data.termination.invitation_id}` })
    },

    agree() {
      return confirmDialog(this, { title: '同意解约', content: '同意后解约申请将提交学校审核，审核通过后协议解除。确定同意吗？', confirmBtn: '同意解约' })
        .then(ok => {
          if (!ok) return false
          subscribe.ask(answered)
          return this.answer('agree', key => service.agreeTermination(this.terminationId, { idempotencyKey: key }), '已同意解约')
        })
    },

    openDisagree() {
      this.setData({ dialog: 'disagree', reason: '', actionError: '' })
    },

    closeDialog() {
      if (!this.data.submitting) this.setData({ dialog: '' })
    },

    onReasonInput(e) {
      this.setData({ reason: e.detail.value.slice(0, REASON_MAX) })
    },

    disagree() {
      const reason = this.data.reason
      return this.answer('disagree', key => service.disagreeTermination(this.terminationId, reason, { idempotencyKey: key }), '已答复不同意解约')
    },

    answer(action, call, doneText) {
      if (this.data.submitting) return Promise.resolve()
      this.setData({ submitting: true, actionError: '' })
      return call(this.keys.key(action))
        .then(t => { this.keys.settle(action); this.show(t); this.setData({ dialog: '' }); toast(this, doneText, 'success') })
        .catch(err => {
          this.keys.settle(action, err)
          this.setData({ actionError: err.message, dialog: isRetryable(err) ? this.data.dialog : '' })
          if (!isRetryable(err) && err.status === 409) return this.load()
        })
        .then(() => this.setData({ submitting: false }))
    },
  }
}

module.exports = { terminationPage }
