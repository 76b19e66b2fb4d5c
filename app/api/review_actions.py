"""The review API's school-level interventions on an agreement and the employer verification
queue: /api/v1/review/agreements/{id}/void | invalidate | force-terminate | withdraw-approval
(each {reason, confirm: true}; force-terminate is multipart with optional evidence), and
/api/v1/review/employers (+ /{id}/verify)."""
from __future__ import annotations

from typing import Literal, Optional

from flask import request
from pydantic import BaseModel, ConfigDict, Field
from spectree import Response
from spectree.model_adapter.pydantic_adapter import BaseFile

from app.api import bp, spec
from app.api.auth import current_actor, roles_required
from app.api.conventions import idempotent
from app.api.review import SigningDetailOut, signing_out
from app.api.schemas_common import ERRORS
from app.clock import iso_china
from app.services import employers, review_actions, review_detail

SCHOOL = ("school_reviewer",)
VERIFIERS = ("school_reviewer", "platform_admin")
STATUS_LABELS = {"pending": "待认证", "approved": "已认证", "rejected": "认证未通过"}


class InterventionBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: str = Field(min_length=1, max_length=500)
    confirm: bool = Field(description="须为 true：操作将通知学生和用人单位，并记入流程追踪")


class ForceTerminateForm(BaseModel):
    model_config = ConfigDict(json_schema_extra={"required": ["reason", "confirm"]})
    reason: Optional[str] = Field(None, max_length=500)
    confirm: Optional[str] = Field(None, max_length=10, description="true 表示确认")
    evidence: Optional[BaseFile] = None  # 证明材料, JPEG or PNG, ≤ 2 MB


def _intervention(action: str, endpoint: str, summary: str) -> None:
    path = action.replace("_", "-")

    @bp.post(f"/review/agreements/<int:invitation_id>/{path}", endpoint=endpoint)
    @roles_required(*SCHOOL)
    @idempotent
    @spec.validate(json=InterventionBody, resp=Response(HTTP_200=SigningDetailOut, **ERRORS), tags=["review"])
    def view(invitation_id: int, json: InterventionBody):
        actor = current_actor()
        review_actions.intervene(actor, invitation_id, action, json.reason, json.confirm)
        return signing_out(review_detail.signing_detail(actor, invitation_id))

    view.__doc__ = summary


_intervention("void", "review_void_agreement", "作废: the agreement ends; the student may sign again.")
_intervention("invalidate", "review_invalidate_agreement",
              "失效: the agreement (or letter) becomes invalid; a pending termination ends with it.")
_intervention("withdraw_approval", "review_withdraw_approval",
              "撤回审核: back to school review; the agreement keeps its number.")


@bp.post("/review/agreements/<int:invitation_id>/force-terminate")
@roles_required(*SCHOOL)
@idempotent
@spec.validate(form=ForceTerminateForm, resp=Response(HTTP_200=SigningDetailOut, **ERRORS), tags=["review"])
def review_force_terminate(invitation_id: int, form: ForceTerminateForm):
    """强制解约 with reason, confirmation and optional evidence (multipart/form-data)."""
    actor = current_actor()
    # Not a form at all: still 404 outside the reviewer's reach, then "please confirm".
    confirm = form is not None and (form.confirm or "").strip().lower() in ("true", "1", "yes", "on")
    review_actions.force_terminate(actor, invitation_id, form.reason if form else None, confirm,
                                   form.evidence if form else None, request.remote_addr)
    return signing_out(review_detail.signing_detail(actor, invitation_id))


class EmployerQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")
    status: Literal["pending"] = "pending"


class PendingEmployer(BaseModel):
    id: int
    name: str
    credit_code: str
    contact_name: Optional[str] = None
    contact_phone: Optional[str] = None
    verification_status: str
    verification_label: str
    evidence: list[dict[str, str | int]]
    submitted_at: str


class EmployerList(BaseModel):
    items: list[PendingEmployer]


class VerifyBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    decision: Literal["approve", "reject"]
    reason: Optional[str] = Field(None, max_length=500, description="不通过时必填，将通知该单位")


def _employer(e) -> PendingEmployer:
    names = {"licence": "营业执照", "authorisation": "授权委托书"}
    return PendingEmployer(
        id=e.id, name=e.name, credit_code=e.credit_code, contact_name=e.contact_name,
        contact_phone=e.contact_phone, verification_status=e.verification_status.value,
        verification_label=STATUS_LABELS[e.verification_status.value],
        evidence=[{"kind": "employer", "id": x.id, "label": names[x.kind.value],
                   "url": f"/api/v1/review/evidence/employer/{x.id}"} for x in e.evidence],
        submitted_at=iso_china(e.updated_at))


@bp.get("/review/employers")
@roles_required(*VERIFIERS)
@spec.validate(query=EmployerQuery, resp=Response(HTTP_200=EmployerList, **ERRORS), tags=["review"])
def review_employers(query: EmployerQuery):
    """单位认证: employers waiting for verification (with their evidence), oldest first."""
    return EmployerList(items=[_employer(e) for e in employers.list_pending_verifications()])


@bp.post("/review/employers/<int:employer_id>/verify")
@roles_required(*VERIFIERS)
@idempotent
@spec.validate(json=VerifyBody, resp=Response(HTTP_200=PendingEmployer, **ERRORS), tags=["review"])
def review_verify_employer(employer_id: int, json: VerifyBody):
    """认证通过 / 不通过 (with a reason); the employer is told in its inbox and on WeChat."""
    employer = employers.decide_verification(current_actor(), employer_id, json.decision == "approve",
                                             json.reason)
    return _employer(employer)
