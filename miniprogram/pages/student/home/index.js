// 学生首页: profile, destination, what waits for the student — one GET /student/home.
const config = require('../../../config')
const student = require('../../../services/student')
const auth = require('../../../services/auth')
const { educationLevel } = require('../../../utils/format')

Page({
  data: { loading: true, home: null, educationLabel: '', errorMessage: '' },

  onShow() {
    this.load()
  },

  onPullDownRefresh() {
    this.load().then(() => wx.stopPullDownRefresh())
  },

  load() {
    this.setData({ errorMessage: '' })
    return student.getHome()
      .then(home => this.setData({ home, educationLabel: educationLevel(home.profile.education_level) }))
      .catch(err => this.setData({ errorMessage: err.message }))
      .then(() => this.setData({ loading: false }))
  },

  openInvitations(e) {
    wx.navigateTo({ url: `/pages/student/invitation/list?status=${e.currentTarget.dataset.status}` })
  },

  openDestination() {
    wx.navigateTo({ url: `/pages/student/invitation/detail?id=${this.data.home.destination.id}` })
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
