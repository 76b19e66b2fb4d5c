"""Online signing on the one executor: who reaches an invitation, what its guards read, the
fields tied to its state (the open-invitation key, the one-destination lock, the agreement
number), and who hears of each step."""
from __future__ import annotations

from datetime import datetime
from functools import cached_property
from typing import Any

from sqlalchemy import delete, select

from app.domain import signing as rules
from app.domain import termination as trules
from app.domain.actors import Actor
from app.domain.events import EMPLOYER_COPIES
from app.domain.workflow import Transition
from app.extensions import db
from app.models import (ActiveDestination, DestinationKind, Employer, FlowEntry, Invitation, InvitationRevision,
                        RecipientType, RecordStatus, ReviewLevels, School, SourceStatus, Student,
                        Termination, TrainingMode)
from app.services import documents
from app.services.notify import employer_page, notify, notify_many
from app.services.numbering import next_agreement_no
from app.services.workflow import Row, Runner

ONLINE_KIND = 1  # the first digit of an online agreement's number
# How an agreement came to be terminated, kept beside its state for the lists and the limit.
TERMINATION_STATUS_OF = {"terminate": trules.STATUS_APPROVED, "force_terminate": trules.STATUS_FORCED}

STUDENT_EVENTS = {"invitation_received", "invitation_modified", "invitation_expiring",
                  "review_passed", "review_rejected", "agreement_effective", "approval_withdrawn",
                  "agreement_voided", "agreement_invalidated", "agreement_force_terminated"}


def student_facts(student: Student) -> rules.StudentFacts:
    """Everything that decides whether this student may sign now."""
    return rules.StudentFacts(
        signing_open=student.signing_open,
        source_approved=student.source_status == SourceStatus.APPROVED,
        directed=student.training_mode == TrainingMode.DIRECTED,
        record_active=student.record_status == RecordStatus.ACTIVE,
        has_active_destination=has_active_destination(student.id),
        closed_reason=student.signing_closed_reason)


class _Facts:
    """rules.SigningFacts of one invitation; the queries run only when a guard asks."""

    def __init__(self, invitation: Invitation, now: datetime) -> None:
        self.invitation = invitation
        self.overdue = rules.is_overdue(invitation.state.value, invitation.deadline_at, now)
        self.revision_pending = invitation.pending_revision_no is not None
        self.numbered = invitation.agreement_no is not None

    @cached_property
    def student(self) -> rules.StudentFacts:
        return student_facts(self.invitation.student)

    @cached_property
    def termination_in_flight(self) -> bool:
        return db.session.scalar(select(Termination.id).where(
            Termination.in_flight_invitation_id == self.invitation.id)) is not None


class SigningRunner(Runner):
    workflow = rules.SIGNING
    model = Invitation
    not_found = ("INVITATION_NOT_FOUND", "邀约不存在或无权查看")

    def owns(self, actor: Actor, invitation: Invitation) -> bool:
        return rules.owns(actor, scope_of(invitation))

    def facts(self, invitation: Invitation, actor: Actor, now: datetime) -> _Facts:
        return _Facts(invitation, now)

    def two_levels(self, invitation: Invitation) -> bool:
        return two_review_levels(invitation)

    def enter(self, invitation: Invitation, row: Transition, before: str, target: str, now: datetime,
              reason: str | None) -> None:
        invitation.open_pair = None if target in rules.CLOSED_STATES else open_pair(invitation)
        if target in rules.CLOSED_STATES:
            invitation.closed_at = now
        if target == rules.EFFECTIVE:
            invitation.effective_at = now
            # A withdrawn-then-re-approved agreement keeps its number: numbers are never reused.
            if invitation.agreement_no is None:
                with db.session.no_autoflush:  # the new state waits for its number
                    school = db.session.get(School, invitation.school_id)
                    invitation.agreement_no = next_agreement_no(ONLINE_KIND, invitation.cohort, school)
        elif before == rules.EFFECTIVE and target in rules.REVIEW_STATES:
            invitation.effective_at = None
        if row.name in TERMINATION_STATUS_OF:
            invitation.termination_status = TERMINATION_STATUS_OF[row.name]
        if reason:
            invitation.last_remark = reason[:500]
        _move_destination_lock(invitation, before, target)
        if target != before:  # a numbered agreement's document follows its state (after commit)
            documents.request_agreement(invitation)

    def emit(self, invitation: Invitation, row: Transition, occurrence: int, reason: str | None) -> None:
        emit(invitation, row.event, occurrence, remark=reason)

    def emit_many(self, emitted: list[tuple[Row, Transition, int]], reason: str | None) -> None:
        """emit() for a sweep's invitations (rows carrying what their notices name, see
        sweep_query): one bulk notify per event."""
        by_event: dict[str, list] = {}
        for invitation, row, occurrence in emitted:
            items = by_event.setdefault(row.event, [])
            for recipient, recipient_id, page, data in _recipients(
                    invitation, row.event, reason, invitation.position):
                items.append((recipient, recipient_id, invitation.id, f"inv{invitation.id}:{occurrence}",
                              data, page))
        for event, items in by_event.items():
            notify_many(event, "invitation", items)


SIGNING = SigningRunner()
# What a sweep reads of each invitation: its row, and what its notices name (the parties, the
# position of the current terms, extracted by the server: the terms are not parsed here).
SWEEP_COLUMNS = (*Invitation.__table__.c, Employer.name.label("employer_name"),
                 Student.name.label("student_name"),
                 InvitationRevision.terms["position"].as_string().label("position"))


def sweep_query(*conditions: Any) -> Any:
    """The invitations a sweep takes, as rows for SIGNING.run_many, locked for the transaction."""
    return (select(*SWEEP_COLUMNS).join(Employer, Employer.id == Invitation.employer_id)
            .join(Student, Student.id == Invitation.student_id)
            .join(InvitationRevision, (InvitationRevision.invitation_id == Invitation.id)
                  & (InvitationRevision.number == Invitation.current_revision_no))
            .where(*conditions).with_for_update(of=Invitation))


def scope_of(invitation: Invitation) -> rules.InvitationScope:
    return rules.InvitationScope(invitation.student_id, invitation.employer_id,
                                 invitation.school_id, invitation.college_id)


def load_for(actor: Actor, invitation_id: int, *, lock: bool = False) -> Invitation:
    """The invitation if the actor may see it; 404 otherwise (no hint that it exists)."""
    return SIGNING.load(actor, invitation_id, lock=lock)


def apply_transition(invitation: Invitation, action: str, actor: Actor,
                     remark: str | None = None) -> FlowEntry:
    return SIGNING.run(invitation, action, actor, remark)


def allowed_actions(invitation: Invitation, actor: Actor) -> list[str]:
    return SIGNING.allowed_actions(invitation, actor)


def two_review_levels(invitation: Invitation) -> bool:
    school = db.session.get(School, invitation.school_id)
    return school.review_levels == ReviewLevels.COLLEGE_SCHOOL


def open_pair(invitation: Invitation) -> str:
    return f"{invitation.employer_id}:{invitation.student_id}"


def _move_destination_lock(invitation: Invitation, before: str, target: str) -> None:
    entering = target in rules.ACTIVE_STATES and before not in rules.ACTIVE_STATES
    leaving = before in rules.ACTIVE_STATES and target not in rules.ACTIVE_STATES
    if entering:
        # Flushed by the executor at once: a concurrent accept surfaces as ALREADY_SIGNED.
        db.session.add(ActiveDestination(student_id=invitation.student_id,
                                         kind=DestinationKind.ONLINE, invitation_id=invitation.id))
    elif leaving:
        db.session.execute(delete(ActiveDestination).where(
            ActiveDestination.invitation_id == invitation.id))


def review_stage(invitation: Invitation) -> str:
    """Which review the agreement waits in, in the words the notices use."""
    return "学院审核" if invitation.state.value == rules.COLLEGE_REVIEW else "学校审核"


def emit(invitation: Invitation, event: str, occurrence: int, remark: str | None = None,
         revision: InvitationRevision | None = None) -> None:
    """Tell the waiting party (and for outcomes, both parties) in the same transaction."""
    common = {"dedupe": f"inv{invitation.id}:{occurrence}", "subject_type": "invitation",
              "subject_id": invitation.id}
    position = (revision or current_revision(invitation)).terms["position"]
    for recipient, recipient_id, page, data in _recipients(invitation, event, remark, position):
        notify(recipient, recipient_id, event, **common, page_override=page, **data)


def _recipients(invitation: Invitation | Row, event: str, remark: str | None,
                position: str) -> list[tuple[RecipientType, int, str | None, dict]]:
    """Who hears of the event — (recipient type, id, page override, template fields)."""
    data: dict[str, Any] = {
        "invitation_id": invitation.id,
        **_party_names(invitation),
        "position": position,
        "deadline": f"{rules.deadline_display_date(invitation.deadline_at):%Y/%m/%d}",
        "agreement_no": invitation.agreement_no,
        "review_stage": review_stage(invitation),
        "remark": remark or "无",
        "remark_text": f"原因：{remark}" if remark else "",
    }
    recipients = []
    if event in STUDENT_EVENTS:
        recipients.append((RecipientType.STUDENT, invitation.student_id, None, data))
    if event not in STUDENT_EVENTS or event in EMPLOYER_COPIES:
        recipients.append((RecipientType.EMPLOYER, invitation.employer_id, employer_page(invitation.id),
                           data))
    return recipients


def _party_names(invitation: Invitation | Row) -> dict[str, str]:
    """A sweep's row carries its parties' names; a model reaches them."""
    if isinstance(invitation, Row):
        return {"employer_name": invitation.employer_name, "student_name": invitation.student_name}
    return {"employer_name": invitation.employer.name, "student_name": invitation.student.name}


def current_revision(invitation: Invitation) -> InvitationRevision:
    return db.session.scalar(select(InvitationRevision).where(
        InvitationRevision.invitation_id == invitation.id,
        InvitationRevision.number == invitation.current_revision_no))


def has_active_destination(student_id: int) -> bool:
    return db.session.get(ActiveDestination, student_id) is not None


def accepted_revision(invitation: Invitation) -> InvitationRevision | None:
    """The terms the student agreed to, when a later modification is still waiting for them."""
    if invitation.pending_revision_no is None or invitation.accepted_revision_no is None:
        return None
    return db.session.scalar(select(InvitationRevision).where(
        InvitationRevision.invitation_id == invitation.id,
        InvitationRevision.number == invitation.accepted_revision_no))


def destinations_of(student_ids: set[int]) -> dict[int, int | None]:
    """student → the online agreement holding their destination (None: paper / other), one query."""
    if not student_ids:
        return {}
    return dict(db.session.execute(select(ActiveDestination.student_id, ActiveDestination.invitation_id)
                                   .where(ActiveDestination.student_id.in_(student_ids))).all())


def signed_elsewhere(invitation: Invitation, destinations: dict[int, int | None]) -> bool:
    """Does the student hold a destination other than this invitation?"""
    return invitation.student_id in destinations and destinations[invitation.student_id] != invitation.id
