"""The transition tables themselves, exhaustively: every (state, action, role) without a database."""
from __future__ import annotations

import itertools

import pytest

from app.domain import signing as rules
from app.domain import termination as trules
from app.domain import workbench
from app.domain.actors import Actor

STATES = [rules.INVITED, rules.REJECTED, rules.EXPIRED, rules.COLLEGE_REVIEW, rules.SCHOOL_REVIEW,
          rules.REVIEW_REJECTED, rules.EFFECTIVE, rules.VOIDED, rules.INVALIDATED, rules.TERMINATED]
ROLES = ["student", "employer_user", "college_reviewer", "school_reviewer", "platform_admin", "system"]

# The transitions SPEC §4 allows, written out independently of the table.
ALLOWED = {
    ("accept", rules.INVITED, "student"), ("reject", rules.INVITED, "student"),
    ("expire", rules.INVITED, "system"),
    ("modify", rules.INVITED, "employer_user"), ("modify", rules.COLLEGE_REVIEW, "employer_user"),
    ("modify", rules.SCHOOL_REVIEW, "employer_user"),
    ("accept_revision", rules.COLLEGE_REVIEW, "student"), ("accept_revision", rules.SCHOOL_REVIEW, "student"),
    ("decline_revision", rules.COLLEGE_REVIEW, "student"), ("decline_revision", rules.SCHOOL_REVIEW, "student"),
    ("college_approve", rules.COLLEGE_REVIEW, "college_reviewer"),
    ("college_reject", rules.COLLEGE_REVIEW, "college_reviewer"),
    ("school_approve", rules.SCHOOL_REVIEW, "school_reviewer"),
    ("school_reject", rules.SCHOOL_REVIEW, "school_reviewer"),
    ("withdraw_approval", rules.EFFECTIVE, "school_reviewer"), ("void", rules.EFFECTIVE, "school_reviewer"),
    ("force_terminate", rules.EFFECTIVE, "school_reviewer"), ("terminate", rules.EFFECTIVE, "school_reviewer"),
    *{("invalidate", s, "school_reviewer") for s in (rules.INVITED, rules.COLLEGE_REVIEW,
                                                     rules.SCHOOL_REVIEW, rules.EFFECTIVE)},
}


@pytest.mark.parametrize("action,state,role", list(itertools.product(rules.TRANSITIONS, STATES, ROLES)),
                         ids=lambda v: str(v))
def test_transition_table(action, state, role):
    """Is exactly the SPEC's set of (action, state, role) allowed, and nothing else?"""
    t = rules.TRANSITIONS[action]
    assert (state in t.sources and role in t.roles) == ((action, state, role) in ALLOWED)


@pytest.mark.parametrize("two_levels,expected", [(True, rules.COLLEGE_REVIEW), (False, rules.SCHOOL_REVIEW)])
def test_acceptance_enters_the_first_review_level(two_levels, expected):
    assert rules.resolve_target(rules.TRANSITIONS["accept"], rules.INVITED, two_levels) == expected


def test_closed_and_active_states_are_disjoint_and_cover_the_ends():
    assert not rules.ACTIVE_STATES & rules.CLOSED_STATES
    assert rules.INVITED not in rules.ACTIVE_STATES | rules.CLOSED_STATES


def test_reasons_required_for_rejections_and_interventions():
    needing = {a for a, t in rules.TRANSITIONS.items() if t.reason_required}
    assert needing == {"college_reject", "school_reject", "withdraw_approval", "void", "invalidate",
                       "force_terminate"}


@pytest.mark.parametrize("role,field,own,other", [
    ("student", "student_id", 1, 2), ("employer_user", "employer_id", 10, 11),
    ("college_reviewer", "college_id", 100, 101), ("school_reviewer", "school_id", 1000, 1001),
])
def test_ownership(role, field, own, other):
    """Does each role reach only its own student / employer / college / school?"""
    scope = rules.InvitationScope(student_id=1, employer_id=10, school_id=1000, college_id=100)
    base = {"school_id": 1000} if role == "college_reviewer" else {}
    assert rules.owns(Actor(role=role, **{**base, field: own}), scope)
    assert not rules.owns(Actor(role=role, **{**base, field: other}), scope)
    assert not rules.owns(Actor(role="platform_admin"), scope)


@pytest.mark.parametrize("facts,code", [
    (dict(record_active=False), "STUDENT_RECORD_INVALID"), (dict(signing_open=False), "SIGNING_CLOSED"),
    (dict(source_approved=False), "SOURCE_NOT_APPROVED"), (dict(directed=True), "DIRECTED_STUDENT"),
    (dict(has_active_destination=True), "ALREADY_SIGNED"), ({}, None),
])
def test_acceptance_blockers(facts, code):
    base = dict(signing_open=True, source_approved=True, directed=False, record_active=True,
                has_active_destination=False)
    blocker = rules.acceptance_blocker(rules.StudentFacts(**{**base, **facts}))
    assert (blocker[0] if blocker else None) == code


def test_agreement_number_format():
    assert rules.agreement_number(1, 2026, "10001", 7) == "1202610001000007"


@pytest.mark.parametrize("action,state,ok", [
    ("agree", trules.AWAITING_PARTY, True), ("disagree", trules.AWAITING_PARTY, True),
    ("agree", trules.COLLEGE_REVIEW, False), ("college_approve", trules.COLLEGE_REVIEW, True),
    ("school_approve", trules.COLLEGE_REVIEW, False), ("school_approve", trules.SCHOOL_REVIEW, True),
    ("school_reject", trules.APPROVED, False),
])
def test_termination_steps(action, state, ok):
    assert (state in trules.STEPS[action].sources) is ok


@pytest.mark.parametrize("limit,completed,reached", [(0, 5, False), (1, 0, False), (1, 1, True), (2, 1, False)])
def test_termination_limit(limit, completed, reached):
    assert trules.limit_reached(limit, completed) is reached


@pytest.mark.parametrize("state,status,past,group", [
    ("invited", None, False, "signing"), ("invited", None, True, "signing_failed"),
    ("school_review", None, False, "signing"), ("effective", None, False, "signed"),
    ("effective", "in_flight", False, "terminating"), ("effective", "failed", False, "termination_failed"),
    ("terminated", "approved", False, "terminated"), ("voided", None, False, "voided"),
    ("invalidated", None, False, "invalidated"), ("expired", None, True, "signing_failed"),
])
def test_workbench_groups(state, status, past, group):
    assert workbench.group_of(state, status, past) == group
