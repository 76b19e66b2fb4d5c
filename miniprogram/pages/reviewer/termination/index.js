// 解约审核详情 (phone): the request, the other party's answer, the agreement it ends, and
// 审核通过 / 审核不通过 when the API allows them.
const reviewer = require('../../../services/reviewer')
const { dateTime, flowRows } = require('../../../utils/format')
const { reviewPage } = require('../../../utils/review-page')

const INITIATORS = { student: '学生', employer: '用人单位' }

function show(t) {
  const a = t.agreement
  return {
    initiator: INITIATORS[t.initiated_by] || t.initiated_by,
    requested: dateTime(t.requested_at),
    answered: dateTime(t.answered_at),
    student: `${a.student.name}（${a.student.student_no}）`,
    studentOf: `${a.student.college} · ${a.student.major}`,
    position: (a.terms && a.terms.position) || '',
    flow: flowRows(a.flow),
    overdueText: t.overdue ? `已超过审核时限${t.age_days ? `，已等待${t.age_days}个工作日` : ''}` : '',
  }
}

Page(reviewPage({
  calls: { get: reviewer.getTermination, approve: reviewer.approveTermination, reject: reviewer.rejectTermination },
  show,
  approveText: { title: '解约审核通过', content: '确认解约审核通过吗？学校审核通过后协议解除，学生可重新签约；双方将收到通知。' },
}))
