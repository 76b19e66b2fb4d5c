// 消息通知: the in-app inbox; tapping a message marks it read and opens its page.
const notifications = require('../../services/notifications')
const { dateTime } = require('../../utils/format')
const { toast, toastError } = require('../../utils/ui')

const view = n => ({ ...n, when: dateTime(n.created_at) })

Page({
  data: { items: [], unread: 0, nextCursor: null, loading: false, loaded: false, errorMessage: '' },

  onLoad() {
    return this.reload()
  },

  onPullDownRefresh() {
    this.reload().then(() => wx.stopPullDownRefresh())
  },

  onReachBottom() {
    this.loadMore()
  },

  reload() {
    return this.fetch(null)
  },

  loadMore() {
    if (!this.data.nextCursor || this.data.loading) return Promise.resolve()
    return this.fetch(this.data.nextCursor)
  },

  fetch(cursor) {
    this.setData({ loading: true, errorMessage: '' })
    return notifications.listNotifications({ cursor })
      .then(page => {
        const items = (cursor ? this.data.items : []).concat(page.items.map(view))
        this.setData({ items, unread: page.unread, nextCursor: page.next_cursor || null })
      })
      .catch(err => this.setData({ errorMessage: err.message }))
      .then(() => this.setData({ loading: false, loaded: true }))
  },

  // The page path comes from the server without a leading slash ("pages/…?id=1").
  open(e) {
    const index = e.currentTarget.dataset.index
    const item = this.data.items[index]
    if (!item.read) {
      this.setData({ [`items[${index}].read`]: true, unread: Math.max(0, this.data.unread - 1) })
      notifications.markRead([item.id]).catch(() => {}) // the inbox state is not worth an error
    }
    if (!item.page) return
    wx.navigateTo({
      url: `/${item.page.replace(/^\/+/, '')}`,
      fail: () => toast(this, '无法打开该消息对应的页面', 'warning'),
    })
  },

  markAllRead() {
    return notifications.markRead()
      .then(() => this.setData({ items: this.data.items.map(n => ({ ...n, read: true })), unread: 0 }))
      .catch(err => toastError(this, err))
  },
})
