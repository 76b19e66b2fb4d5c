// Pickers' data (schools by name, code dictionaries level by level).
const { request } = require('../utils/request')

// A part of a school's name, or the start of its 5-digit code → up to 20 schools.
function findSchools(q) {
  return request({ path: '/schools', query: { q } })
}

// kind: job_category | region | unit_nature | industry | affiliation | education_level;
// parent: only the children of that code; top: only the first level.
function getDictionary(kind, { parent, top } = {}) {
  return request({ path: `/dictionaries/${encodeURIComponent(kind)}`, query: { parent, top: top ? 'true' : undefined } })
}

module.exports = { findSchools, getDictionary }
