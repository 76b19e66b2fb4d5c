"""Employer signing endpoints: send (single or batch), preview, list, detail, modify."""
from __future__ import annotations

from datetime import date
from typing import Literal, Optional

from flask import Response as FlaskResponse
from pydantic import BaseModel, ConfigDict, Field
from spectree import Response

from app.api import bp, spec
from app.api.auth import current_actor, roles_required
from app.api.conventions import idempotent
from app.api.schemas_common import ERRORS
from app.api.schemas_signing import (
    InvitationCreate,
    InvitationDetail,
    InvitationList,
    Preview,
    PreviewBody,
    SendResults,
)
from app.services.invitation_views import invitation_detail
from app.api.student import list_response
from app.domain.terms import InvitationTerms
from app.extensions import db
from app.http import attachment
from app.models import Employer, RecipientType
from app.services import employer_lists, signing_reads
from app.services import invitations as invitation_service
from app.services.employer_lists import EmployerFilter
from app.services.replica import replica_reads

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


GroupName = Literal["signing", "signed", "signing_failed", "terminating", "terminated",
                    "termination_failed", "voided", "invalidated"]


class EmployerListFilter(BaseModel):
    """签约/解约 list filters (API.md): status is one of the workbench groups."""
    model_config = ConfigDict(extra="forbid")
    status: Optional[GroupName] = None
    cohort: Optional[int] = Field(None, ge=2000, le=2100)
    school_code: Optional[str] = Field(None, pattern=r"^\d{5}$")
    name: Optional[str] = Field(None, min_length=1, max_length=50)
    id_number: Optional[str] = Field(None, min_length=15, max_length=18)
    major: Optional[str] = Field(None, min_length=1, max_length=100)
    date_from: Optional[date] = Field(None, alias="from")
    date_to: Optional[date] = Field(None, alias="to")

    def to_filter(self) -> EmployerFilter:
        return EmployerFilter(group=self.status, cohort=self.cohort, school_code=self.school_code,
                              name=self.name, id_number=self.id_number, major=self.major,
                              date_from=self.date_from, date_to=self.date_to)


class EmployerInvitationQuery(EmployerListFilter):
    cursor: Optional[str] = Field(None, max_length=40)
    limit: int = Field(20, ge=1, le=100)


class HomeQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")
    cohort: Optional[int] = Field(None, ge=2000, le=2100)


class GroupCount(BaseModel):
    group: GroupName
    label: str
    count: int


class StudentTerminationRequest(BaseModel):
    termination_id: int
    invitation_id: int
    student_name: str
    reason: str
    requested_at: str


class EmployerHome(BaseModel):
    employer_name: str
    verified: bool
    cohort: Optional[int] = None
    counts: list[GroupCount]
    waiting_terminations: list[StudentTerminationRequest]
    unread_notifications: int


def _detail(invitation_id: int) -> dict:
    actor = current_actor()
    return invitation_detail(signing_reads.invitation_detail(actor, invitation_id), actor)


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
    return Preview(**invitation_service.preview_letter(current_actor(), json.student_id, json.terms))


@bp.get("/employer/invitations")
@roles_required("employer_user")
@spec.validate(query=EmployerInvitationQuery, resp=Response(HTTP_200=InvitationList, **ERRORS),
               tags=["employer"])
def list_invitations(query: EmployerInvitationQuery):
    """Our invitations and agreements, newest first, under any of the list filters."""
    with replica_reads():
        return list_response(employer_lists.filtered(current_actor(), query.to_filter()),
                             query.cursor, query.limit)


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




@bp.get("/employer/home")
@roles_required("employer_user")
@spec.validate(query=HomeQuery, resp=Response(HTTP_200=EmployerHome, **ERRORS), tags=["employer"])
def employer_home(query: HomeQuery):
    """工作台: counts per status for a cohort and what waits for us."""
    from app.clock import iso_china
    from app.domain.workbench import GROUPS

    actor = current_actor()
    employer = db.session.get(Employer, actor.employer_id)
    counts = signing_reads.workbench_counts(actor, query.cohort)
    waiting = signing_reads.employer_waiting_terminations(actor)
    unread = signing_reads.unread_count(RecipientType.EMPLOYER, actor.employer_id)
    return EmployerHome(
        employer_name=employer.name, verified=employer.is_verified, cohort=query.cohort,
        counts=[GroupCount(group=g, label=GROUPS[g], count=counts[g]) for g in GROUPS],
        waiting_terminations=[StudentTerminationRequest(
            termination_id=t.id, invitation_id=t.invitation_id, student_name=name,
            reason=t.reason, requested_at=iso_china(t.created_at)) for t, name in waiting],
        unread_notifications=unread)


@bp.get("/employer/invitations/export.xlsx")
@roles_required("employer_user")
@spec.validate(query=EmployerListFilter, resp=Response("HTTP_200", **ERRORS), tags=["employer"])
def export_invitations(query: EmployerListFilter):
    """The filtered list as Excel, built row by row in write-only mode (memory stays flat while
    rows are read; the finished file, a few MB for 100k rows, is sent in one piece)."""
    with replica_reads(), employer_lists.write_export(current_actor(), query.to_filter()) as out:
        body = out.read()
    response = FlaskResponse(body, mimetype=XLSX)
    response.headers["Content-Disposition"] = attachment("签约名单.xlsx")
    return response
