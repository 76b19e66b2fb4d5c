// The region tree (省 → 市 → 区县, ~3,300 entries) for a t-cascader, read a level at a time as the
// user goes down it.
const directory = require('../services/directory')

const option = o => ({ label: o.name, value: o.code, ...(o.has_children ? { children: [] } : {}) })

function find(options, code) {
  for (const o of options) {
    if (o.value === code) return o
    const inner = o.children && find(o.children, code)
    if (inner) return inner
  }
  return null
}

function topLevel() {
  return directory.getDictionary('region', { top: true }).then(res => res.items.map(option))
}

// After a pick: the picked region's children, fetched once; resolves true when the tree grew.
function expand(options, code) {
  const picked = find(options, code)
  if (!picked || !picked.children || picked.children.length) return Promise.resolve(false)
  return directory.getDictionary('region', { parent: code }).then(res => {
    picked.children = res.items.map(option)
    return true
  })
}

module.exports = { topLevel, expand, option }
