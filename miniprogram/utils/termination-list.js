// 我的解约 / 解约办理 list, shared by both parties: who started each, its state, newest first.
const { dateTime } = require('./format')
const { listPage, LIST_DATA } = require('./list-page')

const INITIATORS = { student: '学生发起', employer: '单位发起' }

function terminationListPage(service, role) {
  const view = t => ({ ...t, initiator: INITIATORS[t.initiated_by] || t.initiated_by, when: dateTime(t.requested_at) })
  return {
    data: { ...LIST_DATA, role },
    onLoad() {
      return this.reload()
    },
    onShow() {
      if (this.needsRefresh) {
        this.needsRefresh = false
        this.reload()
      }
    },
    ...listPage({ load: cursor => service.listTerminations({ cursor }), view }),
    open(e) {
      this.needsRefresh = true
      wx.navigateTo({ url: `/pages/${role}/termination/detail?id=${e.currentTarget.dataset.id}` })
    },
  }
}

module.exports = { terminationListPage }
