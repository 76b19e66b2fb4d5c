"""The student's answers: accept (double confirmation), reject, accept/decline a modification."""
from __future__ import annotations

from app.clock import utcnow
from app.domain import signing as rules
from app.domain.actors import Actor
from app.domain.errors import Conflict, Forbidden, InvalidInput
from app.models import InvitationState, RecordStatus, RevisionStatus, SourceStatus, TrainingMode
from app.services.signing_flow import apply_transition, current_revision, has_active_destination, load_for
from app.services.unit import transactional


def _ensure_open(invitation) -> None:
    """Expiry is also judged on use: a letter past its deadline cannot be answered."""
    if invitation.state == InvitationState.INVITED and utcnow() >= invitation.deadline_at:
        raise Conflict("INVITATION_EXPIRED", "邀约已过期，无法应约")


@transactional
def accept_invitation(actor: Actor, invitation_id: int, revision: int, confirm: bool):
    if not confirm:
        raise InvalidInput("CONFIRMATION_REQUIRED", "请阅读并勾选签约确认后再签约",
                           {"confirm": "须确认“签约成功后不能再与其他单位另行签约”"})
    invitation = load_for(actor, invitation_id, lock=True)
    _ensure_open(invitation)
    if invitation.state != InvitationState.INVITED:
        raise Conflict("INVALID_STATE", f"当前状态为“{rules.STATE_LABELS[invitation.state.value]}”，不能应约")
    if revision != invitation.current_revision_no:
        raise Conflict("STALE_REVISION", "单位已修改邀请函，请查看最新内容后再应约")
    student = invitation.student
    blocker = rules.acceptance_blocker(rules.StudentFacts(
        signing_open=student.signing_open,
        source_approved=student.source_status == SourceStatus.APPROVED,
        directed=student.training_mode == TrainingMode.DIRECTED,
        record_active=student.record_status == RecordStatus.ACTIVE,
        has_active_destination=has_active_destination(student.id)))
    if blocker:
        code, message = blocker
        raise Conflict(code, message) if code == "ALREADY_SIGNED" else Forbidden(code, message)
    now = utcnow()
    rev = current_revision(invitation)
    rev.status = RevisionStatus.ACCEPTED
    rev.answered_at = now
    invitation.accepted_revision_no = rev.number
    invitation.accepted_at = now
    apply_transition(invitation, "accept", actor)
    return invitation


@transactional
def reject_invitation(actor: Actor, invitation_id: int, reason: str | None = None):
    invitation = load_for(actor, invitation_id, lock=True)
    _ensure_open(invitation)
    rev = current_revision(invitation)
    apply_transition(invitation, "reject", actor, remark=reason or None)
    rev.status = RevisionStatus.DECLINED
    rev.answered_at = utcnow()
    return invitation


def _pending_revision(invitation):
    if invitation.pending_revision_no is None:
        raise Conflict("NO_PENDING_REVISION", "没有待确认的修改")
    return current_revision(invitation)


@transactional
def accept_revision(actor: Actor, invitation_id: int, revision: int):
    """The student agrees to the modified terms: they become the agreement, review starts over."""
    invitation = load_for(actor, invitation_id, lock=True)
    pending = _pending_revision(invitation)
    if revision != pending.number:
        raise Conflict("STALE_REVISION", "单位已再次修改邀请函，请查看最新内容")
    pending.status = RevisionStatus.ACCEPTED
    pending.answered_at = utcnow()
    invitation.accepted_revision_no = pending.number
    invitation.pending_revision_no = None
    apply_transition(invitation, "accept_revision", actor)
    return invitation


@transactional
def decline_revision(actor: Actor, invitation_id: int, revision: int):
    """The student keeps the terms already accepted; the modification read is set aside."""
    invitation = load_for(actor, invitation_id, lock=True)
    pending = _pending_revision(invitation)
    if revision != pending.number:
        raise Conflict("STALE_REVISION", "单位已再次修改邀请函，请查看最新内容")
    pending.status = RevisionStatus.DECLINED
    pending.answered_at = utcnow()
    invitation.pending_revision_no = None
    invitation.current_revision_no = invitation.accepted_revision_no
    apply_transition(invitation, "decline_revision", actor)
    return invitation
