// 签约审核详情 (phone): the student (masked), the employer, the key terms, the flow log, and
// 审核通过 / 审核不通过 when the API allows them.
const reviewer = require('../../../services/reviewer')
const { dateTime, termRows, flowRows } = require('../../../utils/format')
const { reviewPage } = require('../../../utils/review-page')
const { toastError } = require('../../../utils/ui')

const present = v => v !== undefined && v !== null && v !== ''
const rows = pairs => pairs.filter(([, v]) => present(v)).map(([label, value]) => ({ label, value: String(value) }))

function show(d) {
  const s = d.student
  const e = d.employer
  return {
    student: rows([
      ['姓名', s.name], ['学号', s.student_no], ['学院', s.college], ['专业', s.major], ['班级', s.class_name],
      ['毕业年度', s.cohort], ['学历', s.education_level_label], ['身份证号', s.id_number_masked], ['手机号', s.phone_masked],
      ['学籍', s.record_active ? '' : '已失效'],
    ]),
    employer: rows([
      ['单位名称', e.name], ['统一社会信用代码', e.credit_code], ['单位性质', e.nature], ['单位行业', e.industry],
      ['单位所在地', e.region], ['单位地址', e.address],
    ]),
    employerIncomplete: (e.missing || []).length > 0,
    terms: termRows(d.terms, d.labels),
    flow: flowRows(d.flow),
    overdueText: d.overdue ? `已超过审核时限（${d.sla_days}个工作日）${present(d.age_days) ? `，已等待${d.age_days}个工作日` : ''}` : '',
    updated: d.flow.length ? dateTime(d.flow[d.flow.length - 1].at) : '',
  }
}

// 证明材料 (营业执照, 授权委托书…): served only with the token, so downloaded, then shown.
function openEvidence(e) {
  const evidence = this.data.item.evidence[e.currentTarget.dataset.index]
  if (!evidence || this.opening) return Promise.resolve()
  this.opening = true
  return reviewer.downloadEvidence(evidence.url)
    .then(file => (/\.pdf$/i.test(file) ? wx.openDocument({ filePath: file, fileType: 'pdf' }) : wx.previewImage({ urls: [file], current: file })))
    .catch(err => toastError(this, err))
    .then(() => { this.opening = false })
}

Page({
  ...reviewPage({
    calls: { get: reviewer.getSigning, approve: reviewer.approveSigning, reject: reviewer.rejectSigning },
    show,
    approveText: { title: '签约审核通过', content: '确认该学生的签约信息无误，审核通过吗？通过后将通知学生和用人单位。' },
  }),
  openEvidence,
})
