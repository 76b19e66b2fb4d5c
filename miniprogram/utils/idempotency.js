// Idempotency-Key: one per user action, kept while the action may be retried.

function newKey() {
  const hex = n => Math.floor(Math.random() * 16 ** n).toString(16).padStart(n, '0')
  return `${Date.now().toString(36)}-${hex(8)}-${hex(8)}`
}

// A failure that leaves the server's outcome unknown (or still running): retry with the same key.
function isRetryable(err) {
  return !err || !err.status || err.status >= 500 || err.code === 'REQUEST_IN_PROGRESS'
}

// Per-page memory of the key of each pending action ("accept", "reject", ...).
function actionKeys() {
  const keys = {}
  return {
    key(action) {
      if (!keys[action]) keys[action] = newKey()
      return keys[action]
    },
    // Call when the action ends: a success or a definite refusal frees the key.
    settle(action, err) {
      if (!err || !isRetryable(err)) delete keys[action]
    },
  }
}

module.exports = { newKey, isRetryable, actionKeys }
