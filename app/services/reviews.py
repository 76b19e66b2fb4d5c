"""Two-level review of online signings: college, then school (or school only)."""
from __future__ import annotations

from app.clock import utcnow
from app.domain.actors import Actor
from app.domain.errors import Conflict
from app.extensions import db
from app.models import InvitationState, School
from app.services.numbering import next_agreement_no
from app.services.signing_flow import apply_transition, load_for
from app.services.unit import transactional

ONLINE_KIND = 1


def _no_pending_revision(invitation) -> None:
    if invitation.pending_revision_no is not None:
        raise Conflict("REVISION_PENDING", "单位修改了邀约，正等待学生确认，暂不能审核")


@transactional
def approve_signing(actor: Actor, invitation_id: int, remark: str | None = None):
    invitation = load_for(actor, invitation_id, lock=True)
    _no_pending_revision(invitation)
    if invitation.state == InvitationState.COLLEGE_REVIEW:
        apply_transition(invitation, "college_approve", actor, remark)
        return invitation
    if invitation.state == InvitationState.SCHOOL_REVIEW and actor.role == "school_reviewer":
        # A withdrawn-then-re-approved agreement keeps its number: numbers are never reused.
        if invitation.agreement_no is None:
            school = db.session.get(School, invitation.school_id)
            invitation.agreement_no = next_agreement_no(ONLINE_KIND, invitation.cohort, school)
        invitation.effective_at = utcnow()
        apply_transition(invitation, "school_approve", actor, remark)
        return invitation
    # Let the table produce the precise refusal (wrong role or wrong state).
    apply_transition(invitation, "school_approve" if actor.role == "school_reviewer"
                     else "college_approve", actor, remark)
    return invitation


@transactional
def reject_signing(actor: Actor, invitation_id: int, reason: str):
    invitation = load_for(actor, invitation_id, lock=True)
    action = "college_reject" if invitation.state == InvitationState.COLLEGE_REVIEW else "school_reject"
    apply_transition(invitation, action, actor, reason)
    return invitation
