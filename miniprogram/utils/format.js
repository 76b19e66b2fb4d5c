// Turning API values into what the screens show. The API sends state labels; the few enum
// values and codes it sends without a label are named here.

const EDUCATION_LEVELS = { zhuanke: '专科', benke: '本科', shuoshi: '硕士研究生', boshi: '博士研究生' }
const ARCHIVE_RECEIVING = { employer: '签约单位接收', forward: '转寄至档案接收单位', not_received: '单位不接收' }
const HUKOU_RECEIVING = { received: '接收', not_received: '不接收' }

const present = v => v !== undefined && v !== null && v !== ''
const slashDate = d => (present(d) ? String(d).slice(0, 10).replace(/-/g, '/') : '')

// "2026-11-23T21:13:44+08:00" → "2026/11/23 21:13" (already China time: no conversion).
function dateTime(iso) {
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})/.exec(iso || '')
  return m ? `${m[1]}/${m[2]}/${m[3]} ${m[4]}:${m[5]}` : iso || ''
}

function educationLevel(code) {
  return EDUCATION_LEVELS[code] || code || ''
}

function rows(pairs) {
  return pairs.filter(([, value]) => present(value)).map(([label, value]) => ({ label, value: String(value) }))
}

// The letter's terms table (the order of the paper letter).
function termRows(t = {}, labels = {}) {
  const unit = (v, u) => (present(v) ? `${v} ${u}` : '')
  const place = [labels.work_region, t.work_address].filter(present).join(' ')
  return rows([
    ['工作职位类别', labels.job_category],
    ['拟聘用职位', t.position],
    ['试用期', unit(t.probation_days, '天')],
    ['试用起薪', unit(t.probation_salary, '元/月')],
    ['转正起薪', unit(t.regular_salary, '元/月')],
    ['违约金', unit(t.liquidated_damages, '元')],
    ['报到地点', t.report_place],
    ['报到期限', slashDate(t.report_deadline)],
    ['实际工作地点', place || t.work_region_code],
    ['签约联系人', t.contact_name],
    ['联系电话', t.contact_phone],
    ['反馈有效期', unit(t.feedback_days, '天')],
  ])
}

function archiveRows(a) {
  if (!a) return []
  return rows([
    ['档案接收', ARCHIVE_RECEIVING[a.archive_receiving] || a.archive_receiving],
    ['档案接收单位', a.archive_unit],
    ['详细地址', a.archive_address],
    ['邮政编码', a.archive_postcode],
    ['联系人', a.archive_contact],
    ['联系电话', a.archive_phone],
  ])
}

function hukouRows(a) {
  if (!a) return []
  return rows([
    ['户口接收', HUKOU_RECEIVING[a.hukou_receiving] || a.hukou_receiving],
    ['户口迁往地址', a.hukou_address],
    ['迁移原因', a.hukou_reason],
  ])
}

function employerRows(e = {}) {
  return rows([
    ['单位名称', e.name],
    ['统一社会信用代码', e.credit_code],
    ['单位地址', e.address],
    ['联系人', e.contact_name],
    ['联系电话', e.contact_phone],
    ['电子邮箱', e.email],
  ])
}

function flowRows(flow = []) {
  return flow.map((f, key) => ({ key, at: dateTime(f.at), actor: f.actor, label: f.action_label || f.state_label, remark: f.remark || '' }))
}

// The signing progress header: 单位发起 → 学生处理 → 学院审核 → 学校审核 → 已签约.
const STEPS = ['单位发起', '学生处理', '学院审核', '学校审核', '已签约']
const PROGRESS = {
  invited: [1, 'process'],
  rejected: [1, 'error'],
  expired: [1, 'error'],
  college_review: [2, 'process'],
  school_review: [3, 'process'],
  effective: [4, 'finish'],
  voided: [4, 'error'],
  invalidated: [4, 'error'],
  terminated: [4, 'error'],
}

// review_rejected stops at the level that rejected (the flow's last review step).
function progressOf(detail) {
  if (detail.state === 'review_rejected') {
    const reviews = (detail.flow || []).filter(f => f.state === 'school_review' || f.state === 'college_review')
    const last = reviews.length ? reviews[reviews.length - 1].state : 'college_review'
    return { steps: STEPS, current: last === 'school_review' ? 3 : 2, status: 'error' }
  }
  const [current, status] = PROGRESS[detail.state] || [0, 'process']
  return { steps: STEPS, current, status }
}

module.exports = { progressOf, dateTime, slashDate, educationLevel, termRows, archiveRows, hukouRows, employerRows, flowRows }
