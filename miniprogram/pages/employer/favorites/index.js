// 签约发送列表 (收藏夹): our students to invite; pick some and compose one letter for them all.
const employer = require('../../../services/employer')
const { listPage, LIST_DATA } = require('../../../utils/list-page')
const { toast, confirmDialog } = require('../../../utils/ui')

Page({
  data: { ...LIST_DATA, picked: 0 },

  onLoad() {
    return this.reload()
  },

  onShow() {
    if (this.needsRefresh) {
      this.needsRefresh = false
      this.reload()
    }
  },

  ...listPage({
    load: cursor => employer.listFavorites({ cursor }),
    view: f => ({ ...f, picked: false }),
  }),

  pick(e) {
    const index = e.currentTarget.dataset.index
    this.setData({ [`items[${index}].picked`]: !!e.detail.checked })
    this.setData({ picked: this.data.items.filter(i => i.picked).length })
  },

  remove(e) {
    const item = this.data.items[e.currentTarget.dataset.index]
    return confirmDialog(this, { title: '移出签约发送列表', content: `确定将 ${item.name} 移出签约发送列表吗？`, confirmBtn: '移除' })
      .then(ok => ok && employer.removeFavorite(item.student_id)
        .then(() => {
          const items = this.data.items.filter(i => i.student_id !== item.student_id)
          this.setData({ items, picked: items.filter(i => i.picked).length })
          toast(this, '已移除', 'success')
        })
        .catch(err => toast(this, err.message, 'error')))
  },

  compose() {
    const ids = this.data.items.filter(i => i.picked).map(i => i.student_id)
    if (!ids.length) return
    this.needsRefresh = true
    wx.navigateTo({ url: `/pages/employer/invitation/form?students=${ids.join(',')}` })
  },

  openSearch() {
    wx.navigateTo({ url: '/pages/employer/student/search' })
  },
})
