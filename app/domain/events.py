"""Notification events: who hears of what, in what words, and which page opens (SPEC §9)."""
from __future__ import annotations

from dataclasses import dataclass

STUDENT_INVITATION_PAGE = "pages/student/invitation/detail?id={invitation_id}"
EMPLOYER_INVITATION_PAGE = "pages/employer/invitation/detail?id={invitation_id}"
EMPLOYER_HOME_PAGE = "pages/employer/home/index"
STUDENT_TERMINATION_PAGE = "pages/student/termination/detail?id={termination_id}"
EMPLOYER_TERMINATION_PAGE = "pages/employer/termination/detail?id={termination_id}"
STUDENT_DESTINATION_PAGE = "pages/student/destination/detail?id={destination_id}"
STUDENT_PAPER_PAGE = "pages/student/paper/detail?id={paper_id}"
# A service-level message lists several items: it opens the reviewer's home with its counts.
REVIEWER_HOME_PAGE = "pages/reviewer/home/index"

HIGH, NORMAL, LOW = 0, 1, 2  # LOW waits for the next day's quota when pushes run short


@dataclass(frozen=True)
class EventSpec:
    title: str
    body: str  # str.format with the event's data
    page: str | None
    priority: int = NORMAL


EVENTS: dict[str, EventSpec] = {
    "invitation_received": EventSpec(
        "收到签约邀请", "{employer_name}邀请你担任{position}，请于{deadline}日24时之前反馈。",
        STUDENT_INVITATION_PAGE, HIGH),
    "invitation_modified": EventSpec(
        "邀约内容已修改", "{employer_name}修改了邀请函（{position}），请查看并确认。",
        STUDENT_INVITATION_PAGE, HIGH),
    "invitation_accepted": EventSpec(
        "学生已同意签约", "{student_name}已同意签约（{position}），协议进入{review_stage}。",
        EMPLOYER_INVITATION_PAGE),
    "invitation_rejected": EventSpec(
        "学生已拒绝签约", "{student_name}拒绝了签约邀请（{position}）。{remark_text}",
        EMPLOYER_INVITATION_PAGE),
    "invitation_expired": EventSpec(
        "邀约已过期", "{student_name}未在期限内反馈，邀约（{position}）已失效。",
        EMPLOYER_INVITATION_PAGE, LOW),
    "invitation_expiring": EventSpec(
        "邀约即将过期", "{employer_name}的签约邀请（{position}）将于{deadline}日24时过期，请尽快反馈。",
        STUDENT_INVITATION_PAGE, LOW),
    "revision_accepted": EventSpec(
        "学生同意修改后的邀约", "{student_name}同意了修改后的邀请函（{position}），协议重新进入{review_stage}。",
        EMPLOYER_INVITATION_PAGE),
    "revision_declined": EventSpec(
        "学生不同意修改", "{student_name}不同意修改后的邀请函（{position}），原协议内容继续有效。",
        EMPLOYER_INVITATION_PAGE),
    "review_passed": EventSpec(
        "学院审核通过", "你与{employer_name}的签约（{position}）已通过学院审核，等待学校审核。",
        STUDENT_INVITATION_PAGE),
    "review_rejected": EventSpec(
        "签约审核不通过", "你与{employer_name}的签约（{position}）审核不通过：{remark}",
        STUDENT_INVITATION_PAGE, HIGH),
    "agreement_effective": EventSpec(
        "签约已生效", "你与{employer_name}的就业协议已生效，协议书编号{agreement_no}。",
        STUDENT_INVITATION_PAGE, HIGH),
    "employer_verified": EventSpec(
        "单位认证通过", "{employer_name}的单位信息已审核通过，可以搜索学生并发送签约邀请。",
        EMPLOYER_HOME_PAGE, HIGH),
    "employer_verification_rejected": EventSpec(
        "单位认证未通过", "{employer_name}的单位认证未通过：{remark}。请修改后重新提交。",
        EMPLOYER_HOME_PAGE, HIGH),
    "approval_withdrawn": EventSpec(
        "协议审核已撤回", "学校撤回了你与{employer_name}的协议（{position}）的审核，协议重新进入学校审核。原因：{remark}",
        STUDENT_INVITATION_PAGE, HIGH),
    "agreement_voided": EventSpec(
        "协议已作废", "你与{employer_name}的协议（{position}）已被学校作废。原因：{remark}",
        STUDENT_INVITATION_PAGE, HIGH),
    "agreement_invalidated": EventSpec(
        "协议已失效", "你与{employer_name}的签约（{position}）已失效。原因：{remark}",
        STUDENT_INVITATION_PAGE, HIGH),
    "agreement_force_terminated": EventSpec(
        "学校已强制解约", "你与{employer_name}的协议（{position}）已被学校强制解约。原因：{remark}",
        STUDENT_INVITATION_PAGE, HIGH),
    "termination_requested": EventSpec(
        "收到解约申请", "{requester}申请解除与{counterpart}的协议（{position}），原因：{remark}。请确认是否同意。",
        STUDENT_TERMINATION_PAGE, HIGH),
    "termination_agreed": EventSpec(
        "对方同意解约", "{counterpart}同意解除协议（{position}），解约申请已提交学校审核。",
        STUDENT_TERMINATION_PAGE),
    "termination_disagreed": EventSpec(
        "对方不同意解约", "{counterpart}不同意解除协议（{position}），解约失败，协议继续有效。",
        STUDENT_TERMINATION_PAGE, HIGH),
    "termination_approved": EventSpec(
        "解约已生效", "你与{employer_name}的协议（{position}）已解约，学生可重新签约。",
        STUDENT_TERMINATION_PAGE, HIGH),
    "termination_rejected": EventSpec(
        "解约审核不通过", "解除与{employer_name}的协议（{position}）的申请审核不通过：{remark}。协议继续有效。",
        STUDENT_TERMINATION_PAGE, HIGH),
    # 其他去向 (app/services/destinations.py): the outcomes reach the student.
    "destination_approved": EventSpec(
        "其他去向审核通过", "你登记的毕业去向（{category}：{unit_name}）已审核通过。",
        STUDENT_DESTINATION_PAGE, HIGH),
    "destination_rejected": EventSpec(
        "其他去向审核不通过", "你登记的毕业去向（{category}：{unit_name}）审核不通过：{remark}。请修改后重新送审。",
        STUDENT_DESTINATION_PAGE, HIGH),
    "destination_cancelled": EventSpec(
        "去向注销审核通过", "你登记的毕业去向（{category}：{unit_name}）已注销，可以重新签约或登记其他去向。",
        STUDENT_DESTINATION_PAGE, HIGH),
    "destination_cancel_rejected": EventSpec(
        "去向注销审核不通过", "注销毕业去向（{category}：{unit_name}）的申请审核不通过：{remark}。该去向继续有效。",
        STUDENT_DESTINATION_PAGE, HIGH),
    # 线下签约 (app/domain/paper.py), to the student.
    "paper_generated": EventSpec(
        "协议书已生成", "你与{employer_name}的线下协议书（{position}）已生成，等待{review_stage}。",
        STUDENT_PAPER_PAGE),
    "paper_college_approved": EventSpec(
        "协议书学院审核通过", "你与{employer_name}的线下协议书（{position}）已通过学院审核，等待学校审核。",
        STUDENT_PAPER_PAGE),
    "paper_approved": EventSpec(
        "协议书审核通过，请反馈签约材料",
        "你与{employer_name}的线下协议书已审核通过，编号{agreement_no}。请下载打印，交单位签字盖章后上传扫描件。",
        STUDENT_PAPER_PAGE, HIGH),
    "paper_rejected": EventSpec(
        "协议书审核不通过", "你与{employer_name}的线下协议书（{position}）审核不通过：{remark}。你可以重新录入协议书。",
        STUDENT_PAPER_PAGE, HIGH),
    "paper_scan_submitted": EventSpec(
        "签约材料已提交", "你与{employer_name}的盖章协议书已提交，等待{review_stage}。", STUDENT_PAPER_PAGE, LOW),
    "paper_college_verified": EventSpec(
        "签约审核学院通过", "你与{employer_name}的线下签约已通过学院签约审核，等待学校签约审核。",
        STUDENT_PAPER_PAGE),
    "paper_effective": EventSpec(
        "线下签约已生效", "你与{employer_name}的线下签约已审核通过，协议书编号{agreement_no}。",
        STUDENT_PAPER_PAGE, HIGH),
    "paper_scan_rejected": EventSpec(
        "签约审核不通过，请重新反馈", "你与{employer_name}的盖章协议书审核不通过：{remark}。请重新上传签约材料。",
        STUDENT_PAPER_PAGE, HIGH),
    "paper_termination_requested": EventSpec(
        "解约申请已提交", "你解除与{employer_name}的线下协议的申请已提交，等待{review_stage}。",
        STUDENT_PAPER_PAGE, LOW),
    "paper_termination_approved": EventSpec(
        "线下协议已解约", "你与{employer_name}的线下协议已解约，你可以重新签约或登记其他去向。",
        STUDENT_PAPER_PAGE, HIGH),
    "paper_termination_rejected": EventSpec(
        "解约审核不通过", "解除与{employer_name}的线下协议的申请审核不通过：{remark}。协议继续有效。",
        STUDENT_PAPER_PAGE, HIGH),
    # Service levels (SPEC §13), to reviewer accounts: one message per run listing their items.
    "review_overdue": EventSpec(
        "审核超时提醒",
        "你有{count}项{kind_label}已超过{limit}个工作日未处理（最早的已等待{oldest_days}个工作日），"
        "学生在等待审核结果，请尽快处理。", REVIEWER_HOME_PAGE, HIGH),
    "review_overdue_escalated": EventSpec(
        "审核超时督办",
        "{scope_name}有{count}项{kind_label}超过{limit}个工作日仍未处理（最早的已等待"
        "{oldest_days}个工作日），请督促处理。", REVIEWER_HOME_PAGE, HIGH),
}

# Outcomes reach the employer too, with the employer's page.
EMPLOYER_COPIES = {"review_rejected", "agreement_effective", "approval_withdrawn", "agreement_voided",
                   "agreement_invalidated", "agreement_force_terminated"}
