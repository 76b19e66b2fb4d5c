"""Employer signing endpoints: send (single or batch), preview, list, detail, modify."""
from __future__ import annotations

from typing import Optional

from pydantic import BaseModel, ConfigDict, Field
from spectree import Response
from sqlalchemy import select

from app.api import bp, spec
from app.api.auth import current_actor, roles_required
from app.api.conventions import idempotent, paginate
from app.api.schemas_common import ErrorEnvelope
from app.api.schemas_signing import (InvitationCreate, InvitationDetail, InvitationList, Preview,
                                     PreviewBody, SendResults, StateName)
from app.api.serializers import invitation_detail, invitation_summary
from app.api.student import _current_revisions
from app.domain.errors import NotFound
from app.domain.terms import InvitationTerms
from app.extensions import db
from app.models import Invitation, Student
from app.services import invitations as invitation_service
from app.services.flow import flow_of
from app.services.signing_flow import current_revision, load_for

ERRORS = {f"HTTP_{code}": ErrorEnvelope for code in (400, 401, 403, 404, 409)}


class EmployerInvitationQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")
    status: Optional[StateName] = None
    cohort: Optional[int] = Field(None, ge=2000, le=2100)
    cursor: Optional[str] = Field(None, max_length=40)
    limit: int = Field(20, ge=1, le=100)


def _detail(invitation_id: int) -> dict:
    actor = current_actor()
    invitation = load_for(actor, invitation_id)
    return invitation_detail(invitation, current_revision(invitation),
                             flow_of("invitation", invitation.id), actor)


@bp.post("/employer/invitations")
@roles_required("employer_user")
@idempotent
@spec.validate(json=InvitationCreate, resp=Response(HTTP_200=SendResults, **ERRORS),
               tags=["employer"])
def send_invitations(json: InvitationCreate):
    """发送签约邀请 to one or many students; each student gets its own result."""
    results = invitation_service.send_invitations(current_actor(), json.student_ids, json.terms)
    sent = sum(r.ok for r in results)
    return SendResults(sent=sent, failed=len(results) - sent,
                       results=[r.__dict__ for r in results])


@bp.post("/employer/invitations/preview")
@roles_required("employer_user")
@spec.validate(json=PreviewBody, resp=Response(HTTP_200=Preview, **ERRORS), tags=["employer"])
def preview(json: PreviewBody):
    """The letter as the student will read it; nothing is saved."""
    student = db.session.get(Student, json.student_id)
    if student is None:
        raise NotFound("STUDENT_NOT_FOUND", "学生不存在")
    return Preview(**invitation_service.preview_letter(current_actor(), student, json.terms))


@bp.get("/employer/invitations")
@roles_required("employer_user")
@spec.validate(query=EmployerInvitationQuery, resp=Response(HTTP_200=InvitationList, **ERRORS),
               tags=["employer"])
def list_invitations(query: EmployerInvitationQuery):
    """Our invitations and agreements, newest first, filtered by state and cohort."""
    actor = current_actor()
    stmt = select(Invitation).where(Invitation.employer_id == actor.employer_id)
    if query.status:
        stmt = stmt.where(Invitation.state == query.status)
    if query.cohort:
        stmt = stmt.where(Invitation.cohort == query.cohort)
    items, next_cursor = paginate(stmt, Invitation.id, query.cursor, query.limit)
    revisions = _current_revisions(items)
    return InvitationList(items=[invitation_summary(i, revisions[i.id]) for i in items],
                          next_cursor=next_cursor)


@bp.get("/employer/invitations/<int:invitation_id>")
@roles_required("employer_user")
@spec.validate(resp=Response(HTTP_200=InvitationDetail, **ERRORS), tags=["employer"])
def invitation(invitation_id: int):
    """One invitation or agreement with the masked student, terms and flow log."""
    return InvitationDetail(**_detail(invitation_id))


@bp.put("/employer/invitations/<int:invitation_id>")
@roles_required("employer_user")
@idempotent
@spec.validate(json=InvitationTerms, resp=Response(HTTP_200=InvitationDetail, **ERRORS),
               tags=["employer"])
def modify(invitation_id: int, json: InvitationTerms):
    """修改邀约: a new revision the student must accept (until the school approves)."""
    invitation_service.modify_invitation(current_actor(), invitation_id, json)
    return InvitationDetail(**_detail(invitation_id))


