"""Every hot route answers in a fixed, small number of SQL statements, however many rows the
page or the account holds (no N+1), and authenticates without SQL (the token's cached account).

A user would notice the opposite as a list that slows down with every letter an employer sends.
"""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from sqlalchemy import event

from app.extensions import db
from app.models import Notification, RecipientType
from app.services import invitations, responses
from tests.api_helpers import ApiClient
from tests.factories import StudentFactory, add_favorites

# Statements each route may use (a page or a home screen, whatever its size).
BUDGET = {
    "/student/home": 6,
    "/student/invitations?status=all": 2,
    "/student/invitations/{id}": 4,  # the invitation with its parties, revisions, flow, destination
    "/employer/home": 4,
    "/employer/invitations": 2,
    "/employer/invitations?status=signing&cohort=2026": 2,
    "/employer/invitations/{id}": 4,
    "/notifications": 2,
}


@contextmanager
def statements() -> Iterator[list[str]]:
    """The SQL statements run meanwhile (savepoint bookkeeping of the test session aside)."""
    seen: list[str] = []
    target = db.engines[None]

    def record(_conn, _cursor, statement, *_args):
        if not statement.lstrip().upper().startswith(("SAVEPOINT", "RELEASE", "ROLLBACK")):
            seen.append(statement)

    event.listen(target, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(target, "before_cursor_execute", record)


def _invite(world, students) -> list[int]:
    results = invitations.send_invitations(world.actor(world.hr), [s.id for s in students], world.terms())
    return [r.invitation_id for r in results]


def _populate(world, letters: int) -> int:
    """``letters`` invitations from the world's employer (one accepted, one rejected) and as
    many inbox rows; the id of the world's student's accepted letter."""
    others = [StudentFactory(major=world.major) for _ in range(letters)]
    add_favorites(world.employer, *others)
    db.session.commit()
    ids = _invite(world, [world.student, *others])
    responses.reject_invitation(world.actor(world.student2_account), _invite(world, [world.student2])[0])
    responses.accept_invitation(world.actor(world.student_account), ids[0], 1, True)
    for n in range(letters):
        db.session.add(Notification(recipient_type=RecipientType.EMPLOYER, recipient_id=world.employer.id,
                                    event="invitation_accepted", title="学生已同意签约", body=f"第{n}封"))
        db.session.add(Notification(recipient_type=RecipientType.STUDENT, recipient_id=world.student.id,
                                    event="invitation_received", title="收到签约邀请", body=f"第{n}封"))
    db.session.commit()
    return ids[0]


def _counts(client, world, invitation_id: int) -> dict[str, int]:
    student = ApiClient(client, world.student_account)
    hr = ApiClient(client, world.hr)
    student.get("/student/home")  # the first use of a token caches its account (one SELECT)
    hr.get("/employer/home")
    student.get(f"/student/invitations/{invitation_id}")  # and the process its dictionary names
    counts = {}
    for path, caller in [("/student/home", student), ("/student/invitations?status=all", student),
                         ("/student/invitations/{id}", student), ("/employer/home", hr),
                         ("/employer/invitations", hr),
                         ("/employer/invitations?status=signing&cohort=2026", hr),
                         ("/employer/invitations/{id}", hr), ("/notifications", hr)]:
        with statements() as seen:
            response = caller.get(path.format(id=invitation_id))
        assert response.status_code == 200, (path, response.get_json())
        counts[path] = len(seen)
    return counts


@pytest.mark.parametrize("letters", [3, 30])
def test_hot_routes_run_a_fixed_number_of_statements(client, world, dicts, letters):
    """Do the home screens, lists, details and the inbox each stay within their statement
    budget, with 3 letters as with 30?"""
    invitation_id = _populate(world, letters)
    counts = _counts(client, world, invitation_id)
    over = {path: (n, BUDGET[path]) for path, n in counts.items() if n > BUDGET[path]}
    assert not over, over


def test_a_token_is_checked_without_sql_once_its_account_is_cached(client, world):
    """After its first request, does a token authenticate from Redis alone (no accounts SELECT)?"""
    student = ApiClient(client, world.student_account)
    db.session.expunge_all()  # nothing of the account already in memory, as in a fresh worker
    with statements() as first:
        assert student.get("/notifications").status_code == 200
    with statements() as second:
        assert student.get("/notifications").status_code == 200
    assert any("FROM accounts" in s for s in first)
    assert not any("FROM accounts" in s for s in second)
    assert len(second) == len(first) - 1


def test_a_deactivated_account_is_refused_once_its_tokens_are_revoked(client, world):
    """Deactivating an account means revoking its tokens (binding does): is the next call 401?"""
    from app.api.auth import revoke_account_tokens

    student = ApiClient(client, world.student_account)
    assert student.get("/student/home").status_code == 200
    world.student_account.is_active = False
    db.session.commit()
    revoke_account_tokens(world.student_account.id)
    response = student.get("/student/home")
    assert response.status_code == 401 and response.get_json()["error"]["code"] == "AUTH_REQUIRED"


@pytest.mark.parametrize("size", [5, 60])
def test_a_batch_invitation_runs_a_fixed_number_of_statements(client, world, size):
    """Does a batch write every letter, revision, flow entry, inbox and outbox row with the same
    few bulk statements for 5 students as for 60, and is every flow entry a valid chain start?"""
    from sqlalchemy import func, select

    from app.models import FlowEntry, Invitation, InvitationRevision, OutboxMessage
    from app.services.flow import verify_flow_log
    from tests.api_helpers import terms_json

    students = [StudentFactory(major=world.major) for _ in range(size)]
    add_favorites(world.employer, *students)
    db.session.commit()
    body = {"student_ids": [s.id for s in students], "terms": terms_json()}
    hr = ApiClient(client, world.hr)
    hr.get("/employer/home")
    with statements() as seen:
        sent = hr.post("/employer/invitations", body)
    assert sent.status_code == 200 and sent.get_json()["sent"] == size, sent.get_json()
    # 18 with the employer's first archive profile (created by its first letter), then 14.
    assert len(seen) <= 18, [q[:80] for q in seen]
    ids = [r["invitation_id"] for r in sent.get_json()["results"]]

    def count(model, column) -> int:
        return db.session.scalar(select(func.count()).select_from(model).where(column.in_(ids)))

    assert count(Invitation, Invitation.id) == size
    assert count(InvitationRevision, InvitationRevision.invitation_id) == size
    assert count(FlowEntry, FlowEntry.subject_id) == size
    assert count(Notification, Notification.subject_id) == size
    assert db.session.scalar(select(func.count()).select_from(OutboxMessage).join(
        Notification, Notification.id == OutboxMessage.notification_id).where(
        Notification.subject_id.in_(ids))) == size
    checked, breaks = verify_flow_log()
    assert checked >= size and breaks == []
