// Subscribe-message grants (wx.requestSubscribeMessage) and recording them.
const { request } = require('../utils/request')

// The templates to ask for at a moment (student_accepted, employer_sent, …).
function getMomentTemplates(moment) {
  return request({ path: '/subscriptions/templates', query: { moment } })
}

// results: what wx.requestSubscribeMessage answered, template id → accept | reject | ban | filter.
function recordChoices(moment, results, opts = {}) {
  return request({ method: 'POST', path: '/subscriptions', data: { moment, results }, idempotencyKey: opts.idempotencyKey })
}

module.exports = { getMomentTemplates, recordChoices }
