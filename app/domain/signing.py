"""Online signing as data: states, the transition table, who may act, deadlines, numbers.

Pure Python: the services look transitions up here and never decide states themselves.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from typing import Any, Protocol

from app.clock import CHINA, to_china
from app.domain.actors import Actor
from app.domain.errors import Conflict, DomainError, Forbidden
from app.domain.workflow import FIRST_REVIEW, NEW, SAME, Workflow, transition

INVITED = "invited"
REJECTED = "rejected"
EXPIRED = "expired"
COLLEGE_REVIEW = "college_review"
SCHOOL_REVIEW = "school_review"
REVIEW_REJECTED = "review_rejected"
EFFECTIVE = "effective"
VOIDED = "voided"
INVALIDATED = "invalidated"
TERMINATED = "terminated"
STATES = (INVITED, REJECTED, EXPIRED, COLLEGE_REVIEW, SCHOOL_REVIEW, REVIEW_REJECTED, EFFECTIVE, VOIDED,
          INVALIDATED, TERMINATED)

# The student holds a destination (SPEC §3) while the agreement is in one of these.
ACTIVE_STATES = frozenset({COLLEGE_REVIEW, SCHOOL_REVIEW, EFFECTIVE})
# No longer blocks the employer from inviting the same student again.
CLOSED_STATES = frozenset({REJECTED, EXPIRED, REVIEW_REJECTED, VOIDED, INVALIDATED, TERMINATED})
REVIEW_STATES = frozenset({COLLEGE_REVIEW, SCHOOL_REVIEW})

STATE_LABELS = {
    INVITED: "单位发起邀约",
    REJECTED: "签约失败（学生拒绝）",
    EXPIRED: "签约失败（逾期未反馈）",
    COLLEGE_REVIEW: "学生已应约，等待学院审核",
    SCHOOL_REVIEW: "等待学校审核",
    REVIEW_REJECTED: "签约失败（审核不通过）",
    EFFECTIVE: "已签约",
    VOIDED: "已作废",
    INVALIDATED: "已失效",
    TERMINATED: "已解约",
}

EDUCATION_LABELS = {"zhuanke": "专科", "benke": "本科", "shuoshi": "硕士研究生", "boshi": "博士研究生"}

STUDENT = "student"
EMPLOYER_USER = "employer_user"
COLLEGE_REVIEWER = "college_reviewer"
SCHOOL_REVIEWER = "school_reviewer"
SYSTEM = "system"


class SigningFacts(Protocol):
    """What the guards read about one invitation (the service computes these lazily)."""
    overdue: bool  # an unanswered letter past its deadline
    student: "StudentFacts"
    revision_pending: bool  # a modification waits for the student's answer
    numbered: bool  # the school approved it once: it has an agreement number
    termination_in_flight: bool


def is_overdue(state: str, deadline_at: datetime, now: datetime) -> bool:
    """The one overdue rule: an unanswered letter is dead from 24:00 of its last day on."""
    return state == INVITED and now >= deadline_at


def overdue_condition(model: Any, now: datetime) -> Any:
    """is_overdue as a SQL condition on the invitations table."""
    return (model.state == INVITED) & (model.deadline_at <= now)


def open_letter_condition(model: Any, now: datetime) -> Any:
    """An unanswered letter still inside its deadline."""
    return (model.state == INVITED) & (model.deadline_at > now)


def _not_overdue(f: SigningFacts) -> DomainError | None:
    return Conflict("INVITATION_EXPIRED", "邀约已过期，无法应约") if f.overdue else None


def _not_overdue_to_modify(f: SigningFacts) -> DomainError | None:
    return Conflict("INVITATION_EXPIRED", "邀约已过期，请重新发送邀约") if f.overdue else None


def _student_may_sign(f: SigningFacts) -> DomainError | None:
    blocker = acceptance_blocker(f.student)
    if blocker is None:
        return None
    code, message = blocker
    return Conflict(code, message) if code == "ALREADY_SIGNED" else Forbidden(code, message)


def _holds_no_destination(f: SigningFacts) -> DomainError | None:
    """A student with a destination may read other letters, not answer them (seed 002 FAQ 3)."""
    if f.student.has_active_destination:
        return Conflict("ALREADY_SIGNED", "你已有有效的毕业去向，其他邀约只能查看，不能操作")
    return None


def _no_revision_pending(f: SigningFacts) -> DomainError | None:
    if f.revision_pending:
        return Conflict("REVISION_PENDING", "单位修改了邀约，正等待学生确认，暂不能审核")
    return None


def _revision_pending(f: SigningFacts) -> DomainError | None:
    return None if f.revision_pending else Conflict("NO_PENDING_REVISION", "没有待确认的修改")


def _never_numbered(f: SigningFacts) -> DomainError | None:
    """After school approval the terms never change: terminate and sign again (seed 002 FAQ 6)."""
    if f.numbered:
        return Conflict("AGREEMENT_NUMBERED",
                        "协议已经学校审核通过并编号，内容不能再修改；如需变更，请解约后重新签约")
    return None


def _no_termination_in_flight(f: SigningFacts) -> DomainError | None:
    if f.termination_in_flight:
        return Conflict("TERMINATION_IN_FLIGHT", "该协议有进行中的解约申请，请先处理解约申请")
    return None


_ROWS = (
    # Created in batches by the invitation service, which checks this row once per batch.
    transition("invite", {NEW}, INVITED, {EMPLOYER_USER}, "单位发起邀约", event="invitation_received"),
    transition("accept", {INVITED}, FIRST_REVIEW, {STUDENT}, "学生同意签约，提交审核",
               event="invitation_accepted", guards=(_not_overdue, _student_may_sign)),
    transition("reject", {INVITED}, REJECTED, {STUDENT}, "学生拒绝签约", event="invitation_rejected",
               guards=(_not_overdue, _holds_no_destination)),
    transition("expire", {INVITED}, EXPIRED, {SYSTEM}, "逾期未反馈，邀约失效", event="invitation_expired"),
    transition("modify", {INVITED, COLLEGE_REVIEW, SCHOOL_REVIEW}, SAME, {EMPLOYER_USER}, "单位修改邀约",
               event="invitation_modified", guards=(_not_overdue_to_modify, _never_numbered)),
    transition("accept_revision", REVIEW_STATES, FIRST_REVIEW, {STUDENT},
               "学生同意修改后的邀约，重新提交审核", event="revision_accepted", guards=(_revision_pending,)),
    transition("decline_revision", REVIEW_STATES, SAME, {STUDENT}, "学生不同意修改，原协议内容继续有效",
               event="revision_declined", guards=(_revision_pending,)),
    transition("approve", {COLLEGE_REVIEW}, SCHOOL_REVIEW, {COLLEGE_REVIEWER}, "学院审核通过",
               name="college_approve", event="review_passed", guards=(_no_revision_pending,)),
    transition("approve", {SCHOOL_REVIEW}, EFFECTIVE, {SCHOOL_REVIEWER}, "学校审核通过，协议生效",
               name="school_approve", event="agreement_effective", guards=(_no_revision_pending,)),
    transition("reject", {COLLEGE_REVIEW}, REVIEW_REJECTED, {COLLEGE_REVIEWER}, "学院审核不通过",
               name="college_reject", reason_required=True, event="review_rejected"),
    transition("reject", {SCHOOL_REVIEW}, REVIEW_REJECTED, {SCHOOL_REVIEWER}, "学校审核不通过",
               name="school_reject", reason_required=True, event="review_rejected"),
    # The school's interventions (SPEC §4, §5); each needs a reason and is on the flow log.
    transition("withdraw_approval", {EFFECTIVE}, SCHOOL_REVIEW, {SCHOOL_REVIEWER},
               "学校撤回审核，协议退回学校审核", reason_required=True, event="approval_withdrawn",
               guards=(_no_termination_in_flight,)),
    transition("void", {EFFECTIVE}, VOIDED, {SCHOOL_REVIEWER}, "学校作废协议", reason_required=True,
               event="agreement_voided", guards=(_no_termination_in_flight,)),
    transition("invalidate", {INVITED, COLLEGE_REVIEW, SCHOOL_REVIEW, EFFECTIVE}, INVALIDATED,
               {SCHOOL_REVIEWER}, "协议失效", reason_required=True, event="agreement_invalidated"),
    transition("force_terminate", {EFFECTIVE}, TERMINATED, {SCHOOL_REVIEWER}, "学校强制解约",
               reason_required=True, event="agreement_force_terminated"),
    # Taken by the termination service when the school approves a termination (termination.py).
    transition("terminate", {EFFECTIVE}, TERMINATED, {SCHOOL_REVIEWER}, "解约审核通过，协议解除",
               offered=False),
)

SIGNING = Workflow("invitation", STATES, STATE_LABELS, CLOSED_STATES, _ROWS)


@dataclass(frozen=True)
class InvitationScope:
    """The facts about an invitation that decide who may touch it."""
    student_id: int
    employer_id: int
    school_id: int
    college_id: int


def owns(actor: Actor, scope: InvitationScope) -> bool:
    """Is this invitation within the actor's reach at all (own object / own college / own school)?"""
    if actor.role == STUDENT:
        return actor.student_id == scope.student_id
    if actor.role == EMPLOYER_USER:
        return actor.employer_id == scope.employer_id
    if actor.role == COLLEGE_REVIEWER:
        return actor.college_id == scope.college_id and actor.school_id == scope.school_id
    if actor.role == SCHOOL_REVIEWER:
        return actor.school_id == scope.school_id
    return actor.role == SYSTEM


def deadline_for(sent_at_utc: datetime, feedback_days: int) -> datetime:
    """24:00 Asia/Shanghai of day D+N, as naive UTC (sent 2019-12-11 + 5 → before 2019-12-17 00:00)."""
    sent_day = to_china(sent_at_utc).date()
    end_local = datetime.combine(sent_day + timedelta(days=feedback_days + 1), time(0), tzinfo=CHINA)
    return end_local.astimezone(timezone.utc).replace(tzinfo=None)


def deadline_display_date(deadline_utc: datetime) -> date:
    """The day the letter names: 请于 YYYY/MM/DD 日24时之前反馈."""
    return (to_china(deadline_utc) - timedelta(seconds=1)).date()


def letter_opening(student_name: str, position: str, deadline_utc: datetime) -> str:
    day = deadline_display_date(deadline_utc)
    return (f"{student_name}同学，你好！\n我单位拟录用（聘用）你为 {position} 岗位员工，"
            f"请于{day:%Y/%m/%d}日24时之前反馈，办理网签手续。过期不反馈视为主动放弃。")


CONFIRMATION_TEXT = ("签约成功后不能再与其他单位另行签约！请确保已充分了解用人单位及工作岗位信息，"
                     "并与用人单位充分沟通，并达成一致就业意愿！你确定现在签约吗？")

SIGNING_NOTICE = (
    "签约须知：一、符合下列情况之一，经书面告知对方后，本协议解除：1. 甲方被撤销或依法宣告破产；"
    "2. 乙方报到时未取得毕业资格；3. 乙方被判处拘役以上刑罚；4. 甲乙双方订立劳动合同（聘用合同）后，"
    "本协议自动终止；5. 国家法律、法规、政策规定的其他情况。二、本协议是甲乙双方在规定的期限内建立"
    "劳动人事就业关系的依据。三、未尽事宜，由甲乙双方依照有关法律法规和政策规定另行约定。")

REVIEW_REJECTION_WARNING = ("学校审核应充分尊重单位和学生的签约意愿，若审核不通过，需有充分理由和证据表明"
                            "签约双方在签约过程中存在欺诈、虚假签约、信息不实等情况，必要时请保留这些证据。")


def agreement_number(kind: int, cohort: int, school_code: str, seq: int) -> str:
    """协议书编号 {kind}{cohort}{school_code}{seq:06d}; kind 1 online, 2 paper."""
    return f"{kind}{cohort}{school_code}{seq:06d}"


@dataclass(frozen=True)
class StudentFacts:
    signing_open: bool
    source_approved: bool
    directed: bool
    record_active: bool
    has_active_destination: bool
    closed_reason: str | None = None  # what the school said when it closed signing


def acceptance_blocker(facts: StudentFacts) -> tuple[str, str] | None:
    """Why this student may not accept an invitation now: (code, message), or None."""
    if not facts.record_active:
        return "STUDENT_RECORD_INVALID", "学籍信息已失效，无法签约"
    if not facts.signing_open:
        reason = f"（{facts.closed_reason}）" if facts.closed_reason else ""
        return "SIGNING_CLOSED", f"学校尚未对你开放网上签约{reason}，请联系学院就业工作负责老师"
    if not facts.source_approved:
        return "SOURCE_NOT_APPROVED", "生源信息尚未审核通过，暂不能签约"
    if facts.directed:
        return "DIRECTED_STUDENT", "定向生不能进行网上签约"
    if facts.has_active_destination:
        return "ALREADY_SIGNED", "你已有有效的毕业去向，不能再与其他单位签约"
    return None

