// 签约名单: our invitations and agreements by workbench group, with the API's filters (cohort,
// school, name, major, date range), newest first. The workbench counts open it on their group.
const employer = require('../../../services/employer')
const { slashDate } = require('../../../utils/format')
const { listPage, LIST_DATA } = require('../../../utils/list-page')

const TABS = [
  { value: 'all', label: '全部' },
  { value: 'signing', label: '签约中' },
  { value: 'signed', label: '已签约' },
  { value: 'signing_failed', label: '签约失败' },
  { value: 'terminating', label: '解约中' },
  { value: 'terminated', label: '已解约' },
  { value: 'termination_failed', label: '解约失败' },
  { value: 'voided', label: '已作废' },
  { value: 'invalidated', label: '已失效' },
]
const NO_FILTERS = { name: '', cohort: '', school_code: '', major: '', from: '', to: '' }

Page({
  data: { ...LIST_DATA, tabs: TABS, status: 'all', filters: { ...NO_FILTERS }, showFilters: false, picker: '' },

  onLoad(options = {}) {
    const status = TABS.some(t => t.value === options.status) ? options.status : 'all'
    this.setData({ status })
    return this.reload()
  },

  onShow() {
    if (this.needsRefresh) {
      this.needsRefresh = false
      this.reload()
    }
  },

  ...listPage({
    load(cursor) {
      const f = this.data.filters
      const query = { status: this.data.status === 'all' ? undefined : this.data.status, cursor }
      Object.keys(f).forEach(k => { if (String(f[k]).trim()) query[k] = String(f[k]).trim() })
      return employer.listInvitations(query)
    },
    view: item => ({ ...item, invitedOn: slashDate(item.invited_at) }),
  }),

  switchTab(e) {
    if (e.detail.value === this.data.status) return Promise.resolve()
    this.setData({ status: e.detail.value })
    return this.reload()
  },

  onName(e) {
    this.setData({ 'filters.name': e.detail.value })
  },

  clearName() {
    this.setData({ 'filters.name': '' })
    return this.reload()
  },

  onFilter(e) {
    this.setData({ [`filters.${e.currentTarget.dataset.field}`]: e.detail.value })
  },

  toggleFilters() {
    this.setData({ showFilters: !this.data.showFilters })
  },

  openPicker(e) {
    this.setData({ picker: e.currentTarget.dataset.picker })
  },

  closePicker() {
    this.setData({ picker: '' })
  },

  onDate(e) {
    this.setData({ [`filters.${this.data.picker}`]: String(e.detail.value).slice(0, 10), picker: '' })
  },

  resetFilters() {
    this.setData({ filters: { ...NO_FILTERS } })
    return this.reload()
  },

  apply() {
    return this.reload()
  },

  openDetail(e) {
    this.needsRefresh = true
    wx.navigateTo({ url: `/pages/employer/invitation/detail?id=${e.currentTarget.dataset.id}` })
  },
})
