// 线上签约: my invitations in tabs (待处理 / 已处理 / 全部), newest first, cursor "load more".
const student = require('../../../services/student')
const { slashDate } = require('../../../utils/format')

const TABS = [
  { status: 'open', label: '待处理' },
  { status: 'done', label: '已处理' },
  { status: 'all', label: '全部' },
]

const view = item => ({ ...item, deadline: slashDate(item.deadline_date) })

Page({
  data: { tabs: TABS, status: 'open', items: [], nextCursor: null, loading: false, loaded: false, errorMessage: '' },

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

  onPullDownRefresh() {
    this.reload().then(() => wx.stopPullDownRefresh())
  },

  onReachBottom() {
    this.loadMore()
  },

  switchTab(e) {
    const status = e.currentTarget.dataset.status
    if (status === this.data.status) return Promise.resolve()
    this.setData({ status })
    return this.reload()
  },

  reload() {
    this.setData({ items: [], nextCursor: null, loaded: false })
    return this.fetch(null)
  },

  loadMore() {
    if (!this.data.nextCursor || this.data.loading) return Promise.resolve()
    return this.fetch(this.data.nextCursor)
  },

  // A response for a tab the user has already left is dropped.
  fetch(cursor) {
    const seq = (this.seq = (this.seq || 0) + 1)
    this.setData({ loading: true, errorMessage: '' })
    return student.listInvitations({ status: this.data.status, cursor })
      .then(page => {
        if (seq !== this.seq) return
        const items = (cursor ? this.data.items : []).concat(page.items.map(view))
        this.setData({ items, nextCursor: page.next_cursor || null })
      })
      .catch(err => seq === this.seq && this.setData({ errorMessage: err.message }))
      .then(() => seq === this.seq && this.setData({ loading: false, loaded: true }))
  },

  openDetail(e) {
    this.needsRefresh = true
    wx.navigateTo({ url: `/pages/student/invitation/detail?id=${e.currentTarget.dataset.id}` })
  },
})
