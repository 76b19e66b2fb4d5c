"""解约 as data: the termination states, who answers, who reviews, and the notice text."""
from __future__ import annotations

from dataclasses import dataclass

AWAITING_PARTY = "awaiting_party"
DISAGREED = "disagreed"
COLLEGE_REVIEW = "college_review"
SCHOOL_REVIEW = "school_review"
APPROVED = "approved"
REJECTED = "rejected"

IN_FLIGHT = frozenset({AWAITING_PARTY, COLLEGE_REVIEW, SCHOOL_REVIEW})
REASON_MAX = 200

STATE_LABELS = {
    AWAITING_PARTY: "待对方确认",
    DISAGREED: "解约失败（对方不同意）",
    COLLEGE_REVIEW: "等待学院审核",
    SCHOOL_REVIEW: "等待学校审核",
    APPROVED: "已解约",
    REJECTED: "解约失败（审核不通过）",
}

FIRST_REVIEW = "<first-review>"
OTHER_PARTY = "other_party"  # the party that did not ask


@dataclass(frozen=True)
class Step:
    action: str
    sources: frozenset[str]
    target: str
    roles: frozenset[str]
    label: str
    reason_required: bool = False
    event: str | None = None


def _s(action, sources, target, roles, label, **kw) -> Step:
    return Step(action, frozenset(sources), target, frozenset(roles), label, **kw)


STEPS: dict[str, Step] = {s.action: s for s in (
    _s("agree", {AWAITING_PARTY}, FIRST_REVIEW, {OTHER_PARTY}, "对方同意解约，提交审核",
       event="termination_agreed"),
    _s("disagree", {AWAITING_PARTY}, DISAGREED, {OTHER_PARTY}, "对方不同意解约，解约失败",
       event="termination_disagreed"),
    _s("college_approve", {COLLEGE_REVIEW}, SCHOOL_REVIEW, {"college_reviewer"}, "学院解约审核通过"),
    _s("college_reject", {COLLEGE_REVIEW}, REJECTED, {"college_reviewer"}, "学院解约审核不通过",
       reason_required=True, event="termination_rejected"),
    _s("school_approve", {SCHOOL_REVIEW}, APPROVED, {"school_reviewer"}, "学校解约审核通过",
       event="termination_approved"),
    _s("school_reject", {SCHOOL_REVIEW}, REJECTED, {"school_reviewer"}, "学校解约审核不通过",
       reason_required=True, event="termination_rejected"),
)}


def party_role(party: str) -> str:
    return "student" if party == "student" else "employer_user"


def other_party(party: str) -> str:
    return "employer" if party == "student" else "student"


def resolve_target(step: Step, two_levels: bool) -> str:
    if step.target == FIRST_REVIEW:
        return COLLEGE_REVIEW if two_levels else SCHOOL_REVIEW
    return step.target


def limit_reached(limit: int, completed: int) -> bool:
    """termination_limit counts completed terminations per student; 0 means unlimited."""
    return limit > 0 and completed >= limit


def notice(limit: int, completed: int) -> str:
    """解约须知, with the school's limit and how much of it is used."""
    quota = "本校不限制解约次数" if limit == 0 else f"本校规定每名学生最多解约{limit}次，已解约{completed}次"
    return ("解约须知：1. 解约可能要承担违约责任，赔偿相关损失；2. 解约需签约对方同意，并经学校审核通过方可生效；"
            f"3. 解约申请一经发出不能撤回；4. {quota}。请谨慎操作。")
