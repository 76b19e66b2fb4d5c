// 纸质签约: my paper agreements and 录入协议书 (when no paper agreement is in progress and no other
// destination is held; the API says why not).
const paper = require('../../../services/paper')

Page({
  data: { loading: true, loaded: false, errorMessage: '', items: [], canCreate: false, blocker: '' },

  onLoad() {
    return this.load()
  },

  onShow() {
    if (this.data.loaded) return this.load()
    return undefined
  },

  onPullDownRefresh() {
    return this.load().then(() => wx.stopPullDownRefresh())
  },

  load() {
    this.setData({ loading: true, errorMessage: '' })
    return paper.listPaperAgreements()
      .then(res => this.setData({ items: res.items, canCreate: res.can_create, blocker: res.blocker || '' }))
      .catch(err => this.setData({ errorMessage: err.message }))
      .then(() => this.setData({ loading: false, loaded: true }))
  },

  open(e) {
    wx.navigateTo({ url: `/pages/student/paper/detail?id=${e.currentTarget.dataset.id}` })
  },

  create() {
    wx.navigateTo({ url: '/pages/student/paper/form' })
  },
})
