"""线下签约 on the one executor: who reaches a paper agreement, what its guards read, the fields
tied to its state (the one-at-a-time key, the one-destination lock, the number, the document),
and the notices to the student. The paper termination's runner lives here too: its steps are
written on the agreement's own flow log, one timeline with the signing."""
from __future__ import annotations

from datetime import datetime
from functools import cached_property
from typing import Any

from sqlalchemy import delete

from app.domain import paper as rules
from app.domain.actors import Actor
from app.domain.workflow import NEW, Transition
from app.extensions import db
from app.models import (
    ActiveDestination,
    DestinationKind,
    PaperAgreement,
    PaperTermination,
    RecipientType,
    RecordStatus,
    ReviewLevels,
    School,
    SourceStatus,
    Student,
    TrainingMode,
)
from app.services import documents
from app.services.notify import notify
from app.services.numbering import next_agreement_no
from app.services.signing_flow import has_active_destination
from app.services.terminations import TerminationFacts
from app.services.workflow import Runner

PAPER_KIND = 2  # the first digit of a paper agreement's number
DOCUMENT_KIND = "paper"  # app.domain.agreement_document.PAPER


def student_paper_facts(student: Student) -> rules.StudentPaperFacts:
    return rules.StudentPaperFacts(
        record_active=student.record_status == RecordStatus.ACTIVE,
        source_approved=student.source_status == SourceStatus.APPROVED,
        directed=student.training_mode == TrainingMode.DIRECTED,
        has_active_destination=has_active_destination(student.id))


class _Facts:
    """rules.PaperFacts of one agreement; the queries run only when a guard asks."""

    def __init__(self, paper: PaperAgreement) -> None:
        self.paper = paper

    @cached_property
    def student(self) -> rules.StudentPaperFacts:
        return student_paper_facts(db.session.get(Student, self.paper.student_id))


def scope_of(paper: PaperAgreement | PaperTermination) -> rules.PaperScope:
    return rules.PaperScope(paper.student_id, paper.school_id, paper.college_id)


def two_review_levels(school_id: int) -> bool:
    school = db.session.get(School, school_id)
    return school.review_levels == ReviewLevels.COLLEGE_SCHOOL


REVIEW_STAGES = {rules.COLLEGE_REVIEW: "学院协议书审核", rules.SCHOOL_REVIEW: "学校协议书审核",
                 rules.COLLEGE_VERIFY: "学院签约审核", rules.SCHOOL_VERIFY: "学校签约审核"}
TERMINATION_STAGES = {rules.T_COLLEGE_REVIEW: "学院解约审核", rules.T_SCHOOL_REVIEW: "学校解约审核"}


class PaperRunner(Runner):
    workflow = rules.PAPER
    model = PaperAgreement
    not_found = ("PAPER_AGREEMENT_NOT_FOUND", "协议书不存在或无权查看")

    def owns(self, actor: Actor, paper: PaperAgreement) -> bool:
        return rules.owns(actor, scope_of(paper))

    def facts(self, paper: PaperAgreement, actor: Actor, now: datetime) -> _Facts:
        return _Facts(paper)

    def two_levels(self, paper: PaperAgreement) -> bool:
        return two_review_levels(paper.school_id)

    def enter(self, paper: PaperAgreement, row: Transition, before: str, target: str, now: datetime,
              reason: str | None) -> None:
        paper.open_student_id = paper.student_id if target in rules.OPEN_STATES else None
        if target in rules.FINAL_STATES:
            paper.closed_at = now
        if before == rules.DRAFT and target in rules.FIRST_REVIEW_STATES:
            paper.generated_at = now
        if target == rules.AWAITING_FEEDBACK and paper.agreement_no is None:
            with db.session.no_autoflush:  # the new state waits for its number
                school = db.session.get(School, paper.school_id)
                paper.agreement_no = next_agreement_no(PAPER_KIND, paper.cohort, school)
            paper.numbered_at = now
        if target == rules.EFFECTIVE:
            paper.effective_at = now
        if reason:
            paper.last_remark = reason[:500]
        _move_destination_lock(paper, before, target)
        if target != before and paper.agreement_no is not None:
            documents.request_render(DOCUMENT_KIND, paper.id)

    def emit(self, paper: PaperAgreement, row: Transition, occurrence: int, reason: str | None) -> None:
        tell_student(paper, row.event, f"paper{paper.id}:{occurrence}", reason)


PAPER = PaperRunner()


def _move_destination_lock(paper: PaperAgreement, before: str, target: str) -> None:
    entering = target in rules.ACTIVE_STATES and before not in rules.ACTIVE_STATES
    leaving = before in rules.ACTIVE_STATES and target not in rules.ACTIVE_STATES
    if entering:
        # Flushed by the executor at once: a concurrent accept or generation surfaces as
        # ALREADY_SIGNED (the primary key is the student).
        db.session.add(ActiveDestination(student_id=paper.student_id, kind=DestinationKind.PAPER))
    elif leaving:  # one paper agreement at a time: the student's paper row is this one's
        db.session.execute(delete(ActiveDestination).where(
            ActiveDestination.student_id == paper.student_id,
            ActiveDestination.kind == DestinationKind.PAPER))


def tell_student(paper: PaperAgreement, event: str, dedupe: str, remark: str | None = None,
                 stage: str | None = None) -> None:
    data: dict[str, Any] = {
        "paper_id": paper.id,
        "employer_name": paper.employer_name or "用人单位",
        "position": paper.position or "",
        "agreement_no": paper.agreement_no,
        "review_stage": stage or REVIEW_STAGES.get(paper.state.value, "审核"),
        "remark": remark or "无",
    }
    notify(RecipientType.STUDENT, paper.student_id, event, dedupe=dedupe, subject_type="paper_agreement",
           subject_id=paper.id, **data)


# -- the termination ---------------------------------------------------------------------------------

class _TerminationFacts(TerminationFacts):
    def state_of_agreement(self) -> str:
        return db.session.get(PaperAgreement, self.termination.paper_agreement_id).state.value


class PaperTerminationRunner(Runner):
    workflow = rules.PAPER_TERMINATION
    model = PaperTermination
    not_found = ("PAPER_TERMINATION_NOT_FOUND", "解约申请不存在或无权查看")

    def owns(self, actor: Actor, termination: PaperTermination) -> bool:
        return rules.owns(actor, scope_of(termination))

    def facts(self, termination: PaperTermination, actor: Actor, now: datetime) -> _TerminationFacts:
        return _TerminationFacts(termination)

    def two_levels(self, termination: PaperTermination) -> bool:
        return two_review_levels(termination.school_id)

    def enter(self, termination: PaperTermination, row: Transition, before: str, target: str,
              now: datetime, reason: str | None) -> None:
        in_flight = target in rules.TERMINATION_IN_FLIGHT
        termination.in_flight_agreement_id = termination.paper_agreement_id if in_flight else None
        if target in rules.TERMINATION_FINAL:
            termination.closed_at = now
        if reason and before != NEW:
            termination.remark = reason[:500]

    def flow_subject(self, termination: PaperTermination) -> tuple[str, int]:
        return rules.PAPER.subject, termination.paper_agreement_id

    def emit(self, termination: PaperTermination, row: Transition, occurrence: int,
             reason: str | None) -> None:
        paper = db.session.get(PaperAgreement, termination.paper_agreement_id)
        tell_student(paper, row.event, f"paper{paper.id}:{occurrence}", reason,
                     stage=TERMINATION_STAGES.get(termination.state.value, "审核"))


PAPER_TERMINATION = PaperTerminationRunner()
