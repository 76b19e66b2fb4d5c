"""单位认证 as data: an employer registers pending, uploads evidence, and is approved or rejected
(a rejected employer uploads again and is pending again)."""
from __future__ import annotations

from typing import Protocol

from app.domain.errors import Conflict, DomainError
from app.domain.workflow import NEW, SAME, Workflow, transition

PENDING = "pending"
APPROVED = "approved"
REJECTED = "rejected"
STATES = (PENDING, APPROVED, REJECTED)
STATE_LABELS = {PENDING: "待审核", APPROVED: "已认证", REJECTED: "认证未通过"}

VERIFIERS = frozenset({"platform_admin", "school_reviewer"})  # SPEC §1: the platform or any school


class VerificationFacts(Protocol):
    has_licence: bool  # a licence scan was uploaded


def _has_licence(f: VerificationFacts) -> DomainError | None:
    if not f.has_licence:
        return Conflict("EVIDENCE_MISSING", "该单位尚未上传营业执照扫描件，暂不能审核")
    return None


def _wrong_state(wf: Workflow, state: str, row) -> DomainError:
    if row.action == "submit_evidence":
        return Conflict("EMPLOYER_ALREADY_VERIFIED",
                        "单位已通过认证，无需再次提交材料；如需修改单位信息请联系客服")
    return Conflict("VERIFICATION_NOT_PENDING", "该单位不在待审核状态，不能重复审核")


_ROWS = (
    transition("register", {NEW}, PENDING, {"employer_user"}, "单位注册"),
    transition("submit_evidence", {PENDING}, SAME, {"employer_user"}, "单位提交认证材料"),
    transition("submit_evidence", {REJECTED}, PENDING, {"employer_user"}, "单位提交认证材料"),
    transition("approve", {PENDING}, APPROVED, VERIFIERS, "单位认证通过", name="verify_approve",
               event="employer_verified", guards=(_has_licence,)),
    transition("reject", {PENDING}, REJECTED, VERIFIERS, "单位认证不通过", name="verify_reject",
               reason_required=True, event="employer_verification_rejected", guards=(_has_licence,)),
)

VERIFICATION = Workflow("employer", STATES, STATE_LABELS, (), _ROWS, wrong_state=_wrong_state)
