"""Student endpoints: home, invitations, accept / reject, answer a modification."""
from __future__ import annotations

from spectree import Response

from app.api import bp, spec
from app.api.auth import current_actor, roles_required
from app.api.conventions import idempotent
from app.services.paging import MAX_LIMIT, decode_cursor, encode_cursor
from app.api.schemas_common import ERRORS
from app.api.schemas_signing import (
    AcceptBody,
    DestinationStatus,
    InvitationDetail,
    InvitationList,
    RejectBody,
    RevisionBody,
    StatusQuery,
    StudentHome,
    WaitingTermination,
)
from app.services.invitation_views import invitation_detail, invitation_summary, student_view
from app.clock import iso_china
from app.domain.errors import InvalidInput
from app.services import responses, signing_reads

DESTINATION_KINDS = {"online": "网上签约", "paper": "线下签约", "other": "其他去向"}


def _detail(invitation_id: int) -> dict:
    actor = current_actor()
    return invitation_detail(signing_reads.invitation_detail(actor, invitation_id), actor)


def list_response(query, cursor: str | None, limit: int) -> InvitationList:
    """A page of invitations with names, positions and destinations: two queries whatever its size."""
    if not 1 <= limit <= MAX_LIMIT:
        raise InvalidInput("BAD_LIMIT", f"每页条数应为1至{MAX_LIMIT}", {"limit": f"应为1至{MAX_LIMIT}"})
    rows, more = signing_reads.list_page(query, decode_cursor(cursor), limit)
    return InvitationList(items=[invitation_summary(r) for r in rows],
                          next_cursor=encode_cursor(rows[-1].invitation.id) if more and rows else None)


@bp.get("/student/home")
@roles_required("student")
@spec.validate(resp=Response(HTTP_200=StudentHome, **ERRORS), tags=["student"])
def student_home():
    """Everything the first screen needs in one call."""
    actor = current_actor()
    home = signing_reads.student_home(actor)
    active = home.active
    status = DestinationStatus(kind=active.kind.value, kind_label=DESTINATION_KINDS[active.kind.value],
                               since=iso_china(active.created_at)) if active else None
    return StudentHome(profile=student_view(home.student, actor),
                       destination=invitation_summary(home.destination) if home.destination else None,
                       destination_status=status,
                       open_invitations=home.open_invitations, pending_revisions=home.pending_revisions,
                       pending_terminations=len(home.waiting_terminations),
                       unread_notifications=home.unread,
                       waiting_terminations=[WaitingTermination(
                           termination_id=t.id, invitation_id=t.invitation_id, employer_name=name,
                           reason=t.reason, requested_at=iso_china(t.created_at))
                           for t, name in home.waiting_terminations])


@bp.get("/student/invitations")
@roles_required("student")
@spec.validate(query=StatusQuery, resp=Response(HTTP_200=InvitationList, **ERRORS), tags=["student"])
def student_invitations(query: StatusQuery):
    """My invitations, newest first; status=open|done|all, employer_name a part of the name."""
    return list_response(signing_reads.student_invitations(current_actor(), query.status, query.employer_name),
                         query.cursor, query.limit)


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

