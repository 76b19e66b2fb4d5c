// Form fields on a page: `data-field` names the path under `form` that an input, picker or radio
// writes; a field's error clears as it changes. Numbers are read at submit time.
function fieldHandler(root = 'form') {
  return function onField(e) {
    const field = e.currentTarget.dataset.field
    const value = e.detail && e.detail.value !== undefined ? e.detail.value : e.detail
    this.setData({ [`${root}.${field}`]: value, [`fieldErrors.${field.replace(/\./g, '_')}`]: '' })
  }
}

// The API's field errors ({"terms.position": "必填"}) keyed for the page (terms_position → position).
function fieldErrorsFrom(err, prefix = '') {
  const out = {}
  Object.keys((err && err.fields) || {}).forEach(key => {
    const name = prefix && key.startsWith(prefix) ? key.slice(prefix.length) : key
    out[name.replace(/\./g, '_')] = err.fields[key]
  })
  return out
}

function missing(values, fields) {
  const errors = {}
  fields.forEach(f => {
    const v = values[f]
    if (v === undefined || v === null || String(v).trim() === '') errors[f] = '必填'
  })
  return errors
}

const toInt = v => (v === '' || v === null || v === undefined ? v : Number(v))
const blankToNull = v => (typeof v === 'string' && v.trim() === '' ? null : typeof v === 'string' ? v.trim() : v)

module.exports = { fieldHandler, fieldErrorsFrom, missing, toInt, blankToNull }
