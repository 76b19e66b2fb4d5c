"""Two-level review of online signings: college, then school (or school only).

The table decides which level the actor's approval or rejection is (app/domain/signing.py);
school approval makes the agreement effective with its number.
"""
from __future__ import annotations

from app.domain.actors import Actor
from app.models import Invitation
from app.services.signing_flow import SIGNING
from app.services.unit import transactional


@transactional
def approve_signing(actor: Actor, invitation_id: int, remark: str | None = None) -> Invitation:
    invitation = SIGNING.load(actor, invitation_id, lock=True)
    SIGNING.run(invitation, "approve", actor, remark)
    return invitation


@transactional
def reject_signing(actor: Actor, invitation_id: int, reason: str) -> Invitation:
    invitation = SIGNING.load(actor, invitation_id, lock=True)
    SIGNING.run(invitation, "reject", actor, reason)
    return invitation
