// 签约邀请函: compose a letter for the students picked in the 签约发送列表 (?students=1,2) or
// modify one (?id=12, a new revision). Every term of SPEC §4; dictionary pickers; archive and
// hukou from the 户档信息 by default; the checks before sending and the preview; then send.
const employer = require('../../../services/employer')
const directory = require('../../../services/directory')
const region = require('../../../utils/region')
const fmt = require('../../../utils/format')
const { fieldHandler, fieldErrorsFrom, missing, toInt, blankToNull } = require('../../../utils/form')
const { actionKeys, isRetryable } = require('../../../utils/idempotency')
const { toast, confirmDialog } = require('../../../utils/ui')
const subscribe = require('../../../utils/subscribe')

const BLANK_ARCHIVE = {
  archive_receiving: 'employer', archive_unit: '', archive_address: '', archive_postcode: '', archive_contact: '', archive_phone: '',
  hukou_receiving: 'not_received', hukou_address: '', hukou_reason: '',
}
const REQUIRED = ['job_category_code', 'position', 'probation_days', 'probation_salary', 'regular_salary', 'liquidated_damages', 'report_deadline', 'work_region_code', 'contact_name', 'contact_phone']
const NUMBERS = ['feedback_days', 'probation_days', 'probation_salary', 'regular_salary', 'liquidated_damages']

const today = () => {
  const d = new Date()
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`
}


Page({
  data: {
    mode: 'new', loading: true, loadError: '', recipients: [], recipientNames: '',
    form: {
      job_category_code: '', position: '', feedback_days: 5, probation_days: '', probation_salary: '', regular_salary: '',
      liquidated_damages: '', report_place: '', report_deadline: '', work_region_code: '', work_address: '',
      contact_name: '', contact_phone: '', supplementary_terms: '', archive: { ...BLANK_ARCHIVE },
    },
    labels: {}, jobOptions: [], regionOptions: [], today: today(), picker: '',
    archiveOptions: [{ label: '签约单位接收', value: 'employer' }, { label: '转寄至档案接收单位', value: 'forward' }, { label: '单位不接收', value: 'not_received' }],
    hukouOptions: [{ label: '接收', value: 'received' }, { label: '不接收', value: 'not_received' }],
    hasProfile: false, useProfile: false,
    fieldErrors: {}, actionError: '', checks: [], blocked: false, preview: null, previewRows: [], busy: false, sent: null, failures: [],
  },

  onLoad(options = {}) {
    this.keys = actionKeys()
    this.invitationId = options.id || null
    this.studentIds = (options.students || '').split(',').map(Number).filter(n => n > 0)
    this.setData({ mode: this.invitationId ? 'modify' : 'new' })
    subscribe.prepare(this.invitationId ? 'employer_modified' : 'employer_sent')
    return this.load()
  },

  load() {
    this.setData({ loading: true, loadError: '' })
    const dicts = Promise.all([directory.getDictionary('job_category'), region.topLevel()])
      .then(([jobs, regions]) => this.setData({ jobOptions: jobs.items.map(o => ({ label: o.name, value: o.code })), regionOptions: regions }))
    const profile = employer.getArchiveProfile().then(p => {
      if (this.invitationId) return
      const has = !!p.profile
      this.setData({ hasProfile: has, useProfile: has, 'form.archive': has ? { ...BLANK_ARCHIVE, ...p.profile } : { ...BLANK_ARCHIVE } })
    })
    const who = this.invitationId ? this.loadLetter() : this.loadRecipients()
    return Promise.all([dicts, profile, who])
      .catch(err => this.setData({ loadError: err.message }))
      .then(() => this.setData({ loading: false }))
  },

  // The names of the picked favorites (the send list holds at most a few pages).
  loadRecipients() {
    return employer.listFavorites({ limit: 100 }).then(page => {
      const picked = page.items.filter(f => this.studentIds.includes(f.student_id))
      this.setData({ recipients: this.studentIds, recipientNames: picked.map(f => f.name).join('、') })
    })
  },

  // 修改邀约: the current terms, archive included, as the starting point.
  loadLetter() {
    return employer.getInvitation(this.invitationId).then(detail => {
      const t = detail.terms
      const form = { ...this.data.form }
      Object.keys(form).forEach(k => { if (k !== 'archive' && t[k] !== undefined && t[k] !== null) form[k] = t[k] })
      form.archive = { ...BLANK_ARCHIVE, ...(t.archive || {}) }
      Object.keys(form.archive).forEach(k => { if (form.archive[k] === null) form.archive[k] = '' })
      this.setData({ form, labels: detail.labels || {}, recipientNames: `${detail.student.name}（第${detail.revision}版 → 第${detail.revision + 1}版）`, useProfile: false })
    })
  },

  onField: fieldHandler(),

  toggleProfile(e) {
    this.setData({ useProfile: !!e.detail.value })
  },

  openPicker(e) {
    this.setData({ picker: e.currentTarget.dataset.picker })
  },

  closePicker() {
    this.setData({ picker: '' })
  },

  onJobPicked(e) {
    const [code] = e.detail.value
    const [label] = e.detail.label || []
    this.setData({ 'form.job_category_code': code, 'labels.job_category': label, 'fieldErrors.job_category_code': '', picker: '' })
  },

  onDeadlinePicked(e) {
    this.setData({ 'form.report_deadline': String(e.detail.value).slice(0, 10), 'fieldErrors.report_deadline': '', picker: '' })
  },

  // The region tree is read a level at a time, as the user goes down it.
  onRegionPick(e) {
    return region.expand(this.data.regionOptions, e.detail.value)
      .then(grew => grew && this.setData({ regionOptions: this.data.regionOptions }))
      .catch(err => toast(this, err.message, 'error'))
  },

  onRegionChange(e) {
    const { value, selectedOptions = [] } = e.detail
    this.setData({ 'form.work_region_code': value, 'labels.work_region': selectedOptions.map(o => o.label).join(' '), 'fieldErrors.work_region_code': '', picker: '' })
  },

  // InvitationTerms as the API reads it; null when a required term is missing (flagged).
  terms() {
    const f = this.data.form
    const errors = missing(f, REQUIRED)
    if (Object.keys(errors).length) {
      this.setData({ fieldErrors: errors, actionError: '请填写标记为必填的内容' })
      return null
    }
    const terms = {}
    Object.keys(f).forEach(k => {
      if (k === 'archive') return
      terms[k] = NUMBERS.includes(k) ? toInt(f[k]) : blankToNull(f[k])
    })
    if (this.data.useProfile) {
      terms.archive = null
    } else {
      const a = {}
      Object.keys(f.archive).forEach(k => { a[k] = blankToNull(f.archive[k]) })
      terms.archive = a
    }
    return terms
  },

  refused(err) {
    const fields = fieldErrorsFrom(err, this.invitationId ? '' : 'terms.')
    this.setData({ fieldErrors: fields, actionError: fields.terms || err.message })
  },

  checkAndPreview() {
    if (this.data.busy) return Promise.resolve()
    const terms = this.terms()
    if (!terms) return Promise.resolve()
    this.setData({ busy: true, actionError: '', fieldErrors: {} })
    return Promise.all([employer.checkLetter(this.studentIds, terms), employer.previewInvitation(this.studentIds[0], terms)])
      .then(([checked, preview]) => {
        const rows = fmt.termRows(preview.terms, this.data.labels).concat(fmt.archiveRows(preview.terms.archive), fmt.hukouRows(preview.terms.archive))
        this.setData({ checks: checked.checks, blocked: checked.checks.some(c => c.level === 'error'), preview, previewRows: rows })
      })
      .catch(err => this.refused(err))
      .then(() => this.setData({ busy: false }))
  },

  // The news of the letter comes later: ask for it in this tap, then confirm, then send.
  send() {
    if (this.data.busy || this.data.blocked) return Promise.resolve()
    const terms = this.terms()
    if (!terms) return Promise.resolve()
    return subscribe.ask('employer_sent')
      .then(() => confirmDialog(this, { title: '发送签约邀请', content: `将向 ${this.studentIds.length} 名学生发送签约邀请，学生会收到通知。确定发送吗？`, confirmBtn: '发送' }))
      .then(ok => ok && this.deliver(terms))
  },

  deliver(terms) {
    if (this.data.busy) return Promise.resolve()
    this.setData({ busy: true, actionError: '', fieldErrors: {} })
    return employer.sendInvitations(this.studentIds, terms, { idempotencyKey: this.keys.key('send') })
      .then(res => {
        this.keys.settle('send')
        const names = {}
        this.data.recipientNames.split('、').forEach((name, i) => { names[this.studentIds[i]] = name })
        this.setData({ sent: res, failures: res.results.filter(r => !r.ok).map(r => ({ ...r, name: names[r.student_id] || `学生 ${r.student_id}` })) })
      })
      .catch(err => { this.keys.settle('send', err); if (!isRetryable(err)) this.refused(err); else this.setData({ actionError: err.message }) })
      .then(() => this.setData({ busy: false }))
  },

  saveModification() {
    if (this.data.busy) return Promise.resolve()
    const terms = this.terms()
    if (!terms) return Promise.resolve()
    subscribe.ask('employer_modified')
    this.setData({ busy: true, actionError: '', fieldErrors: {} })
    return employer.modifyInvitation(this.invitationId, terms, { idempotencyKey: this.keys.key('modify') })
      .then(() => {
        this.keys.settle('modify')
        toast(this, '已修改，等待学生确认', 'success')
        wx.redirectTo({ url: `/pages/employer/invitation/detail?id=${this.invitationId}` })
      })
      .catch(err => { this.keys.settle('modify', err); this.refused(err) })
      .then(() => this.setData({ busy: false }))
  },

  done() {
    wx.redirectTo({ url: '/pages/employer/invitation/list?status=signing' })
  },
})
