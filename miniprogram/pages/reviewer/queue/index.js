// 待审核列表: tabs 网上签约 / 解约, what waits for my review (the API's default status), newest
// last action first, cursor "load more", pull-down refresh; items past the school's service
// level are marked 已超时 and can be shown alone.
const reviewer = require('../../../services/reviewer')
const { dateTime } = require('../../../utils/format')
const { listPage, LIST_DATA } = require('../../../utils/list-page')

const TABS = [
  { kind: 'signing', label: '网上签约' },
  { kind: 'termination', label: '解约' },
]
const INITIATORS = { student: '学生', employer: '用人单位' }

function view(item) {
  return {
    ...item,
    when: dateTime(item.last_action_at),
    initiator: INITIATORS[item.initiated_by] || '',
    overdueLabel: item.overdue ? `已超时${item.age_days ? `（已等待${item.age_days}个工作日）` : ''}` : '',
  }
}

Page({
  data: { ...LIST_DATA, tabs: TABS, kind: 'signing', overdue: false, q: '' },

  onLoad(options = {}) {
    const kind = TABS.some(t => t.kind === options.kind) ? options.kind : 'signing'
    this.setData({ kind, overdue: options.overdue === '1' || options.overdue === 'true' })
    return this.reload()
  },

  // Back from a decided item: it has left the queue.
  onShow() {
    if (this.needsRefresh) {
      this.needsRefresh = false
      return this.reload()
    }
    return Promise.resolve()
  },

  ...listPage({
    load(cursor) {
      const filters = { overdue: this.data.overdue, q: this.data.q.trim() || undefined, cursor }
      return this.data.kind === 'signing' ? reviewer.listSignings(filters) : reviewer.listTerminations(filters)
    },
    view,
  }),

  switchTab(e) {
    const kind = e.detail.value
    if (kind === this.data.kind) return Promise.resolve()
    this.setData({ kind })
    return this.reload()
  },

  toggleOverdue(e) {
    this.setData({ overdue: !!e.detail.value })
    return this.reload()
  },

  onSearchInput(e) {
    this.setData({ q: e.detail.value })
  },

  search() {
    return this.reload()
  },

  clearSearch() {
    this.setData({ q: '' })
    return this.reload()
  },

  openDetail(e) {
    this.needsRefresh = true
    wx.navigateTo({ url: `/pages/reviewer/${this.data.kind}/index?id=${e.currentTarget.dataset.id}` })
  },
})
