// An invitation as the employer sees it (read-only on the phone); pushed messages open
// pages/employer/invitation/detail?id=123.
const employer = require('../../../services/employer')
const fmt = require('../../../utils/format')

Page({
  data: { loading: true, errorMessage: '', detail: null, view: {} },

  onLoad(options = {}) {
    this.id = options.id
    return this.load()
  },

  load() {
    this.setData({ errorMessage: '' })
    return employer.getInvitation(this.id)
      .then(detail => this.setData({
        detail,
        view: {
          terms: fmt.termRows(detail.terms, detail.labels),
          archive: fmt.archiveRows(detail.terms.archive).concat(fmt.hukouRows(detail.terms.archive)),
          flow: fmt.flowRows(detail.flow),
          education: fmt.educationLevel(detail.student.education_level),
        },
      }))
      .catch(err => this.setData({ errorMessage: err.message }))
      .then(() => this.setData({ loading: false }))
  },
})
