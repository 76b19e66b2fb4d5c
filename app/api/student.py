"""Student endpoints: home, invitations, accept / reject, answer a modification."""
from __future__ import annotations

from sqlalchemy import func, select
from spectree import Response

from app.api import bp, spec
from app.api.auth import current_account, current_actor, roles_required
from app.api.conventions import idempotent, paginate
from app.api.schemas_common import ERRORS
from app.api.schemas_signing import (AcceptBody, DestinationStatus, InvitationDetail, InvitationList,
                                     RejectBody, RevisionBody, StatusQuery, StudentHome,
                                     WaitingTermination)
from app.api.serializers import invitation_detail, invitation_summary, student_view
from app.clock import iso_china, utcnow
from app.domain.signing import open_letter_condition
from app.extensions import db
from app.models import (ActiveDestination, Employer, Invitation, Notification, Party,
                        RecipientType, Termination, TerminationState)
from app.services import responses
from app.services.flow import flow_of
from app.services.terminations import may_request
from app.services.signing_flow import (accepted_revision, allowed_actions, current_revision,
                                       destinations_of, load_for, signed_elsewhere)


DESTINATION_KINDS = {"online": "网上签约", "paper": "线下签约", "other": "其他去向"}


def _allowed(invitation, actor) -> list[str]:
    """The signing table's actions, and asking for a termination when its table allows it."""
    return allowed_actions(invitation, actor) + (
        ["request_termination"] if may_request(invitation, actor) else [])


def _detail(invitation_id: int) -> dict:
    actor = current_actor()
    invitation = load_for(actor, invitation_id)
    elsewhere = signed_elsewhere(invitation, destinations_of({invitation.student_id}))
    return invitation_detail(invitation, current_revision(invitation), flow_of("invitation", invitation.id),
                             actor, _allowed(invitation, actor), accepted_revision(invitation),
                             elsewhere)


@bp.get("/student/home")
@roles_required("student")
@spec.validate(resp=Response(HTTP_200=StudentHome, **ERRORS), tags=["student"])
def student_home():
    """Everything the first screen needs in one call."""
    account = current_account()
    student = account.student
    active = db.session.get(ActiveDestination, student.id)
    destination = None
    if active and active.invitation_id:
        invitation = db.session.get(Invitation, active.invitation_id)
        destination = invitation_summary(invitation, current_revision(invitation))
    open_count = db.session.scalar(select(func.count()).select_from(Invitation).where(
        Invitation.student_id == student.id, open_letter_condition(Invitation, utcnow())))
    pending_revisions = db.session.scalar(select(func.count()).select_from(Invitation).where(
        Invitation.student_id == student.id, Invitation.pending_revision_no.is_not(None)))
    waiting = db.session.scalars(select(Termination).where(
        Termination.student_id == student.id, Termination.initiated_by == Party.EMPLOYER,
        Termination.state == TerminationState.AWAITING_PARTY).order_by(Termination.id)).all()
    unread = db.session.scalar(select(func.count()).select_from(Notification).where(
        Notification.recipient_type == RecipientType.STUDENT, Notification.recipient_id == student.id,
        Notification.read_at.is_(None)))
    status = DestinationStatus(kind=active.kind.value, kind_label=DESTINATION_KINDS[active.kind.value],
                               since=iso_china(active.created_at)) if active else None
    return StudentHome(profile=student_view(student, current_actor()), destination=destination,
                       destination_status=status,
                       open_invitations=open_count, pending_revisions=pending_revisions,
                       pending_terminations=len(waiting), unread_notifications=unread,
                       waiting_terminations=[WaitingTermination(
                           termination_id=t.id, invitation_id=t.invitation_id,
                           employer_name=t.invitation.employer.name, reason=t.reason,
                           requested_at=iso_china(t.created_at)) for t in waiting])


@bp.get("/student/invitations")
@roles_required("student")
@spec.validate(query=StatusQuery, resp=Response(HTTP_200=InvitationList, **ERRORS), tags=["student"])
def student_invitations(query: StatusQuery):
    """My invitations, newest first; status=open|done|all, employer_name a part of the name."""
    actor = current_actor()
    stmt = select(Invitation).where(Invitation.student_id == actor.student_id)
    now = utcnow()
    # "open": everything waiting for my answer — unanswered letters and modifications to confirm.
    waiting = open_letter_condition(Invitation, now) | Invitation.pending_revision_no.is_not(None)
    if query.status == "open":
        stmt = stmt.where(waiting)
    elif query.status == "done":
        stmt = stmt.where(~waiting)
    if query.employer_name:
        pattern = query.employer_name.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        stmt = stmt.where(Invitation.employer_id.in_(select(Employer.id).where(
            Employer.name.like(f"%{pattern}%", escape="\\"))))
    items, next_cursor = paginate(stmt, Invitation.id, query.cursor, query.limit)
    revisions = _current_revisions(items)
    destinations = destinations_of({i.student_id for i in items})
    return InvitationList(items=[invitation_summary(i, revisions[i.id], signed_elsewhere(i, destinations))
                                 for i in items], next_cursor=next_cursor)


def _current_revisions(invitations: list[Invitation]) -> dict:
    """One query for the letters of a page (no N+1)."""
    from app.models import InvitationRevision

    if not invitations:
        return {}
    pairs = [(i.id, i.current_revision_no) for i in invitations]
    rows = db.session.scalars(select(InvitationRevision).where(
        InvitationRevision.invitation_id.in_([p[0] for p in pairs]))).all()
    wanted = set(pairs)
    return {r.invitation_id: r for r in rows if (r.invitation_id, r.number) in wanted}


@bp.get("/student/invitations/<int:invitation_id>")
@roles_required("student")
@spec.validate(resp=Response(HTTP_200=InvitationDetail, **ERRORS), tags=["student"])
def student_invitation(invitation_id: int):
    """The letter, the terms, the state and the flow log."""
    return InvitationDetail(**_detail(invitation_id))


@bp.post("/student/invitations/<int:invitation_id>/accept")
@roles_required("student")
@idempotent
@spec.validate(json=AcceptBody, resp=Response(HTTP_200=InvitationDetail, **ERRORS), tags=["student"])
def accept(invitation_id: int, json: AcceptBody):
    """同意签约: the latest revision, with the double confirmation."""
    responses.accept_invitation(current_actor(), invitation_id, json.revision, json.confirm)
    return InvitationDetail(**_detail(invitation_id))


@bp.post("/student/invitations/<int:invitation_id>/reject")
@roles_required("student")
@idempotent
@spec.validate(json=RejectBody, resp=Response(HTTP_200=InvitationDetail, **ERRORS), tags=["student"])
def reject(invitation_id: int, json: RejectBody):
    """拒绝签约, with an optional reason the employer sees."""
    responses.reject_invitation(current_actor(), invitation_id, json.reason)
    return InvitationDetail(**_detail(invitation_id))


@bp.post("/student/invitations/<int:invitation_id>/revision/accept")
@roles_required("student")
@idempotent
@spec.validate(json=RevisionBody, resp=Response(HTTP_200=InvitationDetail, **ERRORS), tags=["student"])
def accept_revision(invitation_id: int, json: RevisionBody):
    """Agree to the employer's modification; the agreement is reviewed again."""
    responses.accept_revision(current_actor(), invitation_id, json.revision)
    return InvitationDetail(**_detail(invitation_id))


@bp.post("/student/invitations/<int:invitation_id>/revision/decline")
@roles_required("student")
@idempotent
@spec.validate(json=RevisionBody, resp=Response(HTTP_200=InvitationDetail, **ERRORS), tags=["student"])
def decline_revision(invitation_id: int, json: RevisionBody):
    """Keep the accepted terms; the modification the student read (revision) is set aside."""
    responses.decline_revision(current_actor(), invitation_id, json.revision)
    return InvitationDetail(**_detail(invitation_id))

