"""The checks before sending a letter (SPEC §13), shown on the letter form before 发送邀请."""
from __future__ import annotations

from pydantic import BaseModel
from spectree import Response

from app.api import bp, spec
from app.api.auth import current_actor, roles_required
from app.api.schemas_common import ERRORS
from app.api.schemas_signing import InvitationCreate
from app.services import presend_checks


class CheckOut(BaseModel):
    code: str
    level: str  # warning | error
    field: str
    message: str
    student_ids: list[int] = []


class CheckResults(BaseModel):
    checks: list[CheckOut]


@bp.post("/employer/invitations/checks")
@roles_required("employer_user")
@spec.validate(json=InvitationCreate, resp=Response(HTTP_200=CheckResults, **ERRORS), tags=["employer"])
def check_letter(json: InvitationCreate):
    """发送前检查: salary below the local minimum wage, damages above a school's cap, missing
    户档信息. Nothing is saved; a warning does not stop the send."""
    checks = presend_checks.check_letter(current_actor(), json.student_ids, json.terms)
    return CheckResults(checks=[CheckOut(**c.__dict__) for c in checks])
