// 签约发起: pick the school by name (not its code), then the exact search of seed 002 §2.1.1
// (school, cohort, name, phone or ID number); a found student joins the 签约发送列表.
const employer = require('../../../services/employer')
const directory = require('../../../services/directory')
const { fieldHandler, missing } = require('../../../utils/form')
const { toast } = require('../../../utils/ui')
const { actionKeys } = require('../../../utils/idempotency')

Page({
  data: {
    schoolQuery: '', schools: [], school: null,
    form: { cohort: String(new Date().getFullYear()), name: '', phone_or_id: '' },
    fieldErrors: {}, errorMessage: '', results: [], searched: false, searching: false, adding: false,
  },

  onLoad() {
    this.keys = actionKeys()
  },

  onField: fieldHandler(),

  // Schools as the user types (a late answer to an older query is dropped).
  onSchoolQuery(e) {
    const q = e.detail.value.trim()
    this.setData({ schoolQuery: e.detail.value, 'fieldErrors.school_code': '' })
    const seq = (this.schoolSeq = (this.schoolSeq || 0) + 1)
    if (!q) return Promise.resolve(this.setData({ schools: [] }))
    return directory.findSchools(q)
      .then(res => seq === this.schoolSeq && this.setData({ schools: res.items }))
      .catch(err => this.setData({ errorMessage: err.message }))
  },

  chooseSchool(e) {
    this.setData({ school: this.data.schools[e.currentTarget.dataset.index], schools: [] })
  },

  changeSchool() {
    this.setData({ school: null, schoolQuery: '' })
  },

  search() {
    if (this.data.searching) return Promise.resolve()
    const form = this.data.form
    const errors = missing(form, ['cohort', 'name', 'phone_or_id'])
    if (!this.data.school) errors.school_code = '请选择学校'
    if (!errors.cohort && !/^20\d{2}$/.test(String(form.cohort))) errors.cohort = '毕业年度应为4位年份'
    if (Object.keys(errors).length) return Promise.resolve(this.setData({ fieldErrors: errors }))
    this.setData({ searching: true, errorMessage: '', fieldErrors: {} })
    return employer.searchStudents({ school_code: this.data.school.code, cohort: Number(form.cohort), name: form.name.trim(), phone_or_id: form.phone_or_id.trim() })
      .then(res => this.setData({ results: res.items, searched: true }))
      .catch(err => this.setData({ errorMessage: err.message, fieldErrors: err.fields || {}, results: [] }))
      .then(() => this.setData({ searching: false }))
  },

  add(e) {
    if (this.data.adding) return Promise.resolve()
    const index = e.currentTarget.dataset.index
    const student = this.data.results[index]
    this.setData({ adding: true })
    return employer.addFavorite(student.id, { idempotencyKey: this.keys.key(`add-${student.id}`) })
      .then(() => {
        this.keys.settle(`add-${student.id}`)
        this.setData({ [`results[${index}].in_favorites`]: true })
        toast(this, '已加入签约发送列表', 'success')
      })
      .catch(err => { this.keys.settle(`add-${student.id}`, err); toast(this, err.message, 'error') })
      .then(() => this.setData({ adding: false }))
  },

  openFavorites() {
    wx.navigateTo({ url: '/pages/employer/favorites/index' })
  },
})
