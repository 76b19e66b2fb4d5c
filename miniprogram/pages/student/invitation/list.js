// 线上签约: my invitations in tabs (待处理 / 已处理 / 全部), filtered by the employer's name,
// newest first, cursor "load more".
const student = require('../../../services/student')
const { slashDate } = require('../../../utils/format')
const { listPage, LIST_DATA } = require('../../../utils/list-page')

const TABS = [
  { status: 'open', label: '待处理' },
  { status: 'done', label: '已处理' },
  { status: 'all', label: '全部' },
]

Page({
  data: { ...LIST_DATA, tabs: TABS, status: 'open', employerName: '' },

  onLoad(options = {}) {
    const status = TABS.some(t => t.status === options.status) ? options.status : 'open'
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
      return student.listInvitations({ status: this.data.status, employerName: this.data.employerName.trim(), cursor })
    },
    view: item => ({ ...item, deadline: slashDate(item.deadline_date) }),
  }),

  switchTab(e) {
    const status = e.detail.value
    if (status === this.data.status) return Promise.resolve()
    this.setData({ status })
    return this.reload()
  },

  onSearchInput(e) {
    this.setData({ employerName: e.detail.value })
  },

  search() {
    return this.reload()
  },

  clearSearch() {
    this.setData({ employerName: '' })
    return this.reload()
  },

  openDetail(e) {
    this.needsRefresh = true
    wx.navigateTo({ url: `/pages/student/invitation/detail?id=${e.currentTarget.dataset.id}` })
  },
})
