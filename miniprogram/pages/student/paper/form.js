// 录入协议书: 单位基本信息, 签约信息, 档案信息, 户口信息 (seed 002 §2.3.1). 暂不提交 saves whatever is
// entered (a draft, resumed later, ?id=…); the detail page previews and generates it.
const paper = require('../../../services/paper')
const directory = require('../../../services/directory')
const region = require('../../../utils/region')
const { fieldHandler, fieldErrorsFrom, toInt, blankToNull } = require('../../../utils/form')
const { actionKeys } = require('../../../utils/idempotency')
const { toast } = require('../../../utils/ui')

const EMPLOYER = { name: '', credit_code: '', industry_code: '', nature_code: '', region_code: '', postcode: '', address: '' }
const TERMS = {
  job_category_code: '', position: '', probation_days: '', probation_salary: '', regular_salary: '', liquidated_damages: '',
  report_place: '', report_deadline: '', work_region_code: '', work_address: '', contact_name: '', contact_phone: '', supplementary_terms: '',
}
const ARCHIVE = {
  archive_receiving: 'employer', archive_unit: '', archive_address: '', archive_postcode: '', archive_contact: '', archive_phone: '',
  hukou_receiving: 'not_received', hukou_address: '', hukou_reason: '',
}
const NUMBERS = ['probation_days', 'probation_salary', 'regular_salary', 'liquidated_damages']
const PICKERS = { industry: ['employer.industry_code', 'industry'], nature: ['employer.nature_code', 'employer_nature'], job: ['terms.job_category_code', 'job_category'] }

const options = res => res.items.map(o => ({ label: o.name, value: o.code }))

// Only what was entered: empty strings are left out, numbers read as numbers.
function compact(part, numbers = []) {
  const out = {}
  Object.keys(part).forEach(k => {
    const v = numbers.includes(k) ? toInt(part[k]) : blankToNull(part[k])
    if (v !== null && v !== '' && v !== undefined && !(typeof v === 'number' && Number.isNaN(v))) out[k] = v
  })
  return out
}

Page({
  data: {
    loading: true, loadError: '', busy: false, actionError: '', fieldErrors: {}, picker: '',
    form: { employer: { ...EMPLOYER }, terms: { ...TERMS }, archive: { ...ARCHIVE } },
    labels: {}, industryOptions: [], natureOptions: [], jobOptions: [], regionOptions: [],
    archiveOptions: [{ label: '签约单位接收', value: 'employer' }, { label: '转寄至档案接收单位', value: 'forward' }, { label: '单位不接收', value: 'not_received' }],
    hukouOptions: [{ label: '接收', value: 'received' }, { label: '不接收', value: 'not_received' }],
  },

  onLoad(options = {}) {
    this.paperId = options.id || null
    this.keys = actionKeys()
    return this.load()
  },

  load() {
    this.setData({ loading: true, loadError: '' })
    const dicts = Promise.all([directory.getDictionary('industry'), directory.getDictionary('unit_nature'),
      directory.getDictionary('job_category'), region.topLevel()])
      .then(([industry, nature, jobs, regions]) => this.setData({
        industryOptions: options(industry), natureOptions: options(nature), jobOptions: options(jobs), regionOptions: regions,
      }))
    const draft = this.paperId ? paper.getPaperAgreement(this.paperId).then(p => this.fill(p)) : Promise.resolve()
    return Promise.all([dicts, draft])
      .catch(err => this.setData({ loadError: err.message }))
      .then(() => this.setData({ loading: false }))
  },

  fill(p) {
    const c = p.content || {}
    const form = {
      employer: { ...EMPLOYER, ...(c.employer || {}) },
      terms: { ...TERMS, ...(c.terms || {}) },
      archive: { ...ARCHIVE, ...(c.archive || {}) },
    }
    Object.values(form).forEach(part => Object.keys(part).forEach(k => { if (part[k] === null) part[k] = '' }))
    this.setData({ form, labels: { ...(p.labels || {}) } })
  },

  onField: fieldHandler(),

  openPicker(e) {
    this.setData({ picker: e.currentTarget.dataset.picker })
  },

  closePicker() {
    this.setData({ picker: '' })
  },

  onPicked(e) {
    const [field, label] = PICKERS[this.data.picker]
    this.setData({ [`form.${field}`]: e.detail.value[0], [`labels.${label}`]: (e.detail.label || [])[0], picker: '' })
  },

  onDeadlinePicked(e) {
    this.setData({ 'form.terms.report_deadline': String(e.detail.value).slice(0, 10), picker: '' })
  },

  onRegionPick(e) {
    return region.expand(this.data.regionOptions, e.detail.value)
      .then(grew => grew && this.setData({ regionOptions: this.data.regionOptions }))
      .catch(err => toast(this, err.message, 'error'))
  },

  onRegionChange(e) {
    const { value, selectedOptions = [] } = e.detail
    const work = this.data.picker === 'work_region'
    const label = selectedOptions.map(o => o.label).join(' ')
    this.setData(work ? { 'form.terms.work_region_code': value, 'labels.work_region': label, picker: '' }
      : { 'form.employer.region_code': value, 'labels.employer_region': label, picker: '' })
  },

  content() {
    const f = this.data.form
    return { employer: compact(f.employer), terms: compact(f.terms, NUMBERS), archive: compact(f.archive) }
  },

  // 暂不提交: save the draft as it stands, then its page (preview, generate).
  save() {
    if (this.data.busy) return Promise.resolve()
    this.setData({ busy: true, actionError: '', fieldErrors: {} })
    const content = this.content()
    const call = this.paperId
      ? paper.updatePaperAgreement(this.paperId, content, { idempotencyKey: this.keys.key('save') })
      : paper.createPaperAgreement(content, { idempotencyKey: this.keys.key('save') })
    return call
      .then(p => {
        this.keys.settle('save')
        toast(this, '已保存（暂不提交）', 'success')
        wx.redirectTo({ url: `/pages/student/paper/detail?id=${p.id}` })
      })
      .catch(err => { this.keys.settle('save', err); this.setData({ actionError: err.message, fieldErrors: fieldErrorsFrom(err) }) })
      .then(() => this.setData({ busy: false }))
  },
})
