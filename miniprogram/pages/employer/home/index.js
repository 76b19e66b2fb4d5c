// 单位工作台 (phone): counts per status that open the filtered lists, what waits for us, the
// functions of the employer's half, and the latest letters. Pushed messages about verification
// open here (pages/employer/home/index).
const employer = require('../../../services/employer')
const { slashDate } = require('../../../utils/format')
const account = require('../../../utils/account')

const RECENT = 5

Page({
  data: { home: null, items: [], loaded: false, errorMessage: '' },

  onShow() {
    return this.refresh()
  },

  onPullDownRefresh() {
    this.refresh().then(() => wx.stopPullDownRefresh())
  },

  refresh() {
    this.setData({ errorMessage: '' })
    const fail = err => this.setData({ errorMessage: err.message })
    const home = employer.getHome().then(h => this.setData({ home: h })).catch(fail)
    const recent = employer.listInvitations({ limit: RECENT })
      .then(page => this.setData({ items: page.items.map(i => ({ ...i, invitedOn: slashDate(i.invited_at) })), loaded: true }))
      .catch(fail)
    return Promise.all([home, recent])
  },

  openGroup(e) {
    wx.navigateTo({ url: `/pages/employer/invitation/list?status=${e.currentTarget.dataset.group}` })
  },

  openDetail(e) {
    wx.navigateTo({ url: `/pages/employer/invitation/detail?id=${e.currentTarget.dataset.id}` })
  },

  openTermination(e) {
    wx.navigateTo({ url: `/pages/employer/termination/detail?id=${e.currentTarget.dataset.id}` })
  },

  openVerification() {
    wx.navigateTo({ url: '/pages/employer/verification/index' })
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
