"""其他去向 in the review API: /api/v1/review/destinations (queue), /{id} (detail), /{id}/approve,
/{id}/reject {reason} — a registration or its cancellation, whichever waits — and /{id}/files/{file}.
A college reviewer sees the college, a school reviewer the school; anything else is a 404."""
from __future__ import annotations

from typing import Literal, Optional

from pydantic import BaseModel, ConfigDict, Field
from spectree import Response

from app.api import bp, spec
from app.api.auth import current_actor, roles_required
from app.api.conventions import idempotent
from app.api.destinations import DestinationOut, destination_out, send_image
from app.api.review import _Filters
from app.api.schemas_common import ERRORS
from app.clock import iso_china
from app.domain.errors import NotFound
from app.services import destinations, review_destinations

REVIEWERS = ("college_reviewer", "school_reviewer")
DestinationStatus = Literal["waiting", "college_review", "school_review", "approved", "rejected",
                            "cancel_review", "cancelled", "all"]


class DestinationQuery(_Filters):
    status: DestinationStatus = "waiting"


class DestinationItem(BaseModel):
    id: int
    state: str
    state_label: str  # 审核状态
    student_no: str
    student_name: str
    college: str
    major: str
    category: str  # 就业类型
    unit_name: str  # 单位（学校、国家、项目）名称
    submitted_at: Optional[str] = None  # 提交日期
    last_action_at: str
    age_days: Optional[int] = Field(None, description="在审核中的事项已等待的工作日数")
    overdue: bool


class DestinationQueueOut(BaseModel):
    items: list[DestinationItem]
    next_cursor: Optional[str] = None
    sla_days: int


class ReviewDestinationOut(DestinationOut):
    student_no: str
    student_name: str
    college: str
    major: str
    cancelling: bool  # the decision waiting is about a cancellation (注销)
    chain_ok: bool


class RemarkBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    remark: Optional[str] = Field(None, max_length=500)


class ReasonBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: str = Field(min_length=1, max_length=500)


def _file_url(d, f) -> str:
    return f"/api/v1/review/destinations/{d.id}/files/{f.id}"


def _detail(destination_id: int) -> ReviewDestinationOut:
    detail = review_destinations.detail(current_actor(), destination_id)
    student = detail.student
    return ReviewDestinationOut(
        **destination_out(detail.destination, _file_url).model_dump(),
        student_no=student.student_no, student_name=student.name, college=student.college.name,
        major=student.major.name, cancelling=detail.cancelling, chain_ok=detail.chain.ok)


@bp.get("/review/destinations")
@roles_required(*REVIEWERS)
@spec.validate(query=DestinationQuery, resp=Response(HTTP_200=DestinationQueueOut, **ERRORS), tags=["review"])
def review_destination_queue(query: DestinationQuery):
    """其他去向 queue: registrations and cancellations, newest last action first (keyset pages)."""
    page = review_destinations.page(current_actor(), query.to_filter(query.status), query.cursor, query.limit)
    return DestinationQueueOut(items=[DestinationItem(
        id=r.id, state=r.state, state_label=r.state_label, student_no=r.student_no, student_name=r.student_name,
        college=r.college, major=r.major, category=r.category, unit_name=r.unit_name,
        submitted_at=iso_china(r.submitted_at), last_action_at=iso_china(r.last_action_at), age_days=r.age,
        overdue=r.overdue) for r in page.rows], next_cursor=page.next_cursor, sla_days=page.sla_days)


@bp.get("/review/destinations/<int:destination_id>")
@roles_required(*REVIEWERS)
@spec.validate(resp=Response(HTTP_200=ReviewDestinationOut, **ERRORS), tags=["review"])
def review_destination(destination_id: int):
    """One registration: the student, the category's fields, 派遣 and 档案信息, images, flow log."""
    return _detail(destination_id)


@bp.post("/review/destinations/<int:destination_id>/approve")
@roles_required(*REVIEWERS)
@idempotent
@spec.validate(json=RemarkBody, resp=Response(HTTP_200=ReviewDestinationOut, **ERRORS), tags=["review"])
def review_approve_destination(destination_id: int, json: RemarkBody):
    """审核通过 (the college's sends it to the school); for a cancellation, 注销审核通过."""
    destinations.approve(current_actor(), destination_id, json.remark)
    return _detail(destination_id)


@bp.post("/review/destinations/<int:destination_id>/reject")
@roles_required(*REVIEWERS)
@idempotent
@spec.validate(json=ReasonBody, resp=Response(HTTP_200=ReviewDestinationOut, **ERRORS), tags=["review"])
def review_reject_destination(destination_id: int, json: ReasonBody):
    """审核不通过 with the reason (the student edits and resubmits); for a cancellation, the
    destination stays approved."""
    destinations.reject(current_actor(), destination_id, json.reason)
    return _detail(destination_id)


@bp.get("/review/destinations/<int:destination_id>/files/<int:file_id>")
@roles_required(*REVIEWERS)
def review_destination_file(destination_id: int, file_id: int):
    """An image of a registration within the reviewer's reach."""
    path, content_type = destinations.file_of(current_actor(), destination_id, file_id)
    if not path.is_file():
        raise NotFound("FILE_NOT_FOUND", "材料不存在或无权查看")
    return send_image(path, content_type)
