// 线下签约解约申请 (seed 002 §2.4.1, seed 003 §5.1): 第一步 解约类型, 第二步 解约原因, 第三步 the
// stamped proof — the standard 解约证明 downloaded here, or the employer's own (JPG/PNG ≤ 2 MB).
const paper = require('../../../services/paper')
const { openDocument } = require('../../../utils/paper-document')
const { actionKeys } = require('../../../utils/idempotency')
const { toast, confirmDialog } = require('../../../utils/ui')

const TYPES = [
  { label: '双方协商一致解除', value: 'mutual' }, { label: '学生个人原因解除', value: 'student' },
  { label: '用人单位原因解除', value: 'employer' }, { label: '升学、出国（境）解除', value: 'further_study' },
  { label: '其他原因解除', value: 'other' },
]
const REASON_MAX = 200

Page({
  data: { types: TYPES, type: '', reason: '', reasonMax: REASON_MAX, proof: '', notice: '', busy: false, actionError: '', fieldErrors: {} },

  onLoad(options = {}) {
    this.paperId = options.id
    this.keys = actionKeys()
    return paper.getPaperAgreement(this.paperId)
      .then(p => this.setData({ notice: p.notices.termination_proof }))
      .catch(err => this.setData({ actionError: err.message }))
  },

  onType(e) {
    this.setData({ type: e.detail.value, 'fieldErrors.type': '' })
  },

  onReason(e) {
    this.setData({ reason: e.detail.value.slice(0, REASON_MAX), 'fieldErrors.reason': '' })
  },

  downloadProof() {
    return openDocument(this.paperId, 'proof').catch(err => toast(this, err.message, 'error'))
  },

  chooseProof() {
    return new Promise(resolve => wx.chooseMedia({
      count: 1, mediaType: ['image'], sourceType: ['album', 'camera'], sizeType: ['compressed'],
      success: res => resolve(res.tempFiles[0]), fail: () => resolve(null),
    })).then(file => {
      if (!file) return
      if (file.size > 2 * 1024 * 1024) return toast(this, '解约证明不能超过2MB', 'error')
      this.setData({ proof: file.tempFilePath, 'fieldErrors.proof': '' })
    })
  },

  submit() {
    if (this.data.busy) return Promise.resolve()
    const reason = this.data.reason.trim()
    const errors = {}
    if (!this.data.type) errors.type = '请选择解约类型'
    if (!reason) errors.reason = '请填写解约原因'
    if (!this.data.proof) errors.proof = '请上传解约证明'
    if (Object.keys(errors).length) return Promise.resolve(this.setData({ fieldErrors: errors }))
    return confirmDialog(this, { title: '确定发起解约', content: '解约申请提交后需经学校审核，审核通过后协议解除。确定提交吗？', confirmBtn: '确定发起解约' })
      .then(ok => ok && this.send(reason))
  },

  send(reason) {
    this.setData({ busy: true, actionError: '' })
    return paper.requestPaperTermination(this.paperId, { type: this.data.type, reason }, this.data.proof, { idempotencyKey: this.keys.key('terminate') })
      .then(() => {
        this.keys.settle('terminate')
        toast(this, '解约申请已提交，等待学校审核', 'success')
        wx.redirectTo({ url: `/pages/student/paper/detail?id=${this.paperId}` })
      })
      .catch(err => { this.keys.settle('terminate', err); this.setData({ actionError: err.message, fieldErrors: err.fields || {} }) })
      .then(() => this.setData({ busy: false }))
  },
})
