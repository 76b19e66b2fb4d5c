"""The employer's side of signing: send (one or a batch), preview, modify; expiry and reminders."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import insert, select, update

from app.clock import utcnow
from app.domain import signing as rules
from app.domain.actors import SYSTEM, Actor
from app.domain.errors import Conflict, Forbidden, InvalidInput, NotFound
from app.domain.terms import ArchiveTerms, InvitationTerms
from app.domain.workflow import NEW
from app.extensions import db
from app.models import (
    Employer,
    FlowEntry,
    Invitation,
    InvitationRevision,
    InvitationState,
    RecipientType,
    RecordStatus,
    RevisionStatus,
    School,
    SourceStatus,
    Student,
    TrainingMode,
)
from app.services.archive import archive_defaults_for, remember_first_archive
from app.services.constraints import execute_or_conflict
from app.services.dictionaries import unknown_codes
from app.services.flow import first_flow_row
from app.services.notify import notify_new_subjects
from app.services.search import reachable_ids
from app.services.signing_flow import SIGNING, current_revision, emit, sweep_query
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
    if actor.role not in rules.SIGNING.row("invite", NEW).roles:
        raise Forbidden("ACTION_NOT_ALLOWED", "只有用人单位用户可以发送邀约")
    employer = db.session.get(Employer, actor.employer_id)
    if not employer.is_verified:
        raise Forbidden("EMPLOYER_NOT_VERIFIED", "单位信息尚未审核通过，暂不能发送签约邀请")
    return employer


def _invitable(student: Student | None) -> tuple[str, str] | None:
    """Why this student cannot be invited now (the 生源 gate of seeds 000, 002, 003), or None."""
    if student is None:
        return "STUDENT_NOT_FOUND", "学生不存在"
    if student.record_status != RecordStatus.ACTIVE:
        return "STUDENT_RECORD_INVALID", "该学生学籍信息已失效，不能邀约"
    if student.source_status != SourceStatus.APPROVED:
        return "SOURCE_NOT_APPROVED", "该学生生源信息尚未审核通过，暂不能邀约"
    if student.training_mode == TrainingMode.DIRECTED:
        return "DIRECTED_STUDENT", "定向生不能进行网上签约"
    if not student.signing_open:
        reason = f"（{student.signing_closed_reason}）" if student.signing_closed_reason else ""
        return "SIGNING_CLOSED", f"学校尚未对该学生开放网上签约{reason}"
    return None


def check_codes(terms: InvitationTerms) -> None:
    """Every dictionary code of a letter names an entry; an unknown one is a 400 naming its field."""
    fields = unknown_codes({"job_category_code": ("job_category", terms.job_category_code, "工作职位类别"),
                            "work_region_code": ("region", terms.work_region_code, "实际工作地点")})
    if fields:
        raise InvalidInput("VALIDATION_FAILED", "提交的内容有误，请检查后重试", fields)


def feedback_days_for(terms: InvitationTerms, school: School) -> int:
    """反馈有效期: as the employer wrote it, else the school's default (school settings)."""
    return terms.feedback_days or school.default_feedback_days


def _complete_terms(actor: Actor, employer: Employer, terms: InvitationTerms) -> dict[str, Any]:
    check_codes(terms)
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
        if rules.is_overdue(invitation.state.value, invitation.deadline_at, now):
            SIGNING.run(invitation, "expire", SYSTEM, now=now)
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
        self.now = utcnow()
        self._days: dict[int, int] = {}

    def feedback_days(self, school_id: int) -> int:
        if school_id not in self._days:
            self._days[school_id] = feedback_days_for(self.terms, db.session.get(School, school_id))
        return self._days[school_id]

    def deadline(self, school_id: int):
        return rules.deadline_for(self.now, self.feedback_days(school_id))

    def send_many(self, students: list[Student]) -> dict[int, int]:
        """Invitations, first revisions, flow entries, inbox and outbox rows of many students
        with bulk INSERTs (about ten statements, whatever the number of students)."""
        if not students:
            return {}
        now, employer, actor = self.now, self.employer, self.actor
        pairs = {f"{employer.id}:{s.id}": s for s in students}
        execute_or_conflict(insert(Invitation), [{
            "employer_id": employer.id, "student_id": s.id, "school_id": s.school_id,
            "college_id": s.college_id, "cohort": s.cohort, "invited_by_id": actor.account_id,
            "state": InvitationState.INVITED, "open_pair": pair, "current_revision_no": 1,
            "deadline_at": self.deadline(s.school_id), "version": 1, "created_at": now,
            "updated_at": now} for pair, s in pairs.items()])
        created = dict(db.session.execute(select(Invitation.student_id, Invitation.id).where(
            Invitation.open_pair.in_(list(pairs)))).all())
        by_id = {created[s.id]: s for s in students}
        db.session.execute(insert(InvitationRevision), [{
            "invitation_id": invitation_id, "number": 1, "status": RevisionStatus.CURRENT,
            "terms": {**self.data, "feedback_days": self.feedback_days(s.school_id)},
            "employer_snapshot": self.snapshot, "feedback_days": self.feedback_days(s.school_id),
            "deadline_at": self.deadline(s.school_id), "created_by_id": actor.account_id,
            "created_at": now} for invitation_id, s in by_id.items()])
        db.session.execute(insert(FlowEntry), [
            first_flow_row("invitation", invitation_id, "invite", actor, InvitationState.INVITED.value)
            for invitation_id in by_id])
        position = self.data["position"]
        notify_new_subjects("invitation_received", "invitation", [
            (RecipientType.STUDENT, s.id, invitation_id, f"inv{invitation_id}:1", {
                "invitation_id": invitation_id, "employer_name": employer.name, "student_name": s.name,
                "position": position,
                "deadline": f"{rules.deadline_display_date(self.deadline(s.school_id)):%Y/%m/%d}",
                "agreement_no": None, "review_stage": "学校审核", "remark": "无", "remark_text": ""})
            for invitation_id, s in by_id.items()])
        return {s.id: invitation_id for invitation_id, s in by_id.items()}


def preview_letter(actor: Actor, student_id: int, terms: InvitationTerms) -> dict[str, Any]:
    """The letter exactly as the student will read it; nothing is saved."""
    employer = _verified_employer(actor)
    student = db.session.get(Student, student_id) if reachable_ids(employer.id, [student_id]) else None
    if student is None:
        raise NotFound("STUDENT_NOT_FOUND", NOT_REACHABLE)
    days = feedback_days_for(terms, student.school)
    deadline = rules.deadline_for(utcnow(), days)
    return {"opening": rules.letter_opening(student.name, terms.position, deadline),
            "deadline_date": f"{rules.deadline_display_date(deadline):%Y/%m/%d}",
            "terms": {**_complete_terms(actor, employer, terms), "feedback_days": days},
            "employer": employer_snapshot(employer), "signing_notice": rules.SIGNING_NOTICE}


@transactional
def modify_invitation(actor: Actor, invitation_id: int, terms: InvitationTerms) -> Invitation:
    """修改邀约: a new revision. Before acceptance it replaces the letter (new deadline);
    after acceptance it waits for the student's agreement (SPEC §4)."""
    invitation = SIGNING.load(actor, invitation_id, lock=True)
    employer = _verified_employer(actor)
    now = utcnow()
    # The table refuses an overdue letter and a numbered agreement before anything changes.
    SIGNING.workflow.check("modify", invitation.state.value, SIGNING.roles(actor, invitation),
                           SIGNING.facts(invitation, actor, now))
    number = invitation.current_revision_no + 1
    days = feedback_days_for(terms, db.session.get(School, invitation.school_id))
    deadline = rules.deadline_for(now, days)
    previous = current_revision(invitation)
    if previous.status == RevisionStatus.CURRENT:
        previous.status = RevisionStatus.SUPERSEDED
    db.session.add(InvitationRevision(
        invitation_id=invitation.id, number=number,
        terms={**_complete_terms(actor, employer, terms), "feedback_days": days},
        employer_snapshot=employer_snapshot(employer), feedback_days=days,
        deadline_at=deadline, created_by_id=actor.account_id))
    invitation.current_revision_no = number
    if invitation.state == InvitationState.INVITED:
        invitation.deadline_at = deadline
        invitation.reminder_sent_at = None
    else:
        invitation.pending_revision_no = number
    SIGNING.run(invitation, "modify", actor, now=now)
    return invitation


def expire_due(batch_size: int = 2000, now=None) -> int:
    """The sweep: expire invitations past their deadline in bounded batches; returns the count."""
    now = now or utcnow()
    total = 0
    while True:
        ids = db.session.scalars(select(Invitation.id).where(rules.overdue_condition(Invitation, now))
                                 .order_by(Invitation.deadline_at).limit(batch_size)).all()
        if not ids:
            return total
        total += _expire_batch(ids, now)


@transactional
def _expire_batch(ids: list[int], now) -> int:
    """One batch through the executor's set-based path (a few statements per batch)."""
    due = SIGNING.rows(sweep_query(Invitation.id.in_(ids), rules.overdue_condition(Invitation, now)))
    return SIGNING.run_many(due, "expire", SYSTEM, now=now)


@transactional
def send_due_reminders(now=None) -> int:
    """Tell students 24 h before a deadline; each invitation is reminded once per deadline."""
    now = now or utcnow()
    due = db.session.scalars(select(Invitation).where(
        rules.open_letter_condition(Invitation, now), Invitation.reminder_sent_at.is_(None),
        Invitation.deadline_at <= now + timedelta(hours=24))
        .limit(5000)).all()
    for invitation in due:
        claimed = db.session.execute(update(Invitation).where(
            Invitation.id == invitation.id, Invitation.reminder_sent_at.is_(None))
            .values(reminder_sent_at=now).execution_options(synchronize_session=False))
        if claimed.rowcount:
            emit(invitation, "invitation_expiring", occurrence=int(invitation.deadline_at.timestamp()))
    return len(due)
