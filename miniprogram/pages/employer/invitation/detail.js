// An invitation or agreement as the employer sees it: progress, the student (masked), the letter,
// the flow log; 修改邀约 and 申请解约 when the API allows them. Pushed messages open
// pages/employer/invitation/detail?id=123.
const employer = require('../../../services/employer')
const fmt = require('../../../utils/format')

Page({
  data: { loading: true, errorMessage: '', detail: null, view: {} },

  onLoad(options = {}) {
    this.invitationId = options.id
    return this.load()
  },

  onShow() {
    if (this.needsRefresh) {
      this.needsRefresh = false
      this.load()
    }
  },

  // Pulling down also asks again whether the agreement's documents are ready.
  onPullDownRefresh() {
    const documents = this.selectComponent('#documents')
    return Promise.all([this.load(), documents && documents.refresh()]).then(() => wx.stopPullDownRefresh())
  },

  load() {
    this.setData({ errorMessage: '' })
    return employer.getInvitation(this.invitationId)
      .then(detail => this.setData({
        detail,
        view: {
          signedElsewhere: !!detail.signed_elsewhere,
          progress: fmt.progressOf(detail),
          terms: fmt.termRows(detail.terms, detail.labels),
          archive: fmt.archiveRows(detail.terms.archive).concat(fmt.hukouRows(detail.terms.archive)),
          flow: fmt.flowRows(detail.flow),
          // The buttons are the API's allowed_actions.
          canModify: (detail.allowed_actions || []).includes('modify'),
          canTerminate: (detail.allowed_actions || []).includes('request_termination'),
        },
      }))
      .catch(err => this.setData({ errorMessage: err.message }))
      .then(() => this.setData({ loading: false }))
  },

  modify() {
    this.needsRefresh = true
    wx.navigateTo({ url: `/pages/employer/invitation/form?id=${this.invitationId}` })
  },

  terminate() {
    this.needsRefresh = true
    wx.navigateTo({ url: `/pages/employer/termination/request?invitation_id=${this.invitationId}` })
  },
})
