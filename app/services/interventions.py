"""The school's interventions on an agreement: void 作废, invalidate 失效 (also when a student's
record is invalidated), forced termination 强制解约, withdraw an approval 撤回审核.

Each needs a reason and writes the flow log; the transition table says from which states and
refuses void and withdrawal while a termination is in flight. Invalidation and forced
termination overtake a pending termination request, which fails on the record.
"""
from __future__ import annotations

from sqlalchemy import select

from app.clock import utcnow
from app.domain import signing as rules
from app.domain.actors import Actor
from app.domain.errors import Forbidden, InvalidInput, NotFound
from app.extensions import db
from app.models import InterventionEvidence, Invitation, RecordStatus, Student
from app.services.signing_flow import SIGNING
from app.services.terminations import close_in_flight
from app.services.unit import transactional


def _reason(reason: str | None) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput("REASON_REQUIRED", "请填写原因", {"reason": "请填写原因"})
    return reason[:500]


@transactional
def withdraw_approval(actor: Actor, invitation_id: int, reason: str) -> Invitation:
    """撤回审核: back to school review; the agreement keeps its number and its terms."""
    invitation = SIGNING.load(actor, invitation_id, lock=True)
    SIGNING.run(invitation, "withdraw_approval", actor, _reason(reason))
    return invitation


@transactional
def void_agreement(actor: Actor, invitation_id: int, reason: str) -> Invitation:
    """作废: the agreement ends and the student may sign again."""
    invitation = SIGNING.load(actor, invitation_id, lock=True)
    SIGNING.run(invitation, "void", actor, _reason(reason))
    return invitation


@transactional
def invalidate_agreement(actor: Actor, invitation_id: int, reason: str) -> Invitation:
    invitation = SIGNING.load(actor, invitation_id, lock=True)
    reason = _reason(reason)
    close_in_flight(invitation, actor, "协议已失效，解约申请终止")
    SIGNING.run(invitation, "invalidate", actor, reason)
    return invitation


@transactional
def force_terminate(actor: Actor, invitation_id: int, reason: str, evidence=None) -> Invitation:
    """强制解约, with optional evidence (a stored image from app.services.uploads)."""
    invitation = SIGNING.load(actor, invitation_id, lock=True)
    reason = _reason(reason)
    close_in_flight(invitation, actor, "学校已强制解约，本解约申请终止")
    SIGNING.run(invitation, "force_terminate", actor, reason)
    if evidence is not None:
        db.session.add(InterventionEvidence(
            invitation_id=invitation.id, action="force_terminate", storage_key=evidence.storage_key,
            content_type=evidence.content_type, size=evidence.size, sha256=evidence.sha256,
            uploaded_by_id=actor.account_id, created_at=utcnow()))
    return invitation


@transactional
def invalidate_student(actor: Actor, student_id: int, reason: str) -> int:
    """学籍失效: the record is invalid, and every agreement not yet final becomes invalid with it."""
    if actor.role != "school_reviewer":
        raise Forbidden("ACTION_NOT_ALLOWED", "只有学校审核员可以设置学籍失效")
    student = db.session.get(Student, student_id, with_for_update=True)
    if student is None or student.school_id != actor.school_id:
        raise NotFound("STUDENT_NOT_FOUND", "学生不存在")
    reason = _reason(reason)
    student.record_status = RecordStatus.INVALID
    open_states = rules.SIGNING.row("invalidate", rules.INVITED).sources
    invitations = db.session.scalars(select(Invitation).where(
        Invitation.student_id == student.id, Invitation.state.in_(open_states))
        .order_by(Invitation.id).with_for_update()).all()
    for invitation in invitations:
        close_in_flight(invitation, actor, "学籍失效，解约申请终止")
        SIGNING.run(invitation, "invalidate", actor, f"学籍失效：{reason}")
    return len(invitations)
