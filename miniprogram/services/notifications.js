// The in-app inbox (API.md "Common").
const { request } = require('../utils/request')

function listNotifications({ cursor, limit, unreadOnly } = {}) {
  return request({ path: '/notifications', query: { cursor, limit, unread_only: unreadOnly ? 'true' : undefined } })
}

// ids omitted: mark everything read.
function markRead(ids) {
  return request({ method: 'POST', path: '/notifications/read', data: ids ? { ids } : {} })
}

module.exports = { listNotifications, markRead }
