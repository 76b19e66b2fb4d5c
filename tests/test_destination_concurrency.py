"""The one-destination rule across kinds under real concurrency on MariaDB: a student sending an
other destination to review while accepting online invitations at the same instant ends with
exactly one active destination (the ``active_destinations`` primary key decides)."""
from __future__ import annotations

from collections import Counter

import pytest
from sqlalchemy import func, select

from app.domain.errors import Conflict
from app.models import ActiveDestination, DestinationKind, Invitation, InvitationState, OtherDestination
from app.services import destinations, responses
from tests.destination_helpers import further_study, png
from tests.test_concurrency import fresh, one_student_many_employers, race

pytestmark = [pytest.mark.mysql, pytest.mark.committing]


@pytest.fixture(autouse=True)
def upload_dir(app, tmp_path, monkeypatch):
    monkeypatch.setitem(app.config, "UPLOAD_DIR", str(tmp_path / "uploads"))


def _outcome(kind: str, value) -> object:
    if kind == "ok":
        return "won"
    return (type(value).__name__, getattr(value, "code", None) if isinstance(value, Conflict) else str(value)[:160])


@pytest.mark.parametrize("round_", range(3))
def test_submit_races_accepts_and_exactly_one_wins(app, committing_db, round_):
    """Thread 0 sends the registration to review, threads 1–11 accept eleven invitations."""
    world, invitation_ids = one_student_many_employers(committing_db, 11)
    actor = world.actor(world.student_account)
    draft = destinations.save_draft(actor, further_study())
    destinations.add_evidence(actor, draft.id, png())
    student_id, draft_id = world.student.id, draft.id
    fresh(committing_db)

    def work(i: int) -> str:
        if i == 0:
            destinations.submit(actor, draft_id)
            return "destination"
        responses.accept_invitation(actor, invitation_ids[i - 1], revision=1, confirm=True)
        return f"invitation:{invitation_ids[i - 1]}"

    results = race(app, 12, work)
    answers = Counter(_outcome(kind, value) for kind, value in results)
    assert answers == {"won": 1, ("Conflict", "ALREADY_SIGNED"): 11}, answers
    winner = next(value for kind, value in results if kind == "ok")
    fresh(committing_db)
    rows = committing_db.session.scalars(select(ActiveDestination).where(
        ActiveDestination.student_id == student_id)).all()
    assert len(rows) == 1
    reviewed = committing_db.session.scalar(select(func.count()).select_from(Invitation).where(
        Invitation.id.in_(invitation_ids), Invitation.state == InvitationState.COLLEGE_REVIEW))
    state = committing_db.session.get(OtherDestination, draft_id).state.value
    if winner == "destination":
        assert rows[0].kind == DestinationKind.OTHER and reviewed == 0 and state == "college_review"
    else:
        assert rows[0].kind == DestinationKind.ONLINE and reviewed == 1 and state == "draft"
        assert f"invitation:{rows[0].invitation_id}" == winner


def test_double_submit_of_one_draft_takes_one_destination(app, committing_db):
    """Two taps on 保存并送审 at once: one review, one lock, one flow entry."""
    world, _ = one_student_many_employers(committing_db, 1)
    actor = world.actor(world.student_account)
    draft = destinations.save_draft(actor, further_study())
    destinations.add_evidence(actor, draft.id, png())
    draft_id = draft.id
    fresh(committing_db)
    results = race(app, 6, lambda i: destinations.submit(actor, draft_id).id)
    answers = Counter(_outcome(kind, value) for kind, value in results)
    assert answers["won"] == 1 and sum(answers.values()) == 6, answers
    assert set(answers) <= {"won", ("Conflict", "INVALID_STATE"), ("Conflict", "ALREADY_SIGNED")}, answers
    fresh(committing_db)
    assert committing_db.session.scalar(select(func.count()).select_from(ActiveDestination)) == 1
