"""解约 as data: the termination states, who answers, who reviews, the limit and the notice.

The steps are written on the agreement's own flow log (names prefixed ``termination_``), so the
request, the other party's consent and the reviews read as one timeline with the signing.
"""
from __future__ import annotations

from typing import Protocol

from app.domain.errors import Conflict, DomainError
from app.domain.workflow import FIRST_REVIEW, NEW, Workflow, transition

AWAITING_PARTY = "awaiting_party"
DISAGREED = "disagreed"
COLLEGE_REVIEW = "college_review"
SCHOOL_REVIEW = "school_review"
APPROVED = "approved"
REJECTED = "rejected"
STATES = (AWAITING_PARTY, DISAGREED, COLLEGE_REVIEW, SCHOOL_REVIEW, APPROVED, REJECTED)

IN_FLIGHT = frozenset({AWAITING_PARTY, COLLEGE_REVIEW, SCHOOL_REVIEW})
FINAL = frozenset({DISAGREED, APPROVED, REJECTED})
FAILED = frozenset({DISAGREED, REJECTED})  # a failure carries its reason (remark)
REASON_MAX = 200

STATE_LABELS = {
    AWAITING_PARTY: "待对方确认",
    DISAGREED: "解约失败（对方不同意）",
    COLLEGE_REVIEW: "等待学院审核",
    SCHOOL_REVIEW: "等待学校审核",
    APPROVED: "已解约",
    REJECTED: "解约失败（审核不通过）",
}

# Where the latest termination of an agreement stands, kept on the agreement for its lists:
# in flight, failed, approved — or forced, when the school terminated it itself (强制解约).
STATUS_IN_FLIGHT = "in_flight"
STATUS_FAILED = "failed"
STATUS_APPROVED = "approved"
STATUS_FORCED = "forced"
AGREEMENT_STATUSES = (STATUS_IN_FLIGHT, STATUS_FAILED, STATUS_APPROVED, STATUS_FORCED)

PARTIES = frozenset({"student", "employer_user"})
OTHER_PARTY = "other_party"  # a relational role: the party that did not ask


class TerminationFacts(Protocol):
    agreement_state: str  # the signing state of the agreement
    limit: int  # the school's termination_limit (0: unlimited)
    completed: int  # the student's completed terminations, as the school counts them


def _agreement_effective(f: TerminationFacts) -> DomainError | None:
    if f.agreement_state in ("college_review", "school_review"):
        return Conflict("SIGNING_IN_REVIEW", "签约审核期间不能申请解约")
    if f.agreement_state != "effective":
        return Conflict("NOT_EFFECTIVE", "只有已生效的协议可以申请解约")
    return None


def _within_limit(f: TerminationFacts) -> DomainError | None:
    """Both parties' requests count against the student's limit (seed 002 §2.2.1)."""
    if limit_reached(f.limit, f.completed):
        return Conflict("TERMINATION_LIMIT_REACHED",
                        f"该学生已达到学校规定的解约次数上限（{f.limit}次），不能再申请解约")
    return None


_ROWS = (
    transition("request", {NEW}, AWAITING_PARTY, PARTIES, "申请解约", name="termination_request",
               reason_required=True, event="termination_requested",
               guards=(_agreement_effective, _within_limit)),
    transition("agree", {AWAITING_PARTY}, FIRST_REVIEW, {OTHER_PARTY}, "对方同意解约，提交审核",
               name="termination_agree", event="termination_agreed"),
    transition("disagree", {AWAITING_PARTY}, DISAGREED, {OTHER_PARTY}, "对方不同意解约，解约失败",
               name="termination_disagree", event="termination_disagreed"),
    transition("approve", {COLLEGE_REVIEW}, SCHOOL_REVIEW, {"college_reviewer"}, "学院解约审核通过",
               name="termination_college_approve"),
    transition("approve", {SCHOOL_REVIEW}, APPROVED, {"school_reviewer"}, "学校解约审核通过",
               name="termination_school_approve", event="termination_approved"),
    transition("reject", {COLLEGE_REVIEW}, REJECTED, {"college_reviewer"}, "学院解约审核不通过",
               name="termination_college_reject", reason_required=True, event="termination_rejected"),
    transition("reject", {SCHOOL_REVIEW}, REJECTED, {"school_reviewer"}, "学校解约审核不通过",
               name="termination_school_reject", reason_required=True, event="termination_rejected"),
    # A forced termination or an invalidation overtakes a pending request: it fails, on the record.
    transition("close", IN_FLIGHT, REJECTED, {"school_reviewer"}, "解约申请终止",
               name="termination_closed", reason_required=True, offered=False),
)

TERMINATION = Workflow("termination", STATES, STATE_LABELS, FINAL, _ROWS,
                       wrong_state=lambda wf, state, row: Conflict(
                           "INVALID_STATE", f"解约申请当前为“{wf.labels.get(state, state)}”，不能执行“{row.label}”"))


def party_role(party: str) -> str:
    return "student" if party == "student" else "employer_user"


def other_party(party: str) -> str:
    return "employer" if party == "student" else "student"


def limit_reached(limit: int, completed: int) -> bool:
    """termination_limit counts completed terminations per student; 0 means unlimited."""
    return limit > 0 and completed >= limit


def notice(limit: int, completed: int) -> str:
    """解约须知, with the school's limit and how much of it is used."""
    quota = "本校不限制解约次数" if limit == 0 else f"本校规定每名学生最多解约{limit}次，已解约{completed}次"
    return ("解约须知：1. 解约可能要承担违约责任，赔偿相关损失；2. 解约需签约对方同意，并经学校审核通过方可生效；"
            f"3. 解约申请一经发出不能撤回；4. {quota}。请谨慎操作。")
