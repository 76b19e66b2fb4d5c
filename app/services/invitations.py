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
from app.models import (Employer, Invitation, InvitationRevision, InvitationState, RecordStatus,
                        RevisionStatus, SourceStatus, Student, TrainingMode)
from app.services.archive import archive_defaults_for, remember_first_archive
from app.services.flow import record_flow
from app.services.signing_flow import (apply_transition, current_revision, emit,
                                       flush_or_conflict, load_for, open_pair)
from app.services.unit import transactional

MAX_BATCH = 1000


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


def _expire_due_pair(employer_id: int, student_id: int) -> None:
    """A letter past its deadline no longer blocks a new one, even before the sweep ran."""
    due = db.session.scalar(select(Invitation).where(
        Invitation.open_pair == f"{employer_id}:{student_id}",
        Invitation.state == InvitationState.INVITED, Invitation.deadline_at <= utcnow()))
    if due is not None:
        apply_transition(due, "expire", SYSTEM)


@transactional
def send_invitations(actor: Actor, student_ids: list[int], terms: InvitationTerms) -> list[SendResult]:
    """One invitation per student; a student who cannot be invited gets a reason, not an abort."""
    if not 1 <= len(student_ids) <= MAX_BATCH:
        raise InvalidInput("BATCH_SIZE", f"每次可邀请1至{MAX_BATCH}名学生",
                           {"student_ids": f"每次可邀请1至{MAX_BATCH}名学生"})
    employer = _verified_employer(actor)
    data = _complete_terms(actor, employer, terms)
    remember_first_archive(actor, employer, data["archive"])
    snapshot = employer_snapshot(employer)
    now = utcnow()
    deadline = rules.deadline_for(now, terms.feedback_days)
    students = {s.id: s for s in db.session.scalars(
        select(Student).where(Student.id.in_(set(student_ids))))}
    results: list[SendResult] = []
    for student_id in dict.fromkeys(student_ids):  # order kept, repeats dropped
        student = students.get(student_id)
        blocker = _invitable(student)
        if blocker:
            results.append(SendResult(student_id, False, code=blocker[0], message=blocker[1]))
            continue
        _expire_due_pair(employer.id, student.id)
        try:
            with db.session.begin_nested():
                invitation = Invitation(
                    employer_id=employer.id, student_id=student.id, school_id=student.school_id,
                    college_id=student.college_id, cohort=student.cohort, invited_by_id=actor.account_id,
                    deadline_at=deadline, open_pair=f"{employer.id}:{student.id}")
                db.session.add(invitation)
                flush_or_conflict()
                db.session.add(InvitationRevision(
                    invitation_id=invitation.id, number=1, terms=data, employer_snapshot=snapshot,
                    feedback_days=terms.feedback_days, deadline_at=deadline,
                    created_by_id=actor.account_id))
                entry = record_flow("invitation", invitation.id, "invite", actor, None,
                                    InvitationState.INVITED.value)
                db.session.flush()
                emit(invitation, "invitation_received", entry.seq)
        except Conflict as exc:
            results.append(SendResult(student_id, False, code=exc.code, message=exc.message))
            continue
        results.append(SendResult(student_id, True, invitation_id=invitation.id))
    return results


def preview_letter(actor: Actor, student: Student, terms: InvitationTerms) -> dict[str, Any]:
    """The letter exactly as the student will read it; nothing is saved."""
    employer = _verified_employer(actor)
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
