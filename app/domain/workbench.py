"""The employer's status groups (签约/解约 lists and the workbench counts), as data.

Each agreement is in exactly one group, decided by its state, whether an unanswered letter is
past its deadline, and where its latest termination stands.
"""
from __future__ import annotations

from datetime import datetime

from app.domain.signing import (EFFECTIVE, EXPIRED, INVALIDATED, INVITED, REJECTED,
                                REVIEW_REJECTED, REVIEW_STATES, TERMINATED, VOIDED,
                                open_letter_condition, overdue_condition)
from app.domain.termination import STATUS_FAILED, STATUS_IN_FLIGHT

FAILED_SIGNING = (REJECTED, EXPIRED, REVIEW_REJECTED)

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


def group_of(state: str, termination_status: str | None, overdue: bool) -> str:
    """overdue: domain.signing.is_overdue of the letter."""
    if state == INVITED:
        return "signing_failed" if overdue else "signing"
    if state in REVIEW_STATES:
        return "signing"
    if state in FAILED_SIGNING:
        return "signing_failed"
    if state == EFFECTIVE:
        return {STATUS_IN_FLIGHT: "terminating", STATUS_FAILED: "termination_failed"}.get(
            termination_status or "", "signed")
    return {TERMINATED: "terminated", VOIDED: "voided", INVALIDATED: "invalidated"}[state]


def group_condition(group: str, model, now: datetime):
    """group_of as the SQL condition selecting one group on the invitations table."""
    state, status = model.state, model.termination_status
    conditions = {
        "signing": open_letter_condition(model, now) | state.in_(REVIEW_STATES),
        "signing_failed": state.in_(FAILED_SIGNING) | overdue_condition(model, now),
        "signed": (state == EFFECTIVE) & (status.is_(None) | status.not_in((STATUS_IN_FLIGHT, STATUS_FAILED))),
        "terminating": (state == EFFECTIVE) & (status == STATUS_IN_FLIGHT),
        "termination_failed": (state == EFFECTIVE) & (status == STATUS_FAILED),
        "terminated": state == TERMINATED,
        "voided": state == VOIDED,
        "invalidated": state == INVALIDATED,
    }
    return conditions[group]
