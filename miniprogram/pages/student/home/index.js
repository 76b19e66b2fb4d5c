// 学生首页: profile, 就业状态, what waits for the student — one GET /student/home.
const student = require('../../../services/student')
const { dateTime } = require('../../../utils/format')
const subscribe = require('../../../utils/subscribe')
const account = require('../../../utils/account')
const { toast } = require('../../../utils/ui')

Page({
  data: { loading: true, home: null, since: '', errorMessage: '' },

  onShow() {
    subscribe.prepare('student_letters')
    return this.load()
  },

  onPullDownRefresh() {
    this.load().then(() => wx.stopPullDownRefresh())
  },

  load() {
    this.setData({ errorMessage: '', loading: true })
    return student.getHome()
      .then(home => this.setData({ home, since: home.destination_status ? dateTime(home.destination_status.since).slice(0, 10) : '' }))
      .catch(err => this.setData({ errorMessage: err.message }))
      .then(() => this.setData({ loading: false }))
  },

  openInvitations(e) {
    wx.navigateTo({ url: `/pages/student/invitation/list?status=${e.currentTarget.dataset.status}` })
  },

  openDestination() {
    wx.navigateTo({ url: `/pages/student/invitation/detail?id=${this.data.home.destination.id}` })
  },

  openTermination(e) {
    wx.navigateTo({ url: `/pages/student/termination/detail?id=${e.currentTarget.dataset.id}` })
  },

  // A destination without an online agreement behind it: its own list (线下签约 for now).
  openHeld(e) {
    if (e.currentTarget.dataset.kind === 'paper') this.openPaper()
  },

  openPaper() {
    wx.navigateTo({ url: '/pages/student/paper/list' })
  },

  openOtherDestinations() {
    wx.navigateTo({ url: '/pages/student/destination/index' })
  },

  openTerminations() {
    wx.navigateTo({ url: '/pages/student/termination/list' })
  },

  openNotifications() {
    wx.navigateTo({ url: '/pages/notifications/index' })
  },

  subscribe() {
    return subscribe.ask('student_letters').then(results => {
      const accepted = Object.values(results).filter(r => r === 'accept').length
      toast(this, accepted ? '已开启消息提醒' : '未开启提醒，可在右上角“设置”中管理订阅消息')
    })
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
