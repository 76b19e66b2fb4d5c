// 审核员首页 (phone): what waits for me in each queue and how much of it is past the school's
// service level. The service-level pushes (review_overdue, review_overdue_escalated) open here.
const reviewer = require('../../../services/reviewer')
const account = require('../../../utils/account')

const ROLES = { college_reviewer: '学院审核员', school_reviewer: '学校审核员' }

Page({
  data: { home: null, roleLabel: '', errorMessage: '' },

  onShow() {
    return this.refresh()
  },

  onPullDownRefresh() {
    return this.refresh().then(() => wx.stopPullDownRefresh())
  },

  refresh() {
    this.setData({ errorMessage: '' })
    return reviewer.getHome()
      .then(home => this.setData({ home, roleLabel: ROLES[home.role] || home.role }))
      .catch(err => this.setData({ errorMessage: err.message }))
  },

  // data-kind: signing | termination; data-overdue: only the items past the service level.
  openQueue(e) {
    const { kind, overdue } = e.currentTarget.dataset
    wx.navigateTo({ url: `/pages/reviewer/queue/index?kind=${kind}${overdue ? '&overdue=1' : ''}` })
  },

  go(e) {
    wx.navigateTo({ url: e.currentTarget.dataset.url })
  },

  scan() {
    return account.scanDesktopCode(this)
  },

  unbind() {
    return account.unbind(this)
  },

  logout() {
    return account.logout()
  },
})
