// 单位注册: the employer (credit code checked by GB 32100 on the server), its nature, industry and
// place from the dictionaries, and the first user, who administers the employer's accounts.
// The answer's token logs the new user in; the licence upload comes next.
const config = require('../../../config')
const employer = require('../../../services/employer')
const directory = require('../../../services/directory')
const { fieldHandler, fieldErrorsFrom, missing, blankToNull } = require('../../../utils/form')
const { actionKeys } = require('../../../utils/idempotency')
const region = require('../../../utils/region')
const { toast } = require('../../../utils/ui')

const REQUIRED = ['name', 'credit_code', 'nature_code', 'industry_code', 'region_code', 'address', 'contact_name', 'contact_phone', 'email', 'username', 'password']

// A dictionary as a tree for t-cascader (parents first in the shipped order).
function tree(items) {
  const byCode = {}
  const roots = []
  items.forEach(o => { byCode[o.code] = { label: o.name, value: o.code } })
  items.forEach(o => {
    const node = byCode[o.code]
    const parent = o.parent && byCode[o.parent]
    if (parent) (parent.children = parent.children || []).push(node)
    else roots.push(node)
  })
  return roots
}

Page({
  data: {
    form: { name: '', credit_code: '', nature_code: '', industry_code: '', region_code: '', address: '', contact_name: '', contact_phone: '', email: '', username: '', password: '' },
    labels: {}, natureOptions: [], industryOptions: [], regionOptions: [], picker: '',
    fieldErrors: {}, loadError: '', actionError: '', submitting: false,
  },

  onLoad() {
    this.keys = actionKeys()
    return this.load()
  },

  load() {
    this.setData({ loadError: '' })
    return Promise.all([directory.getDictionary('unit_nature'), directory.getDictionary('industry'), region.topLevel()])
      .then(([natures, industries, regions]) => this.setData({
        natureOptions: natures.items.map(o => ({ label: o.name, value: o.code })),
        industryOptions: tree(industries.items),
        regionOptions: regions,
      }))
      .catch(err => this.setData({ loadError: err.message }))
  },

  onField: fieldHandler(),

  openPicker(e) {
    this.setData({ picker: e.currentTarget.dataset.picker })
  },

  closePicker() {
    this.setData({ picker: '' })
  },

  onPicked(e) {
    this.setData({ 'form.nature_code': e.detail.value[0], 'labels.nature_code': (e.detail.label || [])[0], 'fieldErrors.nature_code': '', picker: '' })
  },

  onRegionPick(e) {
    return region.expand(this.data.regionOptions, e.detail.value)
      .then(grew => grew && this.setData({ regionOptions: this.data.regionOptions }))
      .catch(err => toast(this, err.message, 'error'))
  },

  onCascaded(e) {
    const field = this.data.picker
    const { value, selectedOptions = [] } = e.detail
    this.setData({ [`form.${field}`]: value, [`labels.${field}`]: selectedOptions.map(o => o.label).join(' / '), [`fieldErrors.${field}`]: '', picker: '' })
  },

  submit() {
    if (this.data.submitting) return Promise.resolve()
    const errors = missing(this.data.form, REQUIRED)
    if (Object.keys(errors).length) return Promise.resolve(this.setData({ fieldErrors: errors, actionError: '请填写标记的内容' }))
    const body = {}
    Object.keys(this.data.form).forEach(k => { body[k] = k === 'password' ? this.data.form[k] : blankToNull(this.data.form[k]) })
    this.setData({ submitting: true, actionError: '', fieldErrors: {} })
    return employer.register(body, { idempotencyKey: this.keys.key('register') })
      .then(res => {
        this.keys.settle('register')
        wx.setStorageSync(config.TOKEN_KEY, res.token)
        wx.setStorageSync(config.ROLE_KEY, 'employer_user')
        wx.reLaunch({ url: '/pages/employer/verification/index' })
      })
      .catch(err => { this.keys.settle('register', err); this.setData({ actionError: err.message, fieldErrors: fieldErrorsFrom(err) }) })
      .then(() => this.setData({ submitting: false }))
  },
})
