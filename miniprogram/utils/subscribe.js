// Subscribe messages (the fallback push channel): ask for the grants of a moment and record them.
// wx.requestSubscribeMessage only works inside a tap handler, so the template ids are fetched when
// the page loads (prepare) and asked for, synchronously, in the tap that leads to the news (ask).
const subscriptions = require('../services/subscriptions')

const prepared = {}

function prepare(moment) {
  if (!prepared[moment]) {
    prepared[moment] = subscriptions.getMomentTemplates(moment)
      .then(found => { prepared[moment].ids = found.template_ids; return found.template_ids })
      .catch(() => { delete prepared[moment]; return [] })
  }
  return prepared[moment]
}

// Call first thing in a tap handler; never fails the action it precedes.
function ask(moment) {
  const ids = (prepared[moment] && prepared[moment].ids) || []
  if (!ids.length || typeof wx.requestSubscribeMessage !== 'function') return Promise.resolve({})
  return new Promise(resolve => {
    wx.requestSubscribeMessage({
      tmplIds: ids,
      success(res) {
        const results = {}
        ids.forEach(id => { if (typeof res[id] === 'string') results[id] = res[id] })
        if (!Object.keys(results).length) return resolve({})
        subscriptions.recordChoices(moment, results).then(() => resolve(results), () => resolve(results))
      },
      fail: () => resolve({}),
    })
  })
}

// Tests start each page afresh.
function forget() {
  Object.keys(prepared).forEach(k => delete prepared[k])
}

module.exports = { prepare, ask, forget }
