"""The employer's status groups (签约/解约 lists and the workbench counts), as data.

Each agreement is in exactly one group, decided by its state, whether an unanswered letter is
past its deadline, and where its latest termination stands.
"""
from __future__ import annotations

from datetime import datetime

GROUPS = {
    "signing": "签约中",
    "signed": "已签约",
    "signing_failed": "签约失败",
    "terminating": "解约中",
    "terminated": "已解约",
    "termination_failed": "解约失败",
    "voided": "已作废",
    "invalidated": "失效",
}


def group_of(state: str, termination_status: str | None, deadline_passed: bool) -> str:
    if state == "invited":
        return "signing_failed" if deadline_passed else "signing"
    if state in ("college_review", "school_review"):
        return "signing"
    if state in ("rejected", "expired", "review_rejected"):
        return "signing_failed"
    if state == "effective":
        return {"in_flight": "terminating", "failed": "termination_failed"}.get(
            termination_status or "", "signed")
    return {"terminated": "terminated", "voided": "voided", "invalidated": "invalidated"}[state]


def group_condition(group: str, model, now: datetime):
    """The SQL condition selecting one group on the invitations table."""
    state, status = model.state, model.termination_status
    invited_open = (state == "invited") & (model.deadline_at > now)
    conditions = {
        "signing": invited_open | state.in_(("college_review", "school_review")),
        "signing_failed": state.in_(("rejected", "expired", "review_rejected"))
        | ((state == "invited") & (model.deadline_at <= now)),
        "signed": (state == "effective") & (status.is_(None) | (status == "approved")),
        "terminating": (state == "effective") & (status == "in_flight"),
        "termination_failed": (state == "effective") & (status == "failed"),
        "terminated": state == "terminated",
        "voided": state == "voided",
        "invalidated": state == "invalidated",
    }
    return conditions[group]
