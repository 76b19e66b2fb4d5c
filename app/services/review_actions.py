"""The reviewer's decisions as the pages and the review API take them: the confirmation an
intervention needs, the evidence of a forced termination, the employer data a reviewer fills in.

The state changes themselves are the existing services (reviews, terminations, interventions);
this module adds only what both front ends would otherwise repeat.
"""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from werkzeug.datastructures import FileStorage

from app.domain.actors import Actor
from app.domain.errors import Forbidden, InvalidInput
from app.extensions import db
from app.models import Employer, Invitation
from app.services import interventions, uploads
from app.services.dictionaries import dictionary_codes
from app.services.flow import record_flow
from app.services.review_detail import EMPLOYER_FILLABLE
from app.services.signing_flow import load_for
from app.services.unit import transactional

INTERVENTIONS = {
    "void": interventions.void_agreement,
    "invalidate": interventions.invalidate_agreement,
    "withdraw_approval": interventions.withdraw_approval,
}
CONFIRM_MESSAGE = "请勾选确认：此操作将通知学生和用人单位，并记入流程追踪"


def _confirmed(confirm: bool) -> None:
    if not confirm:
        raise InvalidInput("CONFIRMATION_REQUIRED", CONFIRM_MESSAGE, {"confirm": "请确认"})


def intervene(actor: Actor, invitation_id: int, action: str, reason: str | None, confirm: bool) -> Invitation:
    """作废 / 失效 / 撤回审核, each with a reason and an explicit confirmation."""
    if action not in INTERVENTIONS:
        raise InvalidInput("UNKNOWN_ACTION", "不支持的操作")
    load_for(actor, invitation_id)  # 404 outside the reviewer's reach, before anything else
    _confirmed(confirm)
    return INTERVENTIONS[action](actor, invitation_id, reason or "")


def force_terminate(actor: Actor, invitation_id: int, reason: str | None, confirm: bool,
                    evidence: FileStorage | None = None, ip: str | None = None) -> Invitation:
    """强制解约 with optional evidence: the image is stored first and removed again if the
    termination is refused."""
    load_for(actor, invitation_id)  # 404 outside the reviewer's reach, before the disk
    _confirmed(confirm)
    if actor.role != "school_reviewer":
        raise Forbidden("ACTION_NOT_ALLOWED", "只有学校审核员可以强制解约")
    stored = None
    if isinstance(evidence, FileStorage) and evidence.filename:
        stored = uploads.save_upload(uploads.USES["intervention_evidence"], evidence, ip=ip)
    try:
        return interventions.force_terminate(actor, invitation_id, reason or "", evidence=stored)
    except Exception:
        if stored is not None:
            uploads.discard([stored])
        raise


def invalidate_student_record(actor: Actor, invitation_id: int, reason: str | None, confirm: bool) -> int:
    """学籍失效 of the student of this agreement: every agreement not yet final becomes invalid."""
    invitation = load_for(actor, invitation_id)
    _confirmed(confirm)
    return interventions.invalidate_student(actor, invitation.student_id, reason or "")


@dataclass(frozen=True)
class EmployerData:
    nature_code: str | None = None
    industry_code: str | None = None
    region_code: str | None = None
    address: str | None = None


@transactional
def fill_employer_data(actor: Actor, invitation_id: int, data: EmployerData) -> Employer:
    """The reviewer completes what the employer's registration lacks (seed 002 §2.1.3: 单位性质,
    行业, 所在地, 地址 ↓请填写信息). Only empty fields are written; the employer's flow log says who."""
    if actor.role not in ("college_reviewer", "school_reviewer"):
        raise Forbidden("ACTION_NOT_ALLOWED", "只有审核员可以补充单位信息")
    invitation = load_for(actor, invitation_id)
    employer = db.session.scalar(select(Employer).where(Employer.id == invitation.employer_id)
                                 .with_for_update())
    fields: dict[str, str] = {}
    changes: list[str] = []
    for attr, kind, label in EMPLOYER_FILLABLE:
        value = (getattr(data, attr) or "").strip()
        if not value or getattr(employer, attr):
            continue
        if kind is not None and value not in dictionary_codes(kind):
            fields[attr] = f"{label}代码不存在"
            continue
        if len(value) > 200:
            fields[attr] = "内容过长"
            continue
        setattr(employer, attr, value)
        changes.append(label)
    if fields:
        raise InvalidInput("VALIDATION_FAILED", "提交的内容有误，请检查后重试", fields)
    if not changes:
        raise InvalidInput("NOTHING_TO_FILL", "请填写单位缺少的信息")
    record_flow("employer", employer.id, "reviewer_fill", actor, None, None, "补充：" + "、".join(changes))
    return employer
