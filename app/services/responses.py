"""The student's answers: accept (double confirmation), reject, accept/decline a modification.

The table's guards refuse what the seeds refuse: an overdue letter, a student who may not sign
or already holds a destination (who may read other letters, not answer them).
"""
from __future__ import annotations

from app.clock import utcnow
from app.domain.actors import Actor
from app.domain.errors import Conflict, InvalidInput
from app.models import Invitation, RevisionStatus
from app.services.signing_flow import SIGNING, current_revision
from app.services.unit import transactional

STALE = ("STALE_REVISION", "单位已修改邀请函，请查看最新内容后再应约")


@transactional
def accept_invitation(actor: Actor, invitation_id: int, revision: int, confirm: bool) -> Invitation:
    if not confirm:
        raise InvalidInput("CONFIRMATION_REQUIRED", "请阅读并勾选签约确认后再签约",
                           {"confirm": "须确认“签约成功后不能再与其他单位另行签约”"})
    invitation = SIGNING.load(actor, invitation_id, lock=True)
    if revision != invitation.current_revision_no:
        raise Conflict(*STALE)
    now = utcnow()
    rev = current_revision(invitation)
    rev.status, rev.answered_at = RevisionStatus.ACCEPTED, now
    invitation.accepted_revision_no, invitation.accepted_at = rev.number, now
    SIGNING.run(invitation, "accept", actor, now=now)
    return invitation


@transactional
def reject_invitation(actor: Actor, invitation_id: int, reason: str | None = None) -> Invitation:
    invitation = SIGNING.load(actor, invitation_id, lock=True)
    SIGNING.run(invitation, "reject", actor, reason or None)
    rev = current_revision(invitation)
    rev.status, rev.answered_at = RevisionStatus.DECLINED, utcnow()
    return invitation


def _pending(invitation: Invitation, revision: int):
    if invitation.pending_revision_no is not None and revision != invitation.pending_revision_no:
        raise Conflict("STALE_REVISION", "单位已再次修改邀请函，请查看最新内容")
    return current_revision(invitation)


@transactional
def accept_revision(actor: Actor, invitation_id: int, revision: int) -> Invitation:
    """The student agrees to the modified terms: they become the agreement, review starts over."""
    invitation = SIGNING.load(actor, invitation_id, lock=True)
    pending = _pending(invitation, revision)
    SIGNING.run(invitation, "accept_revision", actor)
    pending.status, pending.answered_at = RevisionStatus.ACCEPTED, utcnow()
    invitation.accepted_revision_no = pending.number
    invitation.pending_revision_no = None
    return invitation


@transactional
def decline_revision(actor: Actor, invitation_id: int, revision: int) -> Invitation:
    """The student keeps the terms already accepted; the modification read is set aside."""
    invitation = SIGNING.load(actor, invitation_id, lock=True)
    pending = _pending(invitation, revision)
    SIGNING.run(invitation, "decline_revision", actor)
    pending.status, pending.answered_at = RevisionStatus.DECLINED, utcnow()
    invitation.pending_revision_no = None
    invitation.current_revision_no = invitation.accepted_revision_no
    return invitation
