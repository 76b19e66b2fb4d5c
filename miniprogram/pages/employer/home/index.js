// 单位工作台 (phone): the workbench summary (GET /employer/home) and the invitations sent,
// newest first. Pushed messages about verification open here (pages/employer/home/index).
const config = require('../../../config')
const employer = require('../../../services/employer')
const auth = require('../../../services/auth')
const { slashDate } = require('../../../utils/format')

Page({
  data: { home: null, items: [], nextCursor: null, loading: false, loaded: false, errorMessage: '' },

  onShow() {
    return this.refresh()
  },

  onPullDownRefresh() {
    this.refresh().then(() => wx.stopPullDownRefresh())
  },

  refresh() {
    const home = employer.getHome()
      .then(h => this.setData({ home: h }))
      .catch(err => this.setData({ errorMessage: err.message }))
    return Promise.all([home, this.fetch(null)])
  },

  onReachBottom() {
    this.loadMore()
  },

  loadMore() {
    if (!this.data.nextCursor || this.data.loading) return Promise.resolve()
    return this.fetch(this.data.nextCursor)
  },

  fetch(cursor) {
    this.setData({ loading: true, errorMessage: '' })
    return employer.listInvitations({ cursor })
      .then(page => {
        const fresh = page.items.map(i => ({ ...i, invitedOn: slashDate(i.invited_at) }))
        this.setData({ items: (cursor ? this.data.items : []).concat(fresh), nextCursor: page.next_cursor || null })
      })
      .catch(err => this.setData({ errorMessage: err.message }))
      .then(() => this.setData({ loading: false, loaded: true }))
  },

  openDetail(e) {
    wx.navigateTo({ url: `/pages/employer/invitation/detail?id=${e.currentTarget.dataset.id}` })
  },

  openTermination(e) {
    wx.navigateTo({ url: `/pages/employer/termination/detail?id=${e.currentTarget.dataset.id}` })
  },

  openNotifications() {
    wx.navigateTo({ url: '/pages/notifications/index' })
  },

  logout() {
    const done = () => {
      wx.removeStorageSync(config.TOKEN_KEY)
      wx.removeStorageSync(config.ROLE_KEY)
      wx.reLaunch({ url: config.LOGIN_PAGE })
    }
    auth.logout().then(done, done)
  },
})
