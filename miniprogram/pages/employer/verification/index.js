// 单位认证: the verification status, the reason of a rejection, the evidence on file, and the
// licence scan chosen on the phone (TDesign's uploader, wx.chooseMedia) sent as multipart.
const employer = require('../../../services/employer')
const { dateTime } = require('../../../utils/format')
const { actionKeys } = require('../../../utils/idempotency')
const { toast } = require('../../../utils/ui')
const subscribe = require('../../../utils/subscribe')

const KINDS = { licence: '营业执照（或法人证书）', authorisation: '授权委托书' }
const THEMES = { pending: 'warning', approved: 'success', rejected: 'error' }
const WORDS = {
  pending: '材料提交后由平台或学校审核，结果会通知你。审核通过前不能搜索学生或发送邀约。',
  approved: '单位已通过认证，可以搜索学生并发送签约邀请。',
  rejected: '请根据未通过原因重新上传材料。',
}

Page({
  data: { loading: true, loadError: '', actionError: '', v: null, theme: 'default', description: '', evidence: [], files: [], submitting: false },

  onLoad() {
    this.keys = actionKeys()
    subscribe.prepare('employer_verification')
    return this.load()
  },

  load() {
    this.setData({ loadError: '' })
    return employer.getVerification()
      .then(v => this.show(v))
      .catch(err => this.setData({ loadError: err.message }))
      .then(() => this.setData({ loading: false }))
  },

  show(v) {
    const status = v.verification_status
    const pendingNoEvidence = status === 'pending' && !v.evidence.length
    this.setData({
      v,
      theme: THEMES[status] || 'default',
      description: pendingNoEvidence ? '请上传营业执照扫描件以完成单位认证。' : WORDS[status],
      evidence: v.evidence.map(e => ({ label: KINDS[e.kind] || e.kind, when: dateTime(e.uploaded_at) })),
    })
  },

  // t-upload chose the picture (wx.chooseMedia inside it); we keep it until 提交.
  onAdd(e) {
    const [file] = e.detail.files
    if (file) this.setData({ files: [{ url: file.url, name: file.name || 'licence', type: 'image' }], actionError: '' })
  },

  onRemove() {
    this.setData({ files: [] })
  },

  submit() {
    if (this.data.submitting || !this.data.files.length) return Promise.resolve()
    subscribe.ask('employer_verification')
    this.setData({ submitting: true, actionError: '' })
    return employer.submitLicence(this.data.files[0].url, { idempotencyKey: this.keys.key('licence') })
      .then(v => { this.keys.settle('licence'); this.show(v); this.setData({ files: [] }); toast(this, '材料已提交，等待审核', 'success') })
      .catch(err => { this.keys.settle('licence', err); this.setData({ actionError: err.message }) })
      .then(() => this.setData({ submitting: false }))
  },
})
