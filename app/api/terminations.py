"""解约 endpoints for both parties: the notice, request, answer, lists and detail."""
from __future__ import annotations

from typing import Literal, Optional

from pydantic import BaseModel, ConfigDict, Field
from spectree import Response
from sqlalchemy import select

from app.api import bp, spec
from app.api.auth import current_actor, roles_required
from app.api.conventions import idempotent
from app.services.paging import paginate
from app.api.schemas_common import ERRORS
from app.clock import iso_china
from app.domain import termination as rules
from app.models import Termination
from app.services import terminations as service

PARTIES = ("student", "employer_user")


class TerminationRequestBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: str = Field(min_length=1, max_length=rules.REASON_MAX)
    acknowledge: bool


class AnswerBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    confirm: bool = False  # agreeing needs the second confirmation
    reason: Optional[str] = Field(None, max_length=200)


class TerminationOut(BaseModel):
    id: int
    invitation_id: int
    state: str
    state_label: str
    initiated_by: str
    reason: str
    remark: Optional[str] = None
    employer_name: str
    student_name: str
    requested_at: str
    answered_at: Optional[str] = None
    waiting_for_me: bool
    # What the caller may do now (agree / disagree for the party that did not ask).
    allowed_actions: list[Literal["agree", "disagree", "approve", "reject"]]


class TerminationList(BaseModel):
    items: list[TerminationOut]
    next_cursor: Optional[str] = None


class NoticeOut(BaseModel):
    notice: str
    limit: int
    completed: int
    limit_reached: bool


class ListQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")
    cursor: Optional[str] = Field(None, max_length=40)
    limit: int = Field(20, ge=1, le=100)


def _out(t: Termination) -> TerminationOut:
    actor = current_actor()
    mine = "student" if actor.role == "student" else "employer"
    return TerminationOut(
        id=t.id, invitation_id=t.invitation_id, state=t.state.value,
        state_label=rules.STATE_LABELS[t.state.value], initiated_by=t.initiated_by.value,
        reason=t.reason, remark=t.remark, employer_name=t.invitation.employer.name,
        student_name=t.invitation.student.name, requested_at=iso_china(t.created_at),
        answered_at=iso_china(t.answered_at),
        waiting_for_me=t.state.value == rules.AWAITING_PARTY and t.initiated_by.value != mine,
        allowed_actions=service.allowed_actions(t, actor))


def _register(prefix: str, role: str) -> None:
    """The same five endpoints under /student and /employer, for that party only."""

    @bp.get(f"/{prefix}/agreements/<int:invitation_id>/termination-notice",
            endpoint=f"{prefix}_termination_notice")
    @roles_required(role)
    @spec.validate(resp=Response(HTTP_200=NoticeOut, **ERRORS), tags=[prefix])
    def notice(invitation_id: int):
        """解约须知 with the school's termination limit and how much is used."""
        return NoticeOut(**service.termination_notice(current_actor(), invitation_id))

    @bp.post(f"/{prefix}/agreements/<int:invitation_id>/terminations",
             endpoint=f"{prefix}_request_termination")
    @roles_required(role)
    @idempotent
    @spec.validate(json=TerminationRequestBody, resp=Response(HTTP_200=TerminationOut, **ERRORS),
                   tags=[prefix])
    def request_termination(invitation_id: int, json: TerminationRequestBody):
        """申请解约 (reason ≤ 200 chars, 解约须知 acknowledged); it cannot be withdrawn."""
        return _out(service.request_termination(current_actor(), invitation_id, json.reason,
                                                json.acknowledge))

    @bp.post(f"/{prefix}/terminations/<int:termination_id>/agree", endpoint=f"{prefix}_agree_termination")
    @roles_required(role)
    @idempotent
    @spec.validate(json=AnswerBody, resp=Response(HTTP_200=TerminationOut, **ERRORS), tags=[prefix])
    def agree(termination_id: int, json: AnswerBody):
        """同意解约 (second confirmation): the request goes to review."""
        return _out(service.answer_termination(current_actor(), termination_id, True, json.confirm))

    @bp.post(f"/{prefix}/terminations/<int:termination_id>/disagree",
             endpoint=f"{prefix}_disagree_termination")
    @roles_required(role)
    @idempotent
    @spec.validate(json=AnswerBody, resp=Response(HTTP_200=TerminationOut, **ERRORS), tags=[prefix])
    def disagree(termination_id: int, json: AnswerBody):
        """不同意解约: the termination fails and the agreement stays effective."""
        return _out(service.answer_termination(current_actor(), termination_id, False,
                                               remark=json.reason))

    @bp.get(f"/{prefix}/terminations", endpoint=f"{prefix}_terminations")
    @roles_required(role)
    @spec.validate(query=ListQuery, resp=Response(HTTP_200=TerminationList, **ERRORS), tags=[prefix])
    def terminations(query: ListQuery):
        """Our terminations, newest first."""
        actor = current_actor()
        owner = (Termination.student_id == actor.student_id if role == "student"
                 else Termination.employer_id == actor.employer_id)
        items, next_cursor = paginate(select(Termination).where(owner), Termination.id,
                                      query.cursor, query.limit)
        return TerminationList(items=[_out(t) for t in items], next_cursor=next_cursor)

    @bp.get(f"/{prefix}/terminations/<int:termination_id>", endpoint=f"{prefix}_termination")
    @roles_required(role)
    @spec.validate(resp=Response(HTTP_200=TerminationOut, **ERRORS), tags=[prefix])
    def termination(termination_id: int):
        """One termination; the agreement's detail shows the whole timeline."""
        return _out(service.load_termination(current_actor(), termination_id, lock=False))


_register("student", "student")
_register("employer", "employer_user")
