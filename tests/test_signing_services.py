"""Online signing through the services: the lifecycle, the guards, the flow log, the numbers."""
from __future__ import annotations

from datetime import datetime, timedelta

import pytest
import time_machine
from sqlalchemy import func, select

from app.clock import utcnow
from app.domain.errors import Conflict, Forbidden, InvalidInput, NotFound
from app.models import (ActiveDestination, Notification, OutboxMessage, ReviewLevels,
                        TrainingMode)
from app.services import invitations, responses, reviews
from app.services.flow import verify_flow_log


def invite(world, student=None, hr=None, **terms):
    results = invitations.send_invitations(world.actor(hr or world.hr),
                                           [(student or world.student).id], world.terms(**terms))
    assert results[0].ok, results[0]
    return results[0].invitation_id


def test_lifecycle_invite_accept_college_school_effective(world, db_session):
    """Does an accepted invitation pass both reviews and become an effective, numbered agreement?"""
    inv_id = invite(world)
    responses.accept_invitation(world.actor(world.student_account), inv_id, revision=1, confirm=True)
    reviews.approve_signing(world.actor(world.college_reviewer), inv_id)
    inv = reviews.approve_signing(world.actor(world.school_reviewer), inv_id)
    assert inv.state.value == "effective"
    assert inv.agreement_no == f"12026{world.school.code}000001"
    events = db_session.scalars(select(Notification.event).where(
        Notification.subject_id == inv_id).order_by(Notification.id)).all()
    assert events == ["invitation_received", "invitation_accepted", "review_passed",
                      "agreement_effective", "agreement_effective"]
    assert db_session.scalar(select(func.count()).select_from(OutboxMessage)) == len(events)
    checked, breaks = verify_flow_log()
    assert checked == 4 and breaks == []


def test_school_only_review_skips_the_college(world):
    world.school.review_levels = ReviewLevels.SCHOOL
    inv_id = invite(world)
    inv = responses.accept_invitation(world.actor(world.student_account), inv_id, 1, True)
    assert inv.state.value == "school_review"


def test_one_destination_after_accepting(world):
    """Can a student who accepted one invitation accept a second? (no: 409 ALREADY_SIGNED)"""
    first = invite(world)
    second = invite(world, hr=world.other_hr)
    responses.accept_invitation(world.actor(world.student_account), first, 1, True)
    with pytest.raises(Conflict) as exc:
        responses.accept_invitation(world.actor(world.student_account), second, 1, True)
    assert exc.value.code == "ALREADY_SIGNED"


def test_review_rejection_releases_the_student(world, db_session):
    first = invite(world)
    second = invite(world, hr=world.other_hr)
    responses.accept_invitation(world.actor(world.student_account), first, 1, True)
    with pytest.raises(InvalidInput):
        reviews.reject_signing(world.actor(world.college_reviewer), first, "")
    reviews.reject_signing(world.actor(world.college_reviewer), first, "信息不实")
    assert db_session.get(ActiveDestination, world.student.id) is None
    inv = responses.accept_invitation(world.actor(world.student_account), second, 1, True)
    assert inv.state.value == "college_review"


def test_duplicate_open_invitation_is_refused_then_allowed_after_rejection(world):
    first = invite(world)
    again = invitations.send_invitations(world.actor(world.hr2), [world.student.id], world.terms())
    assert (again[0].ok, again[0].code) == (False, "DUPLICATE_OPEN_INVITATION")
    responses.reject_invitation(world.actor(world.student_account), first, "另有打算")
    assert invite(world, hr=world.hr2) != first


def test_expired_invitation_cannot_be_accepted_and_sweep_expires_it(world):
    inv_id = invite(world)
    with time_machine.travel(utcnow() + timedelta(days=7), tick=False):
        with pytest.raises(Conflict) as exc:
            responses.accept_invitation(world.actor(world.student_account), inv_id, 1, True)
        assert exc.value.code == "INVITATION_EXPIRED"
        assert invitations.expire_due() == 1
        assert invite(world) != inv_id  # the employer may invite again


def test_deadline_is_midnight_shanghai():
    from app.domain.signing import deadline_display_date, deadline_for

    sent = datetime(2019, 12, 11, 2, 0)  # 10:00 in Shanghai
    deadline = deadline_for(sent, 5)
    assert deadline == datetime(2019, 12, 16, 16, 0)  # 2019-12-17 00:00 +08:00
    assert deadline_display_date(deadline).isoformat() == "2019-12-16"


@pytest.mark.parametrize("change,code", [
    (lambda s: setattr(s, "signing_open", False), "SIGNING_CLOSED"),
    (lambda s: setattr(s, "training_mode", TrainingMode.DIRECTED), "DIRECTED_STUDENT"),
])
def test_acceptance_guards(world, change, code):
    inv_id = invite(world)
    change(world.student)
    with pytest.raises(Forbidden) as exc:
        responses.accept_invitation(world.actor(world.student_account), inv_id, 1, True)
    assert exc.value.code == code


def test_wrong_actor_cannot_accept(world):
    inv_id = invite(world)
    with pytest.raises(NotFound):
        responses.accept_invitation(world.actor(world.student2_account), inv_id, 1, True)
    with pytest.raises(Forbidden):
        responses.accept_invitation(world.actor(world.hr), inv_id, 1, True)


def test_modification_after_acceptance_waits_for_the_student(world):
    inv_id = invite(world)
    student = world.actor(world.student_account)
    responses.accept_invitation(student, inv_id, 1, True)
    reviews.approve_signing(world.actor(world.college_reviewer), inv_id)
    invitations.modify_invitation(world.actor(world.hr), inv_id, world.terms(position="高级工程师"))
    with pytest.raises(Conflict) as exc:
        reviews.approve_signing(world.actor(world.school_reviewer), inv_id)
    assert exc.value.code == "REVISION_PENDING"
    inv = responses.accept_revision(student, inv_id, revision=2)
    assert inv.state.value == "college_review" and inv.accepted_revision_no == 2


def test_stale_revision_is_refused(world):
    inv_id = invite(world)
    invitations.modify_invitation(world.actor(world.hr), inv_id, world.terms(position="架构师"))
    with pytest.raises(Conflict) as exc:
        responses.accept_invitation(world.actor(world.student_account), inv_id, 1, True)
    assert exc.value.code == "STALE_REVISION"


def test_unverified_employer_cannot_invite(world):
    from app.models import VerificationStatus

    world.employer.verification_status = VerificationStatus.PENDING
    with pytest.raises(Forbidden) as exc:
        invitations.send_invitations(world.actor(world.hr), [world.student.id], world.terms())
    assert exc.value.code == "EMPLOYER_NOT_VERIFIED"


def test_tampered_flow_entry_is_reported(world, db_session):
    from app.models import FlowEntry

    inv_id = invite(world)
    responses.accept_invitation(world.actor(world.student_account), inv_id, 1, True)
    entry = db_session.scalars(select(FlowEntry).where(FlowEntry.subject_id == inv_id)).first()
    entry.remark = "篡改"
    db_session.flush()
    _, breaks = verify_flow_log()
    assert breaks and breaks[0].problem.startswith("记录内容与哈希不符")


@pytest.mark.parametrize("rehash_key", [None, b"guessed-key"])
def test_a_changed_and_rehashed_entry_is_still_reported(world, db_session, rehash_key):
    """Someone with database access edits an entry and recomputes its hash and the hashes after
    it (plain SHA-256, or an HMAC with a wrong key): without FLOW_LOG_KEY the chain still breaks."""
    import hashlib
    import hmac

    from app.models import FlowEntry
    from app.services import flow

    inv_id = invite(world)
    responses.accept_invitation(world.actor(world.student_account), inv_id, 1, True)
    entries = db_session.scalars(select(FlowEntry).where(FlowEntry.subject_id == inv_id)
                                 .order_by(FlowEntry.seq)).all()
    entries[0].remark = "篡改"
    previous = flow.GENESIS
    for entry in entries:  # re-chain the whole record, as a careful forger would
        entry.prev_hash = previous
        payload = flow._payload(entry).encode()
        entry.hash = (hashlib.sha256(payload).hexdigest() if rehash_key is None
                      else hmac.new(rehash_key, payload, hashlib.sha256).hexdigest())
        previous = entry.hash
    db_session.flush()
    _, breaks = verify_flow_log()
    assert {b.seq for b in breaks if b.subject_id == inv_id} == {1, 2}


def test_a_small_batch_still_checks_every_chain(world, db_session):
    """Paging through the log in batches smaller than a chain must not skip chains: a change in
    the last record is found with a batch of 2."""
    from app.models import FlowEntry

    ids = [invite(world, student) for student in (world.student, world.student2, world.other_college_student)]
    for inv_id, account in zip(ids, (world.student_account, world.student2_account), strict=False):
        responses.accept_invitation(world.actor(account), inv_id, 1, True)
    total = db_session.query(FlowEntry).count()
    last = db_session.scalars(select(FlowEntry).where(FlowEntry.subject_id == ids[-1])).first()
    last.remark = "篡改"
    db_session.flush()
    checked, breaks = verify_flow_log(batch=2)
    assert checked == total and [(b.subject_id, b.seq) for b in breaks] == [(ids[-1], 1)]


def test_verify_flow_log_command(world, runner, db_session):
    """Does `flask verify-flow-log` pass an intact log and fail loudly on a deleted entry?"""
    from sqlalchemy import delete

    from app.models import FlowEntry

    inv_id = invite(world)
    responses.accept_invitation(world.actor(world.student_account), inv_id, 1, True)
    ok = runner.invoke(args=["verify-flow-log"])
    assert ok.exit_code == 0 and "未发现篡改" in ok.output
    db_session.execute(delete(FlowEntry).where(FlowEntry.subject_id == inv_id, FlowEntry.seq == 1))
    broken = runner.invoke(args=["verify-flow-log"])
    assert broken.exit_code == 1 and "序号不连续" in broken.output


def test_reminder_goes_out_once_a_day_before_the_deadline(world, db_session):
    inv_id = invite(world)
    inv = db_session.get(__import__("app.models", fromlist=["Invitation"]).Invitation, inv_id)
    with time_machine.travel(inv.deadline_at - timedelta(hours=20), tick=False):
        assert invitations.send_due_reminders() == 1
        assert invitations.send_due_reminders() == 0
    events = db_session.scalars(select(Notification.event).where(
        Notification.subject_id == inv_id, Notification.event == "invitation_expiring")).all()
    assert events == ["invitation_expiring"]


def test_sweep_job_expires_in_bounded_batches(world, db_session):
    from app.jobs.sweeps import expire_invitations

    for student in (world.student, world.student2, world.other_college_student):
        invite(world, student=student)
    with time_machine.travel(utcnow() + timedelta(days=10), tick=False):
        assert expire_invitations() == 3
        assert expire_invitations() == 0


def test_only_favorites_or_searched_students_can_be_invited(world, db_session):
    """Can an employer invite a student id it never found? (no, and it learns nothing about it)"""
    from app.services.search import remember_found
    from tests.factories import StudentFactory

    stranger = StudentFactory(major=world.major)
    results = invitations.send_invitations(world.actor(world.hr), [stranger.id, 999999], world.terms())
    assert [(r.ok, r.code) for r in results] == [(False, "NOT_IN_FAVORITES")] * 2
    with pytest.raises(NotFound):
        invitations.preview_letter(world.actor(world.hr), stranger.id, world.terms())
    remember_found(world.employer.id, [stranger.id])
    assert invitations.send_invitations(world.actor(world.hr), [stranger.id], world.terms())[0].ok


def test_declining_a_modification_keeps_the_accepted_terms(world):
    """Does 不同意修改 keep the agreement in review with the terms the student accepted, and
    refuse an answer about a modification the student has not seen?"""
    inv_id = invite(world)
    student = world.actor(world.student_account)
    responses.accept_invitation(student, inv_id, 1, True)
    invitations.modify_invitation(world.actor(world.hr), inv_id, world.terms(position="销售"))
    invitations.modify_invitation(world.actor(world.hr), inv_id, world.terms(position="运营"))
    with pytest.raises(Conflict) as exc:
        responses.decline_revision(student, inv_id, revision=2)  # revision 3 is the one pending
    assert exc.value.code == "STALE_REVISION"
    inv = responses.decline_revision(student, inv_id, revision=3)
    assert inv.state.value == "college_review" and inv.pending_revision_no is None
    assert inv.current_revision_no == inv.accepted_revision_no == 1
    from app.services.signing_flow import current_revision

    assert current_revision(inv).terms["position"] == "软件工程师"


def test_the_sweep_expires_every_due_letter_with_a_batch_smaller_than_them(world, db_session):
    """Bounded batches must still reach every due letter (a loop that stops after one batch
    would leave two of these open), and leave the letters not yet due alone."""
    from app.models import Invitation

    due = [invite(world, student=s) for s in (world.student, world.student2, world.other_college_student)]
    with time_machine.travel(utcnow() + timedelta(days=10), tick=False):
        later = invite(world, student=world.student, hr=world.other_hr)
        assert invitations.expire_due(batch_size=1) == 3
    states = {i: db_session.get(Invitation, i).state.value for i in (*due, later)}
    assert states == {**{i: "expired" for i in due}, later: "invited"}


def test_a_swept_letter_ends_exactly_as_one_run_would_leave_it(world, db_session):
    """The sweep's set-based path: each letter expired with closed_at, no open pair, its version
    bumped, one flow entry chained to the previous one, one employer notice and its outbox row."""
    from sqlalchemy import select

    from app.models import FlowEntry, Invitation, Notification, OutboxMessage
    from app.services.flow import verify_flow_log
    from app.services.signing_flow import current_revision

    due = [invite(world, student=s) for s in (world.student, world.student2, world.other_college_student)]
    versions = {i: db_session.get(Invitation, i).version for i in due}
    with time_machine.travel(utcnow() + timedelta(days=10), tick=False):
        assert invitations.expire_due(batch_size=2) == 3
        now = utcnow()
    for inv_id in due:
        inv = db_session.get(Invitation, inv_id)
        db_session.refresh(inv)
        assert (inv.state.value, inv.open_pair, inv.version) == ("expired", None, versions[inv_id] + 1)
        assert abs((inv.closed_at - now).total_seconds()) < 2
        flow = db_session.scalars(select(FlowEntry).where(FlowEntry.subject_type == "invitation",
                                                          FlowEntry.subject_id == inv_id)
                                  .order_by(FlowEntry.seq)).all()
        assert [(f.seq, f.action, f.from_state, f.to_state) for f in flow][-1] == (
            2, "expire", "invited", "expired")
        assert flow[-1].prev_hash == flow[0].hash
        notices = db_session.scalars(select(Notification).where(
            Notification.subject_id == inv_id, Notification.event == "invitation_expired")).all()
        assert [(n.recipient_type.value, n.recipient_id) for n in notices] == [("employer", inv.employer_id)]
        assert notices[0].page and str(inv_id) in notices[0].page
        # the sweep reads rows, not models: the notice still names the parties and the position
        assert {k: notices[0].data[k] for k in ("employer_name", "student_name", "position")} == {
            "employer_name": inv.employer.name, "student_name": inv.student.name,
            "position": current_revision(inv).terms["position"]}
        assert db_session.scalar(select(OutboxMessage).where(OutboxMessage.notification_id == notices[0].id))
    checked, breaks = verify_flow_log()
    assert breaks == [] and checked >= 6
    assert invitations.expire_due() == 0  # nothing left, nothing done twice


@pytest.mark.parametrize("offset,reminded", [
    (timedelta(hours=24), True),  # exactly 24 h before: inside the window
    (timedelta(hours=24, seconds=1), False),  # a second earlier: not yet
    (timedelta(seconds=1), True),  # the last second
    (timedelta(0), False),  # at the deadline the letter is dead, no reminder
])
def test_reminder_window_edges(world, db_session, offset, reminded):
    from app.models import Invitation

    inv_id = invite(world)
    deadline = db_session.get(Invitation, inv_id).deadline_at
    with time_machine.travel(deadline - offset, tick=False):
        assert invitations.send_due_reminders() == int(reminded)


def test_modifying_after_the_deadline_is_refused(world, db_session):
    """An unanswered letter past its deadline is dead: it cannot be revived by a modification."""
    from app.models import Invitation

    inv_id = invite(world)
    with time_machine.travel(db_session.get(Invitation, inv_id).deadline_at, tick=False):
        with pytest.raises(Conflict) as exc:
            invitations.modify_invitation(world.actor(world.hr), inv_id, world.terms(position="架构师"))
    assert exc.value.code == "INVITATION_EXPIRED"
    assert db_session.get(Invitation, inv_id).current_revision_no == 1


def test_a_directed_student_cannot_be_invited(world, db_session):
    from app.models import TrainingMode

    world.student.training_mode = TrainingMode.DIRECTED
    db_session.commit()
    result = invitations.send_invitations(world.actor(world.hr), [world.student.id], world.terms())[0]
    assert (result.ok, result.code) == (False, "DIRECTED_STUDENT")


def test_void_and_withdrawal_are_refused_while_a_termination_is_in_flight(world, db_session):
    from app.services import interventions, terminations

    inv_id = invite(world)
    responses.accept_invitation(world.actor(world.student_account), inv_id, 1, True)
    reviews.approve_signing(world.actor(world.college_reviewer), inv_id)
    reviews.approve_signing(world.actor(world.school_reviewer), inv_id)
    terminations.request_termination(world.actor(world.student_account), inv_id, "个人原因", True)
    for action in (interventions.void_agreement, interventions.withdraw_approval):
        with pytest.raises(Conflict) as exc:
            action(world.actor(world.school_reviewer), inv_id, "材料不实")
        assert exc.value.code == "TERMINATION_IN_FLIGHT"


def test_the_home_counts_open_letters_only(world, client, db_session):
    """An expired letter (even before the sweep) is not an open invitation on the student's home."""
    from app.models import Invitation
    from tests.api_helpers import ApiClient

    first = invite(world)
    student = ApiClient(client, world.student_account)
    assert student.get("/student/home").get_json()["open_invitations"] == 1
    deadline = db_session.get(Invitation, first).deadline_at
    with time_machine.travel(deadline - timedelta(days=1), tick=False):
        invite(world, hr=world.other_hr)
    with time_machine.travel(deadline, tick=False):
        home = student.get("/student/home").get_json()
        listing = student.get("/student/invitations?status=open").get_json()["items"]
    assert home["open_invitations"] == 1 and len(listing) == 1

