// A cursor-paged list on a page: reload, load more at the bottom, drop answers to a query the
// user has already left. `load(cursor)` returns the API's page ({items, next_cursor}).
function listPage({ load, view = item => item }) {
  return {
    reload() {
      this.setData({ items: [], nextCursor: null, loaded: false })
      return this.fetch(null)
    },

    loadMore() {
      if (!this.data.nextCursor || this.data.loading) return Promise.resolve()
      return this.fetch(this.data.nextCursor)
    },

    onReachBottom() {
      return this.loadMore()
    },

    onPullDownRefresh() {
      return this.reload().then(() => wx.stopPullDownRefresh())
    },

    fetch(cursor) {
      const seq = (this.seq = (this.seq || 0) + 1)
      this.setData({ loading: true, errorMessage: '' })
      return load.call(this, cursor)
        .then(page => {
          if (seq !== this.seq) return
          const items = (cursor ? this.data.items : []).concat(page.items.map(view))
          this.setData({ items, nextCursor: page.next_cursor || null })
        })
        .catch(err => seq === this.seq && this.setData({ errorMessage: err.message }))
        .then(() => seq === this.seq && this.setData({ loading: false, loaded: true }))
    },
  }
}

module.exports = { listPage, LIST_DATA: { items: [], nextCursor: null, loading: false, loaded: false, errorMessage: '' } }
