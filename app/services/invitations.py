"""The employer's side of signing: send (one or a batch), preview, modify; expiry and reminders."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import select, update

from app.clock import utcnow
from app.domain import signing as rules
from app.domain.actors import SYSTEM, Actor
from app.domain.errors import Conflict, Forbidden, InvalidInput, NotFound
from app.domain.terms import ArchiveTerms, InvitationTerms
from app.extensions import db
from app.models import (
    Employer,
    Invitation,
    InvitationRevision,
    InvitationState,
    RecordStatus,
    RevisionStatus,
    SourceStatus,
    Student,
    TrainingMode,
)
from app.services.archive import archive_defaults_for, remember_first_archive
from app.services.flow import record_first_flow
from app.services.search import reachable_ids
from app.services.signing_flow import (
    apply_transition,
    current_revision,
    emit,
    flush_or_conflict,
    load_for,
    open_pair,
)
from app.services.unit import transactional

MAX_BATCH = 1000
NOT_REACHABLE = "请先搜索该学生并加入收藏夹（签约发送列表）后再邀约"


@dataclass
class SendResult:
    student_id: int
    ok: bool
    invitation_id: int | None = None
    code: str | None = None
    message: str | None = None


def employer_snapshot(employer: Employer) -> dict[str, Any]:
    """甲方 data as it stood when the letter was sent."""
    return {"name": employer.name, "credit_code": employer.credit_code,
            "nature_code": employer.nature_code, "industry_code": employer.industry_code,
            "region_code": employer.region_code, "address": employer.address,
            "contact_name": employer.contact_name, "contact_phone": employer.contact_phone,
            "email": employer.email}


def _verified_employer(actor: Actor) -> Employer:
    if actor.role != "employer_user":
        raise Forbidden("ACTION_NOT_ALLOWED", "只有用人单位用户可以发送邀约")
    employer = db.session.get(Employer, actor.employer_id)
    if not employer.is_verified:
        raise Forbidden("EMPLOYER_NOT_VERIFIED", "单位信息尚未审核通过，暂不能发送签约邀请")
    return employer


def _invitable(student: Student | None) -> tuple[str, str] | None:
    if student is None:
        return "STUDENT_NOT_FOUND", "学生不存在"
    if student.record_status != RecordStatus.ACTIVE or student.source_status != SourceStatus.APPROVED:
        return "STUDENT_NOT_INVITABLE", "该学生生源信息未审核通过，暂不能邀约"
    if student.training_mode == TrainingMode.DIRECTED:
        return "DIRECTED_STUDENT", "定向生不能进行网上签约"
    if not student.signing_open:
        return "SIGNING_CLOSED", "学校尚未对该学生开放网上签约"
    return None


def _complete_terms(actor: Actor, employer: Employer, terms: InvitationTerms) -> dict[str, Any]:
    data = terms.model_dump(mode="json")
    if terms.archive is None:
        data["archive"] = ArchiveTerms.model_validate(archive_defaults_for(actor, employer)).model_dump(
            mode="json")
    return data


@transactional
def send_invitations(actor: Actor, student_ids: list[int], terms: InvitationTerms) -> list[SendResult]:
    """One invitation per student; a student who cannot be invited gets a reason, not an abort.

    All rows of a batch go in with a handful of batched INSERTs; if another request raced us to
    one of the students (the open-invitation key refuses it), the batch is redone one student
    at a time so everyone else still gets their letter.
    """
    if not 1 <= len(student_ids) <= MAX_BATCH:
        raise InvalidInput("BATCH_SIZE", f"每次可邀请1至{MAX_BATCH}名学生",
                           {"student_ids": f"每次可邀请1至{MAX_BATCH}名学生"})
    employer = _verified_employer(actor)
    letter = _Letter(actor, employer, terms)
    students = {s.id: s for s in db.session.scalars(
        select(Student).where(Student.id.in_(set(student_ids))))}
    results: dict[int, SendResult] = {}
    candidates: list[Student] = []
    reachable = reachable_ids(employer.id, student_ids)
    for student_id in dict.fromkeys(student_ids):  # order kept, repeats dropped
        if student_id not in reachable:
            results[student_id] = SendResult(student_id, False, code="NOT_IN_FAVORITES",
                                             message=NOT_REACHABLE)
            continue
        blocker = _invitable(students.get(student_id))
        if blocker:
            results[student_id] = SendResult(student_id, False, code=blocker[0], message=blocker[1])
        else:
            candidates.append(students[student_id])
    busy = _open_pairs(employer.id, [s.id for s in candidates])
    for student in candidates:
        if student.id in busy:
            results[student.id] = SendResult(student.id, False, code="DUPLICATE_OPEN_INVITATION",
                                             message="你单位对该学生已有未结束的邀约，不能重复邀请")
    fresh = [s for s in candidates if s.id not in busy]
    try:
        with db.session.begin_nested():
            created = letter.send_many(fresh)
    except Conflict:
        created = {}
        for student in fresh:
            try:
                with db.session.begin_nested():
                    created.update(letter.send_many([student]))
            except Conflict as exc:
                results[student.id] = SendResult(student.id, False, code=exc.code, message=exc.message)
    for student_id, invitation_id in created.items():
        results[student_id] = SendResult(student_id, True, invitation_id=invitation_id)
    return [results[i] for i in dict.fromkeys(student_ids)]


def _open_pairs(employer_id: int, student_ids: list[int]) -> set[int]:
    """Students this employer already has an open invitation with; overdue letters are expired
    first, so they no longer block (the sweep may not have run yet)."""
    if not student_ids:
        return set()
    now = utcnow()
    busy: set[int] = set()
    for invitation in db.session.scalars(select(Invitation).where(
            Invitation.open_pair.in_([f"{employer_id}:{s}" for s in student_ids]))):
        if invitation.state == InvitationState.INVITED and invitation.deadline_at <= now:
            apply_transition(invitation, "expire", SYSTEM)
        else:
            busy.add(invitation.student_id)
    return busy


class _Letter:
    """One set of terms sent to many students."""

    def __init__(self, actor: Actor, employer: Employer, terms: InvitationTerms) -> None:
        self.actor, self.employer, self.terms = actor, employer, terms
        self.data = _complete_terms(actor, employer, terms)
        remember_first_archive(actor, employer, self.data["archive"])
        self.snapshot = employer_snapshot(employer)
        self.deadline = rules.deadline_for(utcnow(), terms.feedback_days)

    def send_many(self, students: list[Student]) -> dict[int, int]:
        """Invitations, first revisions, flow entries and notifications: two flushes in all."""
        invitations = [Invitation(
            employer_id=self.employer.id, student_id=s.id, school_id=s.school_id,
            college_id=s.college_id, cohort=s.cohort, invited_by_id=self.actor.account_id,
            deadline_at=self.deadline, open_pair=f"{self.employer.id}:{s.id}") for s in students]
        db.session.add_all(invitations)
        flush_or_conflict()
        for invitation in invitations:
            revision = InvitationRevision(
                invitation=invitation, number=1, terms=self.data, employer_snapshot=self.snapshot,
                feedback_days=self.terms.feedback_days, deadline_at=self.deadline,
                created_by_id=self.actor.account_id)
            db.session.add(revision)
            entry = record_first_flow("invitation", invitation.id, "invite", self.actor,
                                      InvitationState.INVITED.value)
            emit(invitation, "invitation_received", entry.seq, revision=revision)
        db.session.flush()
        return {i.student_id: i.id for i in invitations}


def preview_letter(actor: Actor, student_id: int, terms: InvitationTerms) -> dict[str, Any]:
    """The letter exactly as the student will read it; nothing is saved."""
    employer = _verified_employer(actor)
    student = db.session.get(Student, student_id) if reachable_ids(employer.id, [student_id]) else None
    if student is None:
        raise NotFound("STUDENT_NOT_FOUND", NOT_REACHABLE)
    deadline = rules.deadline_for(utcnow(), terms.feedback_days)
    return {"opening": rules.letter_opening(student.name, terms.position, deadline),
            "deadline_date": f"{rules.deadline_display_date(deadline):%Y/%m/%d}",
            "terms": _complete_terms(actor, employer, terms), "employer": employer_snapshot(employer),
            "signing_notice": rules.SIGNING_NOTICE}


@transactional
def modify_invitation(actor: Actor, invitation_id: int, terms: InvitationTerms) -> Invitation:
    """修改邀约: a new revision. Before acceptance it replaces the letter (new deadline);
    after acceptance it waits for the student's agreement (SPEC §4)."""
    invitation = load_for(actor, invitation_id, lock=True)
    employer = _verified_employer(actor)
    if invitation.state == InvitationState.INVITED and utcnow() >= invitation.deadline_at:
        raise Conflict("INVITATION_EXPIRED", "邀约已过期，请重新发送邀约")
    number = invitation.current_revision_no + 1
    now = utcnow()
    deadline = rules.deadline_for(now, terms.feedback_days)
    previous = current_revision(invitation)
    if previous.status == RevisionStatus.CURRENT:
        previous.status = RevisionStatus.SUPERSEDED
    db.session.add(InvitationRevision(
        invitation_id=invitation.id, number=number, terms=_complete_terms(actor, employer, terms),
        employer_snapshot=employer_snapshot(employer), feedback_days=terms.feedback_days,
        deadline_at=deadline, created_by_id=actor.account_id))
    invitation.current_revision_no = number
    if invitation.state == InvitationState.INVITED:
        invitation.deadline_at = deadline
        invitation.reminder_sent_at = None
    else:
        invitation.pending_revision_no = number
    apply_transition(invitation, "modify", actor)
    return invitation


def expire_due(batch_size: int = 500, now=None) -> int:
    """The sweep: expire invitations past their deadline in bounded batches; returns the count."""
    now = now or utcnow()
    total = 0
    while True:
        ids = db.session.scalars(select(Invitation.id).where(
            Invitation.state == InvitationState.INVITED, Invitation.deadline_at <= now)
            .order_by(Invitation.deadline_at).limit(batch_size)).all()
        if not ids:
            return total
        total += _expire_batch(ids)


@transactional
def _expire_batch(ids: list[int]) -> int:
    count = 0
    for invitation in db.session.scalars(select(Invitation).where(
            Invitation.id.in_(ids), Invitation.state == InvitationState.INVITED).with_for_update()):
        apply_transition(invitation, "expire", SYSTEM)
        count += 1
    return count


@transactional
def send_due_reminders(now=None) -> int:
    """Tell students 24 h before a deadline; each invitation is reminded once per deadline."""
    now = now or utcnow()
    due = db.session.scalars(select(Invitation).where(
        Invitation.state == InvitationState.INVITED, Invitation.reminder_sent_at.is_(None),
        Invitation.deadline_at > now, Invitation.deadline_at <= now + timedelta(hours=24))
        .limit(5000)).all()
    for invitation in due:
        claimed = db.session.execute(update(Invitation).where(
            Invitation.id == invitation.id, Invitation.reminder_sent_at.is_(None))
            .values(reminder_sent_at=now).execution_options(synchronize_session=False))
        if claimed.rowcount:
            emit(invitation, "invitation_expiring", occurrence=int(invitation.deadline_at.timestamp()))
    return len(due)
