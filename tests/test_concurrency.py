"""Real concurrency against MariaDB (QUALITY.md "Reliability"): threads that really race.

Every test commits for real (committing_db), starts its threads behind a barrier so they hit the
database together, gives each thread its own app context (hence its own session and connection),
and bounds every wait. SQLite serialises writers, so these run on MariaDB only (CI).
"""
from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import func, select

from app.domain.actors import Actor
from app.domain.errors import Conflict
from app.models import (ActiveDestination, AgreementCounter, FlowEntry, Invitation,
                        InvitationState, ReviewLevels, Role)
from app.services import invitations, responses, reviews
from tests.api_helpers import ApiClient
from tests.conftest import World
from tests.factories import AccountFactory, EmployerFactory, StudentFactory, add_favorites

pytestmark = [pytest.mark.mysql, pytest.mark.committing]

JOIN_TIMEOUT = 60  # seconds for all threads of one race; a hang fails the test, never blocks CI
# The engine's pool is DB_POOL_SIZE 10 + max_overflow 20 = 30 connections, so of 32 threads at
# most 30 are inside MariaDB at once; the other two queue for a connection and race a moment later.


def race(app, n: int, work: Callable[[int], Any]) -> list[tuple[str, Any]]:
    """Run work(0..n-1) in n threads released together; [("ok", value) | ("error", exc)] by index."""
    barrier = threading.Barrier(n, timeout=JOIN_TIMEOUT)
    results: list[tuple[str, Any]] = [("error", RuntimeError("thread never ran"))] * n

    def target(i: int) -> None:
        try:
            with app.app_context():  # its own session, its own connection
                barrier.wait()
                results[i] = ("ok", work(i))
        except BaseException as exc:  # noqa: BLE001  (reported by the test, with its index)
            results[i] = ("error", exc)

    threads = [threading.Thread(target=target, args=(i,), name=f"race-{i}", daemon=True)
               for i in range(n)]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + JOIN_TIMEOUT
    for thread in threads:
        thread.join(max(0.0, deadline - time.monotonic()))
    stuck = [t.name for t in threads if t.is_alive()]
    assert not stuck, f"still running after {JOIN_TIMEOUT}s (deadlock or pool exhaustion?): {stuck}"
    return results


def fresh(db) -> None:
    """End the main thread's transaction: under REPEATABLE READ its snapshot predates the race."""
    db.session.rollback()


def student_account(student):
    return AccountFactory(role=Role.STUDENT, student_id=student.id, school_id=student.school_id,
                          username=None, password_hash=None)


def invite(hr_account, student) -> int:
    result = invitations.send_invitations(Actor.from_account(hr_account), [student.id], World.terms())[0]
    assert result.ok, result
    return result.invitation_id


def one_student_many_employers(db, count: int) -> tuple[World, list[int]]:
    """The world's student holding `count` open invitations from as many verified employers."""
    world = World()
    employers = [EmployerFactory() for _ in range(count)]
    hrs = [AccountFactory(role=Role.EMPLOYER_USER, employer_id=e.id) for e in employers]
    for employer in employers:  # only students on the 签约发送列表 can be invited
        add_favorites(employer, world.student)
    db.session.commit()
    invitation_ids = [invite(hr, world.student) for hr in hrs]
    return world, invitation_ids


def assert_one_destination(db, student_id: int, invitation_ids: list[int], winner: int) -> None:
    fresh(db)
    rows = db.session.scalars(select(ActiveDestination).where(
        ActiveDestination.student_id == student_id)).all()
    assert [r.invitation_id for r in rows] == [winner]
    states = Counter(db.session.scalars(select(Invitation.state).where(
        Invitation.id.in_(invitation_ids))).all())
    assert states == {InvitationState.COLLEGE_REVIEW: 1, InvitationState.INVITED: len(invitation_ids) - 1}
    accepts = db.session.scalars(select(FlowEntry.subject_id).where(
        FlowEntry.subject_type == "invitation", FlowEntry.action == "accept",
        FlowEntry.subject_id.in_(invitation_ids))).all()
    assert accepts == [winner]


def test_32_simultaneous_accepts_by_one_student_one_wins(app, committing_db):
    """32 employers invited the same student, who accepts all 32 at the same instant (two phones,
    a scripted client): exactly one becomes the destination; the other 31 answer ALREADY_SIGNED."""
    world, invitation_ids = one_student_many_employers(committing_db, 32)
    actor = world.actor(world.student_account)
    student_id = world.student.id
    fresh(committing_db)

    def accept(i: int) -> int:
        responses.accept_invitation(actor, invitation_ids[i], revision=1, confirm=True)
        return invitation_ids[i]

    results = race(app, 32, accept)
    won = [value for kind, value in results if kind == "ok"]
    answers = Counter("won" if kind == "ok" else (type(value).__name__, getattr(value, "code", None)
                                                  if isinstance(value, Conflict) else str(value)[:160])
                      for kind, value in results)
    assert answers == {"won": 1, ("Conflict", "ALREADY_SIGNED"): 31}, answers
    assert_one_destination(committing_db, student_id, invitation_ids, won[0])


def test_32_simultaneous_accepts_over_http_one_200_and_31_409(app, committing_db):
    """The same race through the API, as 32 requests: 1 × 200 and 31 × 409 ALREADY_SIGNED."""
    world, invitation_ids = one_student_many_employers(committing_db, 32)
    headers = ApiClient(app.test_client(), world.student_account).headers
    student_id = world.student.id
    fresh(committing_db)

    def accept(i: int) -> tuple[int, int, str | None]:
        response = app.test_client().post(f"/api/v1/student/invitations/{invitation_ids[i]}/accept",
                                          json={"revision": 1, "confirm": True}, headers=headers)
        body = response.get_json(silent=True) or {}
        return response.status_code, invitation_ids[i], (body.get("error") or {}).get("code")

    results = race(app, 32, accept)
    assert all(kind == "ok" for kind, _ in results), results
    answers = [value for _, value in results]
    statuses = Counter((status, code) for status, _, code in answers)
    assert statuses == {(200, None): 1, (409, "ALREADY_SIGNED"): 31}, statuses
    winner = next(inv_id for status, inv_id, _ in answers if status == 200)
    assert_one_destination(committing_db, student_id, invitation_ids, winner)


@pytest.mark.parametrize("counter", ["first-number-of-the-cohort", "counter-row-exists"])
def test_simultaneous_school_approvals_number_agreements_without_gaps(app, committing_db, counter):
    """20 agreements of one school and cohort approved by the school at the same instant: numbers
    000001..000020, each used once, every agreement effective — both when the cohort's counter
    row is created by these very approvals and when it already exists (steady state)."""
    n = 20
    world = World()
    world.school.review_levels = ReviewLevels.SCHOOL  # accept → school_review directly
    students = [StudentFactory(major=world.major) for _ in range(n)]
    accounts = [student_account(s) for s in students]
    add_favorites(world.employer, *students)
    if counter == "counter-row-exists":
        committing_db.session.add(AgreementCounter(kind=1, cohort=students[0].cohort,
                                                   school_id=world.school.id, last_seq=0))
    committing_db.session.commit()
    sent = invitations.send_invitations(world.actor(world.hr), [s.id for s in students], World.terms())
    assert all(r.ok for r in sent), sent
    invitation_ids = [r.invitation_id for r in sent]
    for account, inv_id in zip(accounts, invitation_ids, strict=True):
        inv = responses.accept_invitation(Actor.from_account(account), inv_id, 1, True)
        assert inv.state == InvitationState.SCHOOL_REVIEW
    reviewer = world.actor(world.school_reviewer)
    school_id, school_code, cohort = world.school.id, world.school.code, students[0].cohort
    fresh(committing_db)

    def approve(i: int) -> str:
        return reviews.approve_signing(reviewer, invitation_ids[i]).agreement_no

    results = race(app, n, approve)
    assert all(kind == "ok" for kind, _ in results), [
        (i, type(v).__name__, str(v)[:300]) for i, (kind, v) in enumerate(results) if kind != "ok"]
    fresh(committing_db)
    rows = committing_db.session.execute(select(Invitation.state, Invitation.agreement_no).where(
        Invitation.id.in_(invitation_ids))).all()
    assert {state for state, _ in rows} == {InvitationState.EFFECTIVE}
    expected = [f"1{cohort}{school_code}{seq:06d}" for seq in range(1, n + 1)]
    assert sorted(no for _, no in rows) == expected  # unique and gap-free
    assert sorted(value for _, value in results) == expected  # each caller got its own number
    assert committing_db.session.scalar(select(AgreementCounter.last_seq).filter_by(
        kind=1, cohort=cohort, school_id=school_id)) == n


def test_two_users_of_one_employer_inviting_one_student_at_once_leave_one_open_invitation(
        app, committing_db):
    """Two HR users of the same employer press 发送 for the same student at the same moment — for
    five students at once, on the employer's very first invitations (no 户档信息 yet): each student
    ends up with exactly one open invitation, the other sender is told DUPLICATE_OPEN_INVITATION."""
    pairs = 5
    world = World()
    extra = [StudentFactory(major=world.major) for _ in range(pairs - 2)]
    add_favorites(world.employer, *extra)
    students = [world.student, world.student2] + extra
    student_ids = [s.id for s in students]
    senders = [world.actor(world.hr), world.actor(world.hr2)]
    committing_db.session.commit()
    fresh(committing_db)

    def send(i: int) -> tuple[int, bool, str | None]:
        student_id = student_ids[i // 2]
        result = invitations.send_invitations(senders[i % 2], [student_id], World.terms())[0]
        return student_id, result.ok, result.code

    results = race(app, 2 * pairs, send)
    assert all(kind == "ok" for kind, _ in results), [
        (i, type(v).__name__, str(v)[:300]) for i, (kind, v) in enumerate(results) if kind != "ok"]
    for student_id in student_ids:
        outcomes = sorted((ok, code or "") for sid, ok, code in (v for _, v in results)
                          if sid == student_id)
        assert outcomes == [(False, "DUPLICATE_OPEN_INVITATION"), (True, "")], (student_id, outcomes)
    fresh(committing_db)
    for student_id in student_ids:
        open_pairs = committing_db.session.scalars(select(Invitation.open_pair).where(
            Invitation.student_id == student_id)).all()
        assert open_pairs == [f"{world.employer.id}:{student_id}"]  # one invitation, and it is open
    invites = committing_db.session.scalar(select(func.count()).select_from(FlowEntry).where(
        FlowEntry.action == "invite"))
    assert invites == pairs


def test_double_tap_with_one_idempotency_key_accepts_once(app, committing_db):
    """The same accept sent twice at the same instant with the same Idempotency-Key (a double tap
    on a flaky network), for five invitations at once: one transition and one flow entry each; the
    twin gets the first answer replayed or 409 REQUEST_IN_PROGRESS."""
    pairs = 5
    world = World()
    students = [StudentFactory(major=world.major) for _ in range(pairs)]
    accounts = [student_account(s) for s in students]
    add_favorites(world.employer, *students)
    committing_db.session.commit()
    invitation_ids = [invite(world.hr, s) for s in students]
    client = app.test_client()
    headers = [{**ApiClient(client, a).headers, "Idempotency-Key": f"double-tap-{k:04d}"}
               for k, a in enumerate(accounts)]
    fresh(committing_db)

    def tap(i: int) -> tuple[int, int, str | None, bool, Any]:
        k = i // 2
        response = app.test_client().post(f"/api/v1/student/invitations/{invitation_ids[k]}/accept",
                                          json={"revision": 1, "confirm": True}, headers=headers[k])
        body = response.get_json(silent=True) or {}
        return (k, response.status_code, (body.get("error") or {}).get("code"),
                response.headers.get("Idempotent-Replayed") == "true", body)

    results = race(app, 2 * pairs, tap)
    assert all(kind == "ok" for kind, _ in results), results
    for k in range(pairs):
        twins = sorted((v for _, v in results if v[0] == k), key=lambda v: (v[1], v[3]))
        first, second = twins
        assert (first[1], first[3]) == (200, False), twins  # exactly one ran the transition
        if second[1] == 200:  # the replay of the first answer
            assert second[3] and second[4] == first[4], twins
        else:
            assert (second[1], second[2]) == (409, "REQUEST_IN_PROGRESS"), twins
    fresh(committing_db)
    accepts = Counter(committing_db.session.scalars(select(FlowEntry.subject_id).where(
        FlowEntry.subject_type == "invitation", FlowEntry.action == "accept")).all())
    assert accepts == {inv_id: 1 for inv_id in invitation_ids}
    states = set(committing_db.session.scalars(select(Invitation.state).where(
        Invitation.id.in_(invitation_ids))).all())
    assert states == {InvitationState.COLLEGE_REVIEW}


ROUNDS = 4  # each race repeated on fresh rows: the interleavings differ from round to round


def _answer(result: tuple[str, Any]) -> str:
    kind, value = result
    if kind == "ok":
        return "ok"
    if isinstance(value, Conflict):
        return value.code
    return f"{type(value).__name__}: {str(value)[:200]}"


def test_accept_racing_a_modification_ends_cleanly(app, committing_db):
    """The student accepts revision 1 at the instant the employer modifies the letter. Under the
    row lock one of two clean stories happens: accept first (the modification then waits for the
    student as revision 2), or modify first (the accept of a stale revision is refused). Never a
    CONCURRENT_UPDATE, never terms the student did not see."""
    world = World()
    students = [StudentFactory(major=world.major) for _ in range(ROUNDS)]
    accounts = [student_account(s) for s in students]
    add_favorites(world.employer, *students)
    committing_db.session.commit()
    hr = world.actor(world.hr)
    for student, account in zip(students, accounts, strict=True):
        inv_id = invite(world.hr, student)
        student_actor = Actor.from_account(account)
        fresh(committing_db)

        def work(i: int, inv_id=inv_id, student_actor=student_actor):
            if i == 0:
                return responses.accept_invitation(student_actor, inv_id, revision=1, confirm=True).id
            return invitations.modify_invitation(hr, inv_id, World.terms(position="高级工程师")).id

        accept, modify = (_answer(r) for r in race(app, 2, work))
        fresh(committing_db)
        inv = committing_db.session.get(Invitation, inv_id)
        assert modify == "ok", modify
        if accept == "ok":
            assert (inv.state, inv.accepted_revision_no, inv.pending_revision_no) == (
                InvitationState.COLLEGE_REVIEW, 1, 2)
        else:
            assert accept == "STALE_REVISION", accept
            assert (inv.state, inv.current_revision_no, inv.accepted_revision_no) == (
                InvitationState.INVITED, 2, None)


def test_two_school_reviewers_approving_at_once_number_it_once(app, committing_db):
    """Two school reviewers press 审核通过 on the same agreement at once: one approves it with the
    next number, the other is told it is no longer waiting (INVALID_STATE) — no second number is
    drawn, no CONCURRENT_UPDATE."""
    world = World()
    world.school.review_levels = ReviewLevels.SCHOOL
    second_reviewer = AccountFactory(role=Role.SCHOOL_REVIEWER, school_id=world.school.id)
    students = [StudentFactory(major=world.major) for _ in range(ROUNDS)]
    accounts = [student_account(s) for s in students]
    add_favorites(world.employer, *students)
    committing_db.session.commit()
    reviewers = [world.actor(world.school_reviewer), Actor.from_account(second_reviewer)]
    numbers = []
    for student, account in zip(students, accounts, strict=True):
        inv_id = invite(world.hr, student)
        responses.accept_invitation(Actor.from_account(account), inv_id, 1, True)
        fresh(committing_db)
        answers = sorted(_answer(r) for r in race(
            app, 2, lambda i, inv_id=inv_id: reviews.approve_signing(reviewers[i], inv_id).agreement_no))
        assert answers == ["INVALID_STATE", "ok"], answers
        fresh(committing_db)
        numbers.append(committing_db.session.get(Invitation, inv_id).agreement_no)
    cohort, code = students[0].cohort, world.school.code
    assert numbers == [f"1{cohort}{code}{seq:06d}" for seq in range(1, ROUNDS + 1)]


def test_approval_racing_a_withdrawal_ends_cleanly(app, committing_db):
    """The school withdraws an approval while another reviewer approves the same agreement (it is
    effective): either the approval comes first and is refused (already effective) or the
    withdrawal comes first and the re-approval keeps the number. Both stories are clean."""
    world = World()
    world.school.review_levels = ReviewLevels.SCHOOL
    second_reviewer = AccountFactory(role=Role.SCHOOL_REVIEWER, school_id=world.school.id)
    committing_db.session.commit()
    inv_id = invite(world.hr, world.student)
    responses.accept_invitation(world.actor(world.student_account), inv_id, 1, True)
    withdrawer, approver = world.actor(world.school_reviewer), Actor.from_account(second_reviewer)
    number = reviews.approve_signing(withdrawer, inv_id).agreement_no
    fresh(committing_db)
    from app.services import interventions

    def work(i: int):  # actors made beforehand: no thread touches the main thread's session
        if i == 0:
            return interventions.withdraw_approval(withdrawer, inv_id, "复核").id
        return reviews.approve_signing(approver, inv_id).id

    withdraw, approve = (_answer(r) for r in race(app, 2, work))
    assert withdraw == "ok" and approve in ("ok", "INVALID_STATE"), (withdraw, approve)
    fresh(committing_db)
    inv = committing_db.session.get(Invitation, inv_id)
    expected = InvitationState.EFFECTIVE if approve == "ok" else InvitationState.SCHOOL_REVIEW
    assert (inv.state, inv.agreement_no) == (expected, number)


def test_a_stale_write_is_refused_by_the_version_column(app, committing_db):
    """A copy of the agreement read before someone else's committed change cannot be written
    back over it: the optimistic version column turns it into a 409 CONCURRENT_UPDATE."""
    from app.services.unit import transactional

    world = World()
    committing_db.session.commit()
    inv_id = invite(world.hr, world.student)
    stale = committing_db.session.get(Invitation, inv_id)  # read, no lock (a list page, say)
    with app.app_context():  # another request changes it and commits
        responses.reject_invitation(world.actor(world.student_account), inv_id, "已有其他选择")

    @transactional
    def write_back():
        stale.last_remark = "stale write"

    with pytest.raises(Conflict) as exc:
        write_back()
    assert exc.value.code == "CONCURRENT_UPDATE"
