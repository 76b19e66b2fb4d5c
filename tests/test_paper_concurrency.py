"""The one-destination rule across online and paper agreements under real concurrency (MariaDB):
generating a paper agreement and accepting an online invitation at the same instant leave one
winner; racing generations and first-review approvals keep one agreement and gap-free numbers."""
from __future__ import annotations

from collections import Counter

import pytest
from sqlalchemy import select

from app.domain.errors import Conflict
from app.models import ActiveDestination, Invitation, InvitationState, PaperAgreement
from app.services import paper_agreements as papers
from app.services import responses
from tests import paper_helpers as ph
from tests.conftest import World
from tests.factories import StudentFactory, add_favorites
from tests.test_concurrency import fresh, invite, race, student_account

pytestmark = [pytest.mark.mysql, pytest.mark.committing]

ROUNDS = 12  # students, each raced once: the winner varies with the scheduling


def outcome(result) -> str | tuple:
    kind, value = result
    if kind == "ok":
        return "won"
    detail = getattr(value, "code", None) if isinstance(value, Conflict) else str(value)[:160]
    return type(value).__name__, detail


def test_generating_a_paper_agreement_and_accepting_an_invitation_at_once_one_wins(app, committing_db):
    """Per student: a complete paper draft and an open invitation, generated and accepted at the
    same instant. Exactly one becomes the destination, the other answers ALREADY_SIGNED."""
    db = committing_db
    world = World()
    students = [StudentFactory(major=world.major) for _ in range(ROUNDS)]
    accounts = [student_account(s) for s in students]
    add_favorites(world.employer, *students)
    db.session.commit()
    drafts = [papers.create_draft(world.actor(a), ph.content()).id for a in accounts]
    invitations = [invite(world.hr, s) for s in students]
    fresh(db)
    kinds = Counter()
    for i, account in enumerate(accounts):
        actor = world.actor(account)

        def work(which: int, i=i, actor=actor):
            if which == 0:
                papers.generate(actor, drafts[i], True)
                return "paper"
            responses.accept_invitation(actor, invitations[i], 1, True)
            return "online"

        results = race(app, 2, work)
        answers = Counter(outcome(r) for r in results)
        assert answers == {"won": 1, ("Conflict", "ALREADY_SIGNED"): 1}, (i, answers)
        winner = next(value for kind, value in results if kind == "ok")
        kinds[winner] += 1
        fresh(db)
        locks = db.session.scalars(select(ActiveDestination).where(
            ActiveDestination.student_id == students[i].id)).all()
        assert [lock.kind.value for lock in locks] == [winner]
        paper = db.session.get(PaperAgreement, drafts[i])
        invitation = db.session.get(Invitation, invitations[i])
        if winner == "paper":
            assert paper.state.value == "college_review" and invitation.state == InvitationState.INVITED
        else:
            assert paper.state.value == "draft" and invitation.state == InvitationState.COLLEGE_REVIEW
    assert sum(kinds.values()) == ROUNDS


def test_the_same_draft_generated_from_eight_requests_at_once_is_generated_once(app, committing_db):
    db = committing_db
    world = World()
    actor = world.actor(world.student_account)
    draft = papers.create_draft(actor, ph.content()).id
    fresh(db)
    results = race(app, 8, lambda i: papers.generate(actor, draft, True).id)
    answers = Counter(outcome(r) for r in results)
    assert answers["won"] == 1 and sum(answers.values()) == 8, answers
    assert set(answers) - {"won"} <= {("Conflict", "INVALID_STATE"), ("Conflict", "ALREADY_SIGNED")}, answers
    fresh(db)
    assert db.session.scalar(select(ActiveDestination.kind).where(
        ActiveDestination.student_id == world.student.id)).value == "paper"


def test_simultaneous_first_review_approvals_number_paper_agreements_without_gaps(app, committing_db):
    n = 10
    db = committing_db
    world = World()
    students = [StudentFactory(major=world.major) for _ in range(n)]
    accounts = [student_account(s) for s in students]
    db.session.commit()
    ids = []
    for account in accounts:
        paper_id = ph.generated(world, account)
        papers.approve(world.actor(world.college_reviewer), paper_id)
        ids.append(paper_id)
    school = world.actor(world.school_reviewer)
    fresh(db)
    results = race(app, n, lambda i: papers.approve(school, ids[i]).agreement_no)
    assert all(kind == "ok" for kind, _ in results), results
    numbers = sorted(value for _, value in results)
    assert [int(x[-6:]) for x in numbers] == list(range(1, n + 1))
    assert all(x.startswith("2") for x in numbers)
