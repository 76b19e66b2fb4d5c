// 其他去向: the notice, my registrations (the open one and those cancelled before it), 录入其他去向.
const destinations = require('../../../services/destinations')
const { dateTime } = require('../../../utils/format')

Page({
  data: { loading: true, errorMessage: '', notice: '', items: [], mayCreate: false },

  onLoad() {
    return this.load()
  },

  onShow() {
    if (this.loaded) return this.load()
    return undefined
  },

  load() {
    this.setData({ errorMessage: '' })
    return Promise.all([destinations.getCategories(), destinations.listDestinations({ limit: 20 })])
      .then(([categories, list]) => {
        this.loaded = true
        const items = list.items.map(d => ({ ...d, submitted: d.submitted_at ? `提交于 ${dateTime(d.submitted_at)}` : '暂存，尚未送审' }))
        this.setData({ notice: categories.notice, items, mayCreate: !items.some(d => d.state !== 'cancelled') })
      })
      .catch(err => this.setData({ errorMessage: err.message }))
      .then(() => this.setData({ loading: false }))
  },

  open(e) {
    wx.navigateTo({ url: `/pages/student/destination/detail?id=${e.currentTarget.dataset.id}` })
  },

  create() {
    wx.navigateTo({ url: '/pages/student/destination/form' })
  },
})
