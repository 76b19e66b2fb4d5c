"""The one transition helper of online signing: table check, permission, state, the
one-destination lock, the open-invitation key, flow log, and events — in one transaction."""
from __future__ import annotations

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError

from app.clock import utcnow
from app.domain import signing as rules
from app.domain.actors import Actor
from app.domain.errors import Conflict, Forbidden, InvalidInput, NotFound
from app.domain.events import EMPLOYER_COPIES
from app.extensions import db
from app.models import (
    ActiveDestination,
    DestinationKind,
    FlowEntry,
    Invitation,
    InvitationRevision,
    RecipientType,
    ReviewLevels,
    School,
)
from app.services.flow import record_flow
from app.services.notify import employer_page, notify

STUDENT_EVENTS = {"invitation_received", "invitation_modified", "invitation_expiring",
                  "review_passed", "review_rejected", "agreement_effective", "approval_withdrawn",
                  "agreement_voided", "agreement_invalidated", "agreement_force_terminated"}


def scope_of(invitation: Invitation) -> rules.InvitationScope:
    return rules.InvitationScope(invitation.student_id, invitation.employer_id,
                                 invitation.school_id, invitation.college_id)


def load_for(actor: Actor, invitation_id: int, *, lock: bool = False) -> Invitation:
    """The invitation if the actor may see it; 404 otherwise (no hint that it exists)."""
    query = select(Invitation).where(Invitation.id == invitation_id)
    if lock:
        query = query.with_for_update()
    invitation = db.session.scalar(query)
    if invitation is None or not rules.owns(actor, scope_of(invitation)):
        raise NotFound("INVITATION_NOT_FOUND", "邀约不存在或无权查看")
    return invitation


def two_review_levels(invitation: Invitation) -> bool:
    school = db.session.get(School, invitation.school_id)
    return school.review_levels == ReviewLevels.COLLEGE_SCHOOL


def open_pair(invitation: Invitation) -> str:
    return f"{invitation.employer_id}:{invitation.student_id}"


def apply_transition(invitation: Invitation, action: str, actor: Actor,
                     remark: str | None = None) -> FlowEntry:
    transition = rules.TRANSITIONS[action]
    if not rules.owns(actor, scope_of(invitation)):
        raise NotFound("INVITATION_NOT_FOUND", "邀约不存在或无权查看")
    if actor.role not in transition.roles:
        raise Forbidden("ACTION_NOT_ALLOWED", "你无权执行此操作")
    before = invitation.state.value
    if before not in transition.sources:
        raise Conflict("INVALID_STATE",
                       f"当前状态为“{rules.STATE_LABELS[before]}”，不能执行“{transition.label}”")
    if transition.reason_required and not (remark or "").strip():
        raise InvalidInput("REASON_REQUIRED", "请填写原因", {"reason": "请填写原因"})

    target = rules.resolve_target(transition, before, two_review_levels(invitation))
    now = utcnow()
    invitation.state = target
    invitation.open_pair = None if target in rules.CLOSED_STATES else open_pair(invitation)
    if target in rules.CLOSED_STATES and before not in rules.CLOSED_STATES:
        invitation.closed_at = now
    if remark:
        invitation.last_remark = remark[:500]
    _move_destination_lock(invitation, before, target)
    entry = record_flow("invitation", invitation.id, action, actor, before, target, remark)
    flush_or_conflict()
    if transition.event:
        emit(invitation, transition.event, entry.seq, remark=remark)
    return entry


def _move_destination_lock(invitation: Invitation, before: str, target: str) -> None:
    entering = target in rules.ACTIVE_STATES and before not in rules.ACTIVE_STATES
    leaving = before in rules.ACTIVE_STATES and target not in rules.ACTIVE_STATES
    if entering:
        db.session.add(ActiveDestination(student_id=invitation.student_id,
                                         kind=DestinationKind.ONLINE, invitation_id=invitation.id))
        # Now, not at some later autoflush: a concurrent accept must surface as ALREADY_SIGNED.
        flush_or_conflict()
    elif leaving:
        db.session.execute(delete(ActiveDestination).where(
            ActiveDestination.invitation_id == invitation.id))


def flush_or_conflict() -> None:
    """Flush, turning the database's refusals into the conflicts users understand."""
    try:
        db.session.flush()
    except IntegrityError as exc:
        text = str(exc.orig)
        if "active_destinations" in text or "PRIMARY" in text:
            raise Conflict("ALREADY_SIGNED", "你已有有效的毕业去向，不能再与其他单位签约") from exc
        if "open_pair" in text:
            raise Conflict("DUPLICATE_OPEN_INVITATION",
                           "你单位对该学生已有未结束的邀约，不能重复邀请") from exc
        raise


def emit(invitation: Invitation, event: str, occurrence: int, remark: str | None = None,
         revision: InvitationRevision | None = None) -> None:
    """Tell the waiting party (and for outcomes, both parties) in the same transaction."""
    revision = revision or current_revision(invitation)
    data = {
        "invitation_id": invitation.id,
        "employer_name": invitation.employer.name,
        "student_name": invitation.student.name,
        "position": revision.terms["position"],
        "deadline": f"{rules.deadline_display_date(invitation.deadline_at):%Y/%m/%d}",
        "agreement_no": invitation.agreement_no,
        "remark": remark or "无",
        "remark_text": f"原因：{remark}" if remark else "",
    }
    common = {"dedupe": f"inv{invitation.id}:{occurrence}", "subject_type": "invitation",
              "subject_id": invitation.id}
    if event in STUDENT_EVENTS:
        notify(RecipientType.STUDENT, invitation.student_id, event, **common, **data)
    if event not in STUDENT_EVENTS or event in EMPLOYER_COPIES:
        notify(RecipientType.EMPLOYER, invitation.employer_id, event, **common,
               page_override=employer_page(invitation.id), **data)


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
