"""Request and response models of the signing endpoints (they make the OpenAPI document)."""
from __future__ import annotations

from typing import Any, Literal, Optional

from pydantic import BaseModel, ConfigDict, Field, StringConstraints
from typing_extensions import Annotated

from app.api.schemas_common import Id
from app.domain.terms import InvitationTerms

StateName = Literal["invited", "rejected", "expired", "college_review", "school_review",
                    "review_rejected", "effective", "voided", "invalidated", "terminated"]


class InvitationSummary(BaseModel):
    id: int
    state: StateName
    state_label: str
    employer_name: str
    student_name: str
    position: str
    invited_at: str
    deadline_date: str
    agreement_no: Optional[str] = None
    revision: int
    revision_pending: bool
    # The student holds a destination other than this one (seed 002 FAQ 3: the letter is read-only).
    signed_elsewhere: bool = False


class InvitationList(BaseModel):
    items: list[InvitationSummary]
    next_cursor: Optional[str] = None


class FlowItem(BaseModel):
    at: str
    actor: str
    action: str
    action_label: str
    state: Optional[str] = None
    state_label: str
    remark: Optional[str] = None


class StudentPart(BaseModel):
    id: int
    name: str
    student_no: str
    school: str
    college: str
    major: str
    education_level: str
    education_level_label: str
    cohort: int
    id_number: str
    phone: Optional[str] = None


SigningAction = Literal["accept", "reject", "modify", "accept_revision", "decline_revision", "approve",
                        "withdraw_approval", "void", "invalidate", "force_terminate", "request_termination"]


class InvitationDetail(InvitationSummary):
    # What the caller may do now; a client shows exactly these and derives nothing itself.
    allowed_actions: list[SigningAction]
    letter: str
    terms: dict[str, Any]
    employer: dict[str, Any]
    student: StudentPart
    # Names of the dictionary codes above: job_category, work_region, employer_nature, …
    labels: dict[str, str] = {}
    signing_notice: str
    confirmation_text: str
    accepted_revision: Optional[int] = None
    # While a modification awaits the student: the terms agreed before it (else null).
    accepted_terms: Optional[dict[str, Any]] = None
    last_remark: Optional[str] = None
    flow: list[FlowItem]


class StatusQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")
    status: Optional[Literal["open", "done", "all"]] = "all"
    employer_name: Optional[Annotated[str, StringConstraints(strip_whitespace=True, min_length=1,
                                                             max_length=50)]] = None  # a part of the name
    cursor: Optional[Annotated[str, StringConstraints(max_length=40)]] = None
    limit: int = Field(20, ge=1, le=100)


class AcceptBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    revision: int = Field(ge=1, le=10_000)
    confirm: bool


class RejectBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: Optional[Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)]] = None


class RevisionBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    revision: int = Field(ge=1, le=10_000)


class WaitingTermination(BaseModel):
    """An employer's termination request waiting for the student's answer."""
    termination_id: int
    invitation_id: int
    employer_name: str
    reason: str
    requested_at: str


class DestinationStatus(BaseModel):
    """就业状态: what the student's one active destination is, and since when."""
    kind: str  # online | paper | other
    kind_label: str
    since: str  # when it became active (the acceptance, for an online agreement)


class StudentHome(BaseModel):
    profile: StudentPart
    destination: Optional[InvitationSummary] = None
    destination_status: Optional[DestinationStatus] = None
    open_invitations: int
    pending_revisions: int
    pending_terminations: int
    waiting_terminations: list[WaitingTermination] = []
    unread_notifications: int


class InvitationCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    student_ids: list[Id] = Field(min_length=1, max_length=1000)
    terms: InvitationTerms


class PreviewBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    student_id: Id
    terms: InvitationTerms


class SendResultOut(BaseModel):
    student_id: int
    ok: bool
    invitation_id: Optional[int] = None
    code: Optional[str] = None
    message: Optional[str] = None


class SendResults(BaseModel):
    sent: int
    failed: int
    results: list[SendResultOut]


class Preview(BaseModel):
    opening: str
    deadline_date: str
    terms: dict[str, Any]
    employer: dict[str, Any]
    signing_notice: str
