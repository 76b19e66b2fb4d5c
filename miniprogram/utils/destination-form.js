// 其他去向's form as data: the category's fields from GET /destination-categories, the choices a
// choice field offers given the other answers ("when"), and the body the API takes.
const ARCHIVE_KEYS = ['unit', 'address', 'postcode', 'contact', 'hukou_address']

// The form a choice of category (and sub-category) fills in: the child's when it has children.
function specOf(categories, categoryCode, subcategoryCode) {
  const category = (categories || []).find(c => c.code === categoryCode)
  if (!category) return null
  if (!(category.children || []).length) return category
  return category.children.find(c => c.code === subcategoryCode) || null
}

function optionsFor(field, values) {
  return (field.options || []).filter(o => Object.keys(o.when || {}).every(k => (o.when[k] || []).includes(values[k])))
}

// The fields as the page lists them: each with its value and, for a choice, what it offers now.
function fieldViews(spec, values, labels, errors) {
  if (!spec) return []
  return spec.fields.map(f => ({
    ...f,
    value: values[f.key] || '',
    shown: f.type === 'region' ? labels[f.key] || '' : values[f.key] || '',
    offered: f.type === 'choice' ? optionsFor(f, values) : [],
    error: errors[`fields.${f.key}`] || '',
  }))
}

// A choice whose answer is no longer offered (another answer changed) is cleared; the default is
// taken where nothing was chosen and it is offered.
function settleChoices(spec, values) {
  const out = { ...values }
  if (!spec) return out
  spec.fields.filter(f => f.type === 'choice').forEach(f => {
    const offered = optionsFor(f, out).map(o => o.value)
    if (out[f.key] && !offered.includes(out[f.key])) delete out[f.key]
    if (!out[f.key] && f.default && offered.includes(f.default)) out[f.key] = f.default
  })
  return out
}

function body(form, spec) {
  const fields = {}
  Object.keys(form.fields || {}).forEach(k => {
    if (form.fields[k] !== '' && spec && spec.fields.some(f => f.key === k)) fields[k] = form.fields[k]
  })
  const archive = { hukou_not_moved: !!form.archive.hukou_not_moved }
  ARCHIVE_KEYS.forEach(k => { if (form.archive[k]) archive[k] = form.archive[k] })
  if (archive.hukou_not_moved) delete archive.hukou_address
  const out = { category_code: form.category_code, subcategory_code: form.subcategory_code || null, fields, archive }
  if (spec && spec.dispatch) out.dispatch = { unit: form.dispatch.unit || null, region_code: form.dispatch.region_code || null }
  return out
}

// The form of a saved registration (PUT /student/other-destinations/{id} edits it).
function formOf(d) {
  return {
    category_code: d.category_code,
    subcategory_code: d.subcategory_code || '',
    fields: { ...(d.fields || {}) },
    dispatch: { ...(d.dispatch || {}) },
    archive: { hukou_not_moved: false, ...(d.archive || {}) },
  }
}

module.exports = { specOf, optionsFor, fieldViews, settleChoices, body, formOf, ARCHIVE_KEYS }
