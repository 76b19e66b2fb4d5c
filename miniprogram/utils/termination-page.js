// The 解约 detail page, shared by students and employers (pushed messages open
// pages/student/termination/detail?id=… and pages/employer/termination/detail?id=…).
// `service` provides getTermination, agreeTermination and disagreeTermination.
const { dateTime } = require('./format')
const { actionKeys, isRetryable } = require('./idempotency')
const { toast, confirmModal } = require('./ui')

const INITIATORS = { student: '学生', employer: '用人单位' }

function terminationPage(service) {
  return {
    data: { loading: true, errorMessage: '', actionError: '', termination: null, view: {}, submitting: false },

    onLoad(options = {}) {
      this.id = options.id
      this.keys = actionKeys()
      return this.load()
    },

    load() {
      this.setData({ errorMessage: '' })
      return service.getTermination(this.id)
        .then(t => this.show(t))
        .catch(err => this.setData({ errorMessage: err.message }))
        .then(() => this.setData({ loading: false }))
    },

    show(t) {
      this.setData({
        termination: t,
        view: { initiator: INITIATORS[t.initiated_by] || t.initiated_by, requested: dateTime(t.requested_at), answered: dateTime(t.answered_at) },
      })
    },

    agree() {
      return confirmModal({ title: '同意解约', content: '同意后解约申请将提交学校审核，审核通过后协议解除。确定同意吗？', confirmText: '同意解约' })
        .then(ok => ok && this.answer('agree', key => service.agreeTermination(this.id, { idempotencyKey: key }), '已同意解约'))
    },

    disagree() {
      return new Promise(resolve => wx.showModal({
        title: '不同意解约',
        editable: true,
        placeholderText: '不同意的理由（选填，200字以内）',
        confirmText: '不同意',
        success: res => resolve(res.confirm ? (res.content || '').slice(0, 200) : null),
        fail: () => resolve(null),
      })).then(reason => reason !== null && this.answer('disagree', key => service.disagreeTermination(this.id, reason, { idempotencyKey: key }), '已答复不同意解约'))
    },

    answer(action, call, doneText) {
      if (this.data.submitting) return Promise.resolve()
      this.setData({ submitting: true, actionError: '' })
      return call(this.keys.key(action))
        .then(t => { this.keys.settle(action); this.show(t); toast(doneText) })
        .catch(err => {
          this.keys.settle(action, err)
          this.setData({ actionError: err.message })
          if (!isRetryable(err) && err.status === 409) return this.load()
        })
        .then(() => this.setData({ submitting: false }))
    },
  }
}

module.exports = { terminationPage }
