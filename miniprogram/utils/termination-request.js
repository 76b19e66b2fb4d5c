// 申请解约, shared by both parties: the 解约须知 with the school's remaining allowance, the reason
// (≤ 200 characters), the acknowledgement, a last confirmation (it cannot be withdrawn), then
// the new termination's page.
const { actionKeys, isRetryable } = require('./idempotency')
const { toast, confirmDialog } = require('./ui')
const subscribe = require('./subscribe')

const REASON_MAX = 200

function allowance(notice) {
  if (!notice.limit) return `学校未限制解约次数（你已完成解约 ${notice.completed} 次）`
  return `学校规定每名毕业生可完成解约 ${notice.limit} 次，已完成 ${notice.completed} 次，剩余 ${Math.max(0, notice.limit - notice.completed)} 次`
}

function terminationRequestPage(service, role) {
  const moment = `${role}_termination`
  return {
    data: { loading: true, errorMessage: '', notice: null, allowance: '', reason: '', reasonMax: REASON_MAX, ack: false, fieldError: '', actionError: '', submitting: false },

    onLoad(options = {}) {
      this.invitationId = options.invitation_id
      this.keys = actionKeys()
      subscribe.prepare(moment)
      return this.load()
    },

    load() {
      this.setData({ errorMessage: '' })
      return service.getTerminationNotice(this.invitationId)
        .then(notice => this.setData({ notice, allowance: allowance(notice) }))
        .catch(err => this.setData({ errorMessage: err.message }))
        .then(() => this.setData({ loading: false }))
    },

    onReasonInput(e) {
      this.setData({ reason: e.detail.value.slice(0, REASON_MAX), fieldError: '' })
    },

    onAckChange(e) {
      this.setData({ ack: !!e.detail.checked })
    },

    submit() {
      if (this.data.submitting || !this.data.ack) return Promise.resolve()
      const reason = this.data.reason.trim()
      if (!reason) return Promise.resolve(this.setData({ fieldError: '请填写解约原因' }))
      return confirmDialog(this, { title: '提交解约申请', content: '解约申请提交后不能撤回，需对方同意并经学校审核。确定提交吗？', confirmBtn: '提交' })
        .then(ok => ok && this.send(reason))
    },

    send(reason) {
      subscribe.ask(moment)
      this.setData({ submitting: true, actionError: '' })
      return service.requestTermination(this.invitationId, reason, { idempotencyKey: this.keys.key('request') })
        .then(t => {
          this.keys.settle('request')
          toast(this, '解约申请已提交，等待对方确认', 'success')
          wx.redirectTo({ url: `/pages/${role}/termination/detail?id=${t.id}` })
        })
        .catch(err => {
          this.keys.settle('request', err)
          this.setData({ actionError: err.message, fieldError: (err.fields && err.fields.reason) || '' })
          if (!isRetryable(err)) return this.load()
        })
        .then(() => this.setData({ submitting: false }))
    },
  }
}

module.exports = { terminationRequestPage, allowance }
