// 邀请函详情: progress, the letter, terms, archive/hukou, 签约须知, 流程追踪, the student's answers.
// Opened from the list and from pushed messages: pages/student/invitation/detail?id=123
const student = require('../../../services/student')
const fmt = require('../../../utils/format')
const { actionKeys, isRetryable } = require('../../../utils/idempotency')
const { toast, confirmDialog } = require('../../../utils/ui')
const subscribe = require('../../../utils/subscribe')

const REASON_MAX = 200

Page({
  data: {
    loading: true,
    errorMessage: '', // the letter could not be loaded
    actionError: '', // the last answer was refused
    dialogError: '', // a retryable failure while a dialog is open
    detail: null,
    view: {},
    dialog: '', // '' | 'accept' | 'reject'
    ack: false,
    reason: '',
    reasonMax: REASON_MAX,
    submitting: false,
  },

  onLoad(options = {}) {
    this.invitationId = options.id
    this.keys = actionKeys()
    subscribe.prepare('student_accepted')
    return this.load()
  },

  onShow() {
    if (this.needsRefresh) {
      this.needsRefresh = false
      this.load()
    }
  },

  // Pulling down also asks again whether the agreement's documents are ready.
  onPullDownRefresh() {
    const documents = this.selectComponent('#documents')
    return Promise.all([this.load(), documents && documents.refresh()]).then(() => wx.stopPullDownRefresh())
  },

  load() {
    this.setData({ errorMessage: '' })
    return student.getInvitation(this.invitationId)
      .then(detail => this.show(detail))
      .catch(err => this.setData({ errorMessage: err.message }))
      .then(() => this.setData({ loading: false }))
  },

  // The buttons are the API's allowed_actions: the page never works out what the student may do.
  show(detail) {
    const archive = detail.terms.archive
    const may = {}
    ;(detail.allowed_actions || []).forEach(a => { may[a] = true })
    this.setData({
      detail,
      view: {
        progress: fmt.progressOf(detail),
        terms: fmt.termRows(detail.terms, detail.labels),
        archive: fmt.archiveRows(archive),
        hukou: fmt.hukouRows(archive),
        employer: fmt.employerRows(detail.employer),
        flow: fmt.flowRows(detail.flow),
        invitedOn: fmt.slashDate(detail.invited_at),
        signedElsewhere: !!detail.signed_elsewhere,
        may,
      },
    })
  },

  openAccept() {
    this.setData({ dialog: 'accept', ack: false, dialogError: '', actionError: '' })
  },

  openReject() {
    this.setData({ dialog: 'reject', reason: '', dialogError: '', actionError: '' })
  },

  closeDialog() {
    if (!this.data.submitting) this.setData({ dialog: '' })
  },

  onAckChange(e) {
    this.setData({ ack: !!e.detail.checked })
  },

  onReasonInput(e) {
    this.setData({ reason: e.detail.value.slice(0, REASON_MAX) })
  },

  // 现在签约: only with the acknowledgement ticked (the button is disabled until then). The
  // review outcomes are what the student waits for next: ask to be told (subscribe message).
  confirmAccept() {
    if (!this.data.ack || this.data.submitting) return Promise.resolve()
    subscribe.ask('student_accepted')
    const { revision } = this.data.detail
    return this.answer('accept', key => student.acceptInvitation(this.invitationId, revision, { idempotencyKey: key }), '已同意签约，等待学校审核')
  },

  confirmReject() {
    if (this.data.submitting) return Promise.resolve()
    const reason = this.data.reason
    this.setData({ dialog: '' })
    return confirmDialog(this, { title: '确认拒绝', content: '拒绝后本邀约即结束，单位将收到你的拒绝理由。确定拒绝吗？', confirmBtn: '拒绝' })
      .then(ok => {
        if (!ok) return this.setData({ dialog: 'reject' })
        this.setData({ dialog: 'reject' })
        return this.answer('reject', key => student.rejectInvitation(this.invitationId, reason, { idempotencyKey: key }), '已拒绝该邀约')
      })
  },

  acceptRevision() {
    const { revision } = this.data.detail
    return confirmDialog(this, { title: '同意修改', content: '同意后将按修改后的内容重新提交学院、学校审核。确定同意吗？' })
      .then(ok => ok && this.answer('revision-accept', key => student.acceptRevision(this.invitationId, revision, { idempotencyKey: key }), '已同意修改'))
  },

  declineRevision() {
    const { revision } = this.data.detail
    return confirmDialog(this, { title: '不同意修改', content: '不同意则继续按你已同意的原邀约内容执行。确定吗？' })
      .then(ok => ok && this.answer('revision-decline', key => student.declineRevision(this.invitationId, revision, { idempotencyKey: key }), '已保留原邀约内容'))
  },

  requestTermination() {
    this.needsRefresh = true
    wx.navigateTo({ url: `/pages/student/termination/request?invitation_id=${this.invitationId}` })
  },

  // One answer: a network failure keeps the dialog and the Idempotency-Key for a retry;
  // a refusal closes it, shows the API's message, and reloads the letter if its state moved.
  answer(action, call, doneText) {
    if (this.data.submitting) return Promise.resolve()
    this.setData({ submitting: true, dialogError: '', actionError: '' })
    return call(this.keys.key(action))
      .then(detail => {
        this.keys.settle(action)
        this.show(detail)
        this.setData({ dialog: '' })
        toast(this, doneText, 'success')
      })
      .catch(err => {
        this.keys.settle(action, err)
        if (this.data.dialog && isRetryable(err)) return this.setData({ dialogError: err.message })
        this.setData({ dialog: '', actionError: err.message })
        toast(this, err.message, 'error')
        if (err.status === 409) return this.load()
      })
      .then(() => this.setData({ submitting: false }))
  },
})
