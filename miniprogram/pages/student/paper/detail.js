// 线下签约详情: where the agreement stands and the student's next step — finish the draft,
// preview and generate it (two confirmations, irreversible), download and print it once
// numbered, upload the stamped scan (反馈签约材料; refused when its QR code is another
// agreement's), ask to terminate it once effective — with the flow log.
const paper = require('../../../services/paper')
const { openDocument } = require('../../../utils/paper-document')
const fmt = require('../../../utils/format')
const { actionKeys, isRetryable } = require('../../../utils/idempotency')
const { toast, confirmDialog } = require('../../../utils/ui')

const SECOND = '协议书一旦生成不可更改！生成后需经学校审核，审核期间及签约后不能再与其他单位签约。你确定生成协议书吗？'

Page({
  data: { loading: true, errorMessage: '', actionError: '', busy: false, paper: null, preview: null, flow: [], problems: [] },

  onLoad(options = {}) {
    this.paperId = options.id
    this.keys = actionKeys()
    return this.load()
  },

  onShow() {
    if (this.data.paper) return this.load()
    return undefined
  },

  load() {
    this.setData({ errorMessage: '' })
    return paper.getPaperAgreement(this.paperId)
      .then(p => this.show(p))
      .catch(err => this.setData({ errorMessage: err.message }))
      .then(() => this.setData({ loading: false }))
  },

  show(p) {
    const has = action => p.actions.includes(action)
    this.setData({
      paper: p,
      flow: p.flow.map(f => ({ ...f, when: fmt.dateTime(f.at) })).reverse(),
      problems: Object.keys(p.problems || {}).map(k => `${k}：${p.problems[k]}`),
      may: { edit: has('update'), generate: has('generate'), feedback: has('submit_scan'), terminate: has('request_termination'),
             download: !!p.agreement_no && ['awaiting_feedback', 'college_verify', 'school_verify', 'effective'].includes(p.state) },
    })
  },

  edit() {
    wx.navigateTo({ url: `/pages/student/paper/form?id=${this.paperId}` })
  },

  showPreview() {
    return paper.previewPaperAgreement(this.paperId)
      .then(preview => this.setData({ preview }))
      .catch(err => this.setData({ actionError: err.message }))
  },

  // Two confirmations (seed 003 §4.1): the notice, then "cannot be changed".
  generate() {
    if (this.data.busy) return Promise.resolve()
    return confirmDialog(this, { title: '协议书生成须知', content: this.data.paper.notices.generate, confirmBtn: '我同意' })
      .then(ok => ok && confirmDialog(this, { title: '再次确认', content: SECOND, confirmBtn: '生成协议书' }))
      .then(ok => ok && this.act('generate', () => paper.generatePaperAgreement(this.paperId, { idempotencyKey: this.keys.key('generate') }), '协议书已生成，等待学校审核'))
  },

  download() {
    return openDocument(this.paperId).catch(err => toast(this, err.message, 'error'))
  },

  // 反馈签约材料: a photo or scan of the stamped agreement.
  feedback() {
    if (this.data.busy) return Promise.resolve()
    return new Promise(resolve => wx.chooseMedia({
      count: 1, mediaType: ['image'], sourceType: ['album', 'camera'], sizeType: ['compressed'],
      success: res => resolve(res.tempFiles[0].tempFilePath), fail: () => resolve(null),
    })).then(filePath => filePath && this.act('feedback', () => paper.submitScan(this.paperId, filePath, { idempotencyKey: this.keys.key('feedback') }), '签约材料已提交，等待学校签约审核'))
  },

  terminate() {
    wx.navigateTo({ url: `/pages/student/paper/terminate?id=${this.paperId}` })
  },

  act(name, call, done) {
    this.setData({ busy: true, actionError: '' })
    return call()
      .then(p => { this.keys.settle(name); this.show(p); toast(this, done, 'success') })
      .catch(err => { this.keys.settle(name, err); this.setData({ actionError: err.message }); if (!isRetryable(err)) return this.load() })
      .then(() => this.setData({ busy: false }))
  },
})
