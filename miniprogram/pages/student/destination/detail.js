// 其他去向 detail (pushed messages open pages/student/destination/detail?id=…): what was
// registered, the evidence, what 送审 still needs; 修改, 上传证明材料, 送审, 撤回 and 申请注销 as the
// API's allowed_actions say.
const destinations = require('../../../services/destinations')
const { actionKeys, isRetryable } = require('../../../utils/idempotency')
const { toast, confirmDialog } = require('../../../utils/ui')
const { specOf } = require('../../../utils/destination-form')

const PURPOSES = { evidence: '证明材料', cancellation: '注销证明材料' }

// The registered fields in the category's order and words (region codes by name, choices by label).
function rowsOf(d, spec) {
  const labels = d.labels || {}
  const fields = d.fields || {}
  return ((spec && spec.fields) || []).filter(f => fields[f.key]).map(f => {
    const value = fields[f.key]
    if (f.type === 'region') return { label: f.label, value: labels[value] || value }
    if (f.type === 'choice') return { label: f.label, value: ((f.options || []).find(o => o.value === value) || {}).label || value }
    return { label: f.label, value: String(value) }
  })
}

function viewOf(d, spec) {
  const allowed = d.allowed_actions || []
  return {
    rows: rowsOf(d, spec),
    files: (d.files || []).map((f, i) => ({ id: f.id, label: `${PURPOSES[f.purpose] || f.purpose}${i + 1}`, size: `${Math.ceil(f.size / 1024)} KB` })),
    missing: Object.keys(d.incomplete || {}).map(k => d.incomplete[k]),
    mayEdit: allowed.includes('edit'),
    maySubmit: allowed.includes('submit'),
    mayWithdraw: allowed.includes('withdraw'),
    mayCancel: allowed.includes('request_cancel'),
  }
}

Page({
  data: { loading: true, errorMessage: '', actionError: '', d: null, view: {}, submitting: false, dialog: '', reason: '', reasonError: '' },

  onLoad(options = {}) {
    this.destinationId = options.id
    this.keys = actionKeys()
    return this.load()
  },

  onShow() {
    if (this.data.d) return this.load()
    return undefined
  },

  load() {
    this.setData({ errorMessage: '' })
    const categories = this.categories ? Promise.resolve(this.categories) : destinations.getCategories()
    return Promise.all([destinations.getDestination(this.destinationId), categories])
      .then(([d, c]) => {
        this.categories = c
        this.show(d)
      })
      .catch(err => this.setData({ errorMessage: err.message }))
      .then(() => this.setData({ loading: false }))
  },

  show(d) {
    const spec = specOf((this.categories || {}).items, d.category_code, d.subcategory_code)
    this.setData({ d, view: viewOf(d, spec) })
  },

  edit() {
    wx.navigateTo({ url: `/pages/student/destination/form?id=${this.destinationId}` })
  },

  act(action, call, done) {
    this.setData({ submitting: true, actionError: '' })
    return call(this.keys.key(action))
      .then(d => {
        this.keys.settle(action)
        this.show(d)
        toast(this, done, 'success')
        return true
      })
      .catch(err => {
        this.keys.settle(action, err)
        this.setData({ actionError: err.message })
        if (!isRetryable(err)) return this.load().then(() => false)
        return false
      })
      .then(ok => { this.setData({ submitting: false }); return ok })
  },

  submit() {
    return confirmDialog(this, { title: '保存并送审', content: '送审后将等待学校审核，审核期间可以撤回。确定送审吗？', confirmBtn: '送审' })
      .then(ok => ok && this.act('submit', key => destinations.submitDestination(this.destinationId, { idempotencyKey: key }), '已送审'))
  },

  withdraw() {
    return confirmDialog(this, { title: '撤回送审', content: '撤回后登记回到暂存，可修改后重新送审。确定撤回吗？', confirmBtn: '撤回' })
      .then(ok => ok && this.act('withdraw', key => destinations.withdrawDestination(this.destinationId, { idempotencyKey: key }), '已撤回'))
  },

  chooseEvidence() {
    return new Promise(resolve => {
      wx.chooseMedia({
        count: 1, mediaType: ['image'], sizeType: ['compressed'],
        success: res => resolve(res.tempFiles[0].tempFilePath),
        fail: () => resolve(null),
      })
    }).then(filePath => filePath && this.act('upload', key => destinations.uploadEvidence(this.destinationId, filePath, { idempotencyKey: key }), '已上传'))
  },

  openCancel() {
    this.setData({ dialog: 'cancel', reason: '', reasonError: '', actionError: '' })
  },

  closeDialog() {
    if (!this.data.submitting) this.setData({ dialog: '' })
  },

  onReasonInput(e) {
    this.setData({ reason: e.detail.value.slice(0, 200), reasonError: '' })
  },

  cancel() {
    const reason = this.data.reason.trim()
    if (!reason) return Promise.resolve(this.setData({ reasonError: '请填写注销原因' }))
    return this.act('cancel', key => destinations.cancelDestination(this.destinationId, reason, null, { idempotencyKey: key }), '注销申请已提交')
      .then(ok => ok && this.setData({ dialog: '' }))
  },
})
