// 录入 / 修改其他去向: the category, its sub-category, the category's own fields, 派遣信息 where
// the category has it, 档案信息 (to the house number; hukou address or 未迁入); 暂存 or 保存并送审.
// Categories that ask for evidence are saved first and sent from the detail page after upload.
const destinations = require('../../../services/destinations')
const region = require('../../../utils/region')
const form = require('../../../utils/destination-form')
const { actionKeys, isRetryable } = require('../../../utils/idempotency')
const { toast } = require('../../../utils/ui')

const EMPTY = { category_code: '', subcategory_code: '', fields: {}, dispatch: {}, archive: { hukou_not_moved: false } }

Page({
  data: {
    loading: true, loadError: '', actionError: '', saving: false,
    categories: [], categoryOptions: [], childOptions: [], spec: null, fields: [],
    form: EMPTY, labels: {}, errors: {}, regionOptions: [], regionTarget: '', regionValue: '',
  },

  onLoad(options = {}) {
    this.destinationId = options.id || null
    this.keys = actionKeys()
    return this.load()
  },

  load() {
    this.setData({ loadError: '' })
    const saved = this.destinationId ? destinations.getDestination(this.destinationId) : Promise.resolve(null)
    return Promise.all([destinations.getCategories(), saved, region.topLevel()])
      .then(([categories, d, regions]) => {
        const labels = {}
        if (d) {
          Object.keys(d.fields || {}).forEach(k => { if (d.labels && d.labels[d.fields[k]]) labels[`fields.${k}`] = d.labels[d.fields[k]] })
          const code = d.dispatch && d.dispatch.region_code
          if (code && d.labels && d.labels[code]) labels['dispatch.region_code'] = d.labels[code]
        }
        this.setData({
          categories: categories.items, regionOptions: regions, labels,
          categoryOptions: categories.items.map(c => ({ label: c.name, value: c.code })),
          form: d ? form.formOf(d) : EMPTY,
        })
        this.refresh()
      })
      .catch(err => this.setData({ loadError: err.message }))
      .then(() => this.setData({ loading: false }))
  },

  // The form of the chosen category, with its choices settled and each field's value and error.
  refresh(errors = this.data.errors) {
    const f = this.data.form
    const category = this.data.categories.find(c => c.code === f.category_code)
    const spec = form.specOf(this.data.categories, f.category_code, f.subcategory_code)
    const values = form.settleChoices(spec, f.fields)
    const labels = {}
    Object.keys(this.data.labels).forEach(k => { if (k.startsWith('fields.')) labels[k.slice(7)] = this.data.labels[k] })
    this.setData({
      spec, errors, 'form.fields': values,
      childOptions: ((category && category.children) || []).map(c => ({ label: c.name, value: c.code })),
      fields: form.fieldViews(spec, values, labels, errors),
    })
  },

  onCategory(e) {
    this.setData({ 'form.category_code': e.detail.value, 'form.subcategory_code': '', 'form.fields': {}, 'form.dispatch': {} })
    this.refresh({})
  },

  onSubcategory(e) {
    this.setData({ 'form.subcategory_code': e.detail.value })
    this.refresh({})
  },

  onFieldInput(e) {
    this.setData({ [`form.fields.${e.currentTarget.dataset.key}`]: e.detail.value })
    this.refresh({ ...this.data.errors, [`fields.${e.currentTarget.dataset.key}`]: '' })
  },

  onChoice(e) {
    this.setData({ [`form.fields.${e.currentTarget.dataset.key}`]: e.detail.value })
    this.refresh({ ...this.data.errors, [`fields.${e.currentTarget.dataset.key}`]: '' })
  },

  onPathInput(e) {
    const path = e.currentTarget.dataset.path
    this.setData({ [`form.${path}`]: e.detail.value, [`errors.${path}`]: '' })
  },

  onHukouSwitch(e) {
    this.setData({ 'form.archive.hukou_not_moved': !!e.detail.value, 'errors.archive.hukou_address': '' })
  },

  openRegion(e) {
    const target = e.currentTarget.dataset.target
    const [part, key] = target.split('.')
    this.setData({ regionTarget: target, regionValue: (this.data.form[part] || {})[key] || '' })
  },

  closeRegion() {
    this.setData({ regionTarget: '' })
  },

  onRegionPick(e) {
    return region.expand(this.data.regionOptions, e.detail.value)
      .then(grew => grew && this.setData({ regionOptions: this.data.regionOptions }))
  },

  onRegionChange(e) {
    const { value, selectedOptions = [] } = e.detail
    const target = this.data.regionTarget
    // labels are keyed by the whole path ("fields.institution_region"), not nested under it
    const labels = { ...this.data.labels, [target]: selectedOptions.map(o => o.label).join(' ') }
    this.setData({ [`form.${target}`]: value, labels, regionTarget: '' })
    this.refresh({ ...this.data.errors, [target]: '' })
  },

  save(e) {
    if (this.data.saving) return Promise.resolve()
    const submit = !!e.currentTarget.dataset.submit
    const action = submit ? 'send' : 'save'
    this.setData({ saving: true, actionError: '' })
    const body = form.body(this.data.form, this.data.spec)
    return destinations.saveDestination(this.destinationId, body, submit, { idempotencyKey: this.keys.key(action) })
      .then(d => {
        this.keys.settle(action)
        toast(this, submit ? '已送审' : '已暂存', 'success')
        wx.redirectTo({ url: `/pages/student/destination/detail?id=${d.id}` })
      })
      .catch(err => {
        this.keys.settle(action, err)
        this.setData({ actionError: err.message })
        this.refresh(err.fields || {})
        if (!isRetryable(err)) this.keys.settle(action, err)
      })
      .then(() => this.setData({ saving: false }))
  },
})
