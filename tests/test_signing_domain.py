"""The transition tables themselves, exhaustively: every (state, action, role) without a database."""
from __future__ import annotations

import itertools
from datetime import datetime, timedelta
from types import SimpleNamespace

import pytest

from app.domain import signing as rules
from app.domain import termination as trules
from app.domain import verification, workbench
from app.domain import workflow
from app.domain.actors import Actor
from app.domain.errors import DomainError

STATES = [workflow.NEW, *rules.STATES]
ROLES = ["student", "employer_user", "college_reviewer", "school_reviewer", "platform_admin", "system"]

# The transitions SPEC §4 allows, written out independently of the table.
ALLOWED = {
    ("invite", workflow.NEW, "employer_user"),
    ("accept", rules.INVITED, "student"), ("reject", rules.INVITED, "student"),
    ("expire", rules.INVITED, "system"),
    ("modify", rules.INVITED, "employer_user"), ("modify", rules.COLLEGE_REVIEW, "employer_user"),
    ("modify", rules.SCHOOL_REVIEW, "employer_user"),
    ("accept_revision", rules.COLLEGE_REVIEW, "student"), ("accept_revision", rules.SCHOOL_REVIEW, "student"),
    ("decline_revision", rules.COLLEGE_REVIEW, "student"), ("decline_revision", rules.SCHOOL_REVIEW, "student"),
    ("approve", rules.COLLEGE_REVIEW, "college_reviewer"), ("reject", rules.COLLEGE_REVIEW, "college_reviewer"),
    ("approve", rules.SCHOOL_REVIEW, "school_reviewer"), ("reject", rules.SCHOOL_REVIEW, "school_reviewer"),
    ("withdraw_approval", rules.EFFECTIVE, "school_reviewer"), ("void", rules.EFFECTIVE, "school_reviewer"),
    ("force_terminate", rules.EFFECTIVE, "school_reviewer"), ("terminate", rules.EFFECTIVE, "school_reviewer"),
    *{("invalidate", s, "school_reviewer") for s in (rules.INVITED, rules.COLLEGE_REVIEW,
                                                     rules.SCHOOL_REVIEW, rules.EFFECTIVE)},
}


def _allows(wf, action: str, state: str, role: str) -> bool:
    row = wf.row(action, state)
    return row is not None and role in row.roles


@pytest.mark.parametrize("action,state,role", list(itertools.product(rules.SIGNING.by_action, STATES, ROLES)),
                         ids=lambda v: str(v))
def test_transition_table(action, state, role):
    """Is exactly the SPEC's set of (action, state, role) allowed, and nothing else?"""
    assert _allows(rules.SIGNING, action, state, role) == ((action, state, role) in ALLOWED)


@pytest.mark.parametrize("two_levels,expected", [(True, rules.COLLEGE_REVIEW), (False, rules.SCHOOL_REVIEW)])
def test_acceptance_enters_the_first_review_level(two_levels, expected):
    row = rules.SIGNING.row("accept", rules.INVITED)
    assert rules.SIGNING.target(row, rules.INVITED, two_levels) == expected


def test_closed_and_active_states_are_disjoint_and_cover_the_ends():
    assert not rules.ACTIVE_STATES & rules.CLOSED_STATES
    assert rules.INVITED not in rules.ACTIVE_STATES | rules.CLOSED_STATES
    assert set(rules.STATES) == rules.ACTIVE_STATES | rules.CLOSED_STATES | {rules.INVITED}


def test_reasons_required_for_rejections_and_interventions():
    needing = {r.name for r in rules.SIGNING.rows if r.reason_required}
    assert needing == {"college_reject", "school_reject", "withdraw_approval", "void", "invalidate",
                       "force_terminate"}


def test_a_table_that_leaves_a_final_state_is_refused():
    """Can nobody declare a row out of a final state (the executor could never undo an end)?"""
    bad = workflow.transition("revive", {rules.TERMINATED}, rules.EFFECTIVE, {"school_reviewer"}, "复活")
    with pytest.raises(AssertionError):
        workflow.Workflow("x", rules.STATES, rules.STATE_LABELS, rules.CLOSED_STATES, [bad])


def _facts(**overrides):
    student = rules.StudentFacts(signing_open=True, source_approved=True, directed=False, record_active=True,
                                 has_active_destination=overrides.pop("has_active_destination", False))
    base = dict(overdue=False, student=student, revision_pending=False, numbered=False,
                termination_in_flight=False)
    return SimpleNamespace(**{**base, **overrides})


@pytest.mark.parametrize("state,role,facts,expected", [
    (rules.INVITED, "student", {}, ["accept", "reject"]),
    # seed 002 FAQ 3: with a destination, other letters are read-only
    (rules.INVITED, "student", {"has_active_destination": True}, []),
    (rules.INVITED, "student", {"overdue": True}, []),
    (rules.INVITED, "employer_user", {}, ["modify"]),
    (rules.INVITED, "employer_user", {"overdue": True}, []),
    (rules.COLLEGE_REVIEW, "college_reviewer", {}, ["approve", "reject"]),
    (rules.COLLEGE_REVIEW, "college_reviewer", {"revision_pending": True}, ["reject"]),
    (rules.SCHOOL_REVIEW, "student", {"revision_pending": True}, ["accept_revision", "decline_revision"]),
    (rules.SCHOOL_REVIEW, "student", {}, []),
    # withdrawn after approval: the numbered terms never change again (seed 002 FAQ 6)
    (rules.SCHOOL_REVIEW, "employer_user", {"numbered": True}, []),
    (rules.SCHOOL_REVIEW, "employer_user", {}, ["modify"]),
    (rules.EFFECTIVE, "school_reviewer", {}, ["withdraw_approval", "void", "invalidate", "force_terminate"]),
    (rules.EFFECTIVE, "school_reviewer", {"termination_in_flight": True}, ["invalidate", "force_terminate"]),
    (rules.EFFECTIVE, "employer_user", {}, []),
])
def test_allowed_actions_follow_the_guards(state, role, facts, expected):
    """Does a client get exactly the buttons the rules allow, guards included?"""
    assert rules.SIGNING.allowed(state, {role}, _facts(**facts)) == expected


@pytest.mark.parametrize("action,state,role,facts,code", [
    ("accept", rules.INVITED, "student", {"has_active_destination": True}, "ALREADY_SIGNED"),
    ("reject", rules.INVITED, "student", {"has_active_destination": True}, "ALREADY_SIGNED"),
    ("accept", rules.INVITED, "student", {"overdue": True}, "INVITATION_EXPIRED"),
    ("modify", rules.SCHOOL_REVIEW, "employer_user", {"numbered": True}, "AGREEMENT_NUMBERED"),
    ("approve", rules.SCHOOL_REVIEW, "college_reviewer", {}, "ACTION_NOT_ALLOWED"),
    ("approve", rules.EFFECTIVE, "school_reviewer", {}, "INVALID_STATE"),
    ("void", rules.EFFECTIVE, "school_reviewer", {"termination_in_flight": True}, "TERMINATION_IN_FLIGHT"),
    ("accept", rules.INVITED, "employer_user", {}, "ACTION_NOT_ALLOWED"),
])
def test_refusals_name_the_rule(action, state, role, facts, code):
    with pytest.raises(DomainError) as exc:
        rules.SIGNING.check(action, state, {role}, _facts(**facts), reason="原因")
    assert exc.value.code == code


def test_overdue_is_one_rule():
    deadline = datetime(2026, 6, 1)
    assert rules.is_overdue(rules.INVITED, deadline, deadline)
    assert not rules.is_overdue(rules.INVITED, deadline, deadline - timedelta(seconds=1))
    assert not rules.is_overdue(rules.COLLEGE_REVIEW, deadline, deadline + timedelta(days=1))


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


TERMINATION_STATES = [workflow.NEW, *trules.STATES]
TERMINATION_ROLES = ["student", "employer_user", trules.OTHER_PARTY, "college_reviewer", "school_reviewer"]
TERMINATION_ALLOWED = {
    ("request", workflow.NEW, "student"), ("request", workflow.NEW, "employer_user"),
    ("agree", trules.AWAITING_PARTY, trules.OTHER_PARTY), ("disagree", trules.AWAITING_PARTY, trules.OTHER_PARTY),
    ("approve", trules.COLLEGE_REVIEW, "college_reviewer"), ("reject", trules.COLLEGE_REVIEW, "college_reviewer"),
    ("approve", trules.SCHOOL_REVIEW, "school_reviewer"), ("reject", trules.SCHOOL_REVIEW, "school_reviewer"),
    *{("close", s, "school_reviewer") for s in trules.IN_FLIGHT},
}


@pytest.mark.parametrize("action,state,role", list(itertools.product(
    trules.TERMINATION.by_action, TERMINATION_STATES, TERMINATION_ROLES)), ids=lambda v: str(v))
def test_termination_table(action, state, role):
    """Only the party that did not ask answers; the college, then the school, reviews."""
    assert _allows(trules.TERMINATION, action, state, role) == ((action, state, role) in TERMINATION_ALLOWED)


@pytest.mark.parametrize("agreement_state,limit,completed,code", [
    ("college_review", 1, 0, "SIGNING_IN_REVIEW"), ("terminated", 1, 0, "NOT_EFFECTIVE"),
    ("effective", 1, 1, "TERMINATION_LIMIT_REACHED"), ("effective", 0, 9, None), ("effective", 2, 1, None),
])
def test_termination_request_guards(agreement_state, limit, completed, code):
    facts = SimpleNamespace(agreement_state=agreement_state, limit=limit, completed=completed)
    if code is None:
        trules.TERMINATION.check("request", workflow.NEW, {"employer_user"}, facts, reason="原因")
        return
    with pytest.raises(DomainError) as exc:
        trules.TERMINATION.check("request", workflow.NEW, {"employer_user"}, facts, reason="原因")
    assert exc.value.code == code


@pytest.mark.parametrize("action,state,role,allowed", [
    ("approve", verification.PENDING, "school_reviewer", True), ("approve", verification.PENDING, "platform_admin", True),
    ("approve", verification.PENDING, "college_reviewer", False), ("reject", verification.APPROVED, "platform_admin", False),
    ("submit_evidence", verification.REJECTED, "employer_user", True),
    ("submit_evidence", verification.APPROVED, "employer_user", False),
])
def test_verification_table(action, state, role, allowed):
    assert _allows(verification.VERIFICATION, action, state, role) is allowed


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
