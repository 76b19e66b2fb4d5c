"""其他去向 for reviewers: the queue (filters, keyset pages, counts) and the detail page's data.
Read-only; the decisions are app/services/destinations.py (approve / reject).

Scope as for the signing queues (review_queue.in_scope): a college reviewer sees the college, a
school reviewer the school; anything outside is never selected, so asking for it by id is a 404.
Drafts are the student's own business and never listed.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select

from app.clock import utcnow
from app.domain import destinations as rules
from app.domain.actors import Actor
from app.domain.errors import InvalidInput
from app.extensions import db
from app.models import FlowEntry, OtherDestination, Student
from app.services import destinations, review_queue
from app.services.dictionaries import cached_names
from app.services.review_detail import ChainCheck, check_chain
from app.services.review_queue import QueueFilter

STATUS_FILTERS = {
    "waiting": "待我审核",
    "college_review": "等待学院审核",
    "school_review": "等待学校审核",
    "approved": "审核通过",
    "rejected": "审核不通过",
    "cancel_review": "注销审核中",
    "cancelled": "已注销",
    "all": "全部",
}
LISTED = tuple(s for s in rules.STATES if s != rules.DRAFT)


def waiting_states(actor: Actor) -> tuple[str, ...]:
    return rules.WAITING_FOR[actor.role]


def _states(actor: Actor, status: str) -> tuple[str, ...]:
    if status not in STATUS_FILTERS:
        raise InvalidInput("BAD_STATUS", "状态筛选条件无效", {"status": "状态筛选条件无效"})
    if status == "waiting":
        return waiting_states(actor)
    if status == "cancel_review":
        return tuple(sorted(rules.CANCEL_REVIEW_STATES))
    return LISTED if status == "all" else (status,)


def id_query(actor: Actor, f: QueueFilter):
    """The filtered registrations as (id, updated_at), from their own table's indexes."""
    model = OtherDestination
    states = _states(actor, f.status)
    query = select(model.id, model.updated_at).where(review_queue.in_scope(actor, model), model.state.in_(states))
    if f.cohort:
        query = query.where(model.cohort == f.cohort)
    if f.college_id:
        query = query.where(model.college_id == f.college_id)
    students = review_queue._student_ids(actor, f)
    if students is not None:
        query = query.where(model.student_id.in_(students))
    if f.date_from:
        query = query.where(model.updated_at >= review_queue.china_midnight_utc(f.date_from))
    if f.date_to:
        query = query.where(model.updated_at < review_queue.china_midnight_utc(f.date_to + timedelta(days=1)))
    if f.overdue:
        in_review = rules.REVIEW_STATES | rules.CANCEL_REVIEW_STATES
        query = query.where(model.state.in_(in_review),
                            model.updated_at < review_queue.overdue_cutoff(review_queue.sla_days(actor)))
    return query


@dataclass
class DestinationRow:
    id: int
    state: str
    state_label: str
    student_no: str
    student_name: str
    college: str
    major: str
    category: str  # 就业类型
    unit_name: str  # 单位（学校、国家、项目）名称
    submitted_at: datetime | None
    last_action_at: datetime
    age: int | None
    overdue: bool


@dataclass
class DestinationPage:
    rows: list[DestinationRow]
    next_cursor: str | None
    sla_days: int
    colleges: dict[int, str] = field(default_factory=dict)
    majors: dict[int, str] = field(default_factory=dict)


def _label(names: dict, category: str, sub: str | None) -> str:
    top = names.get((destinations.KIND, category), category)
    child = names.get((destinations.KIND, sub)) if sub else None
    return f"{top}（{child}）" if child and child != top else top


def page(actor: Actor, f: QueueFilter, cursor: str | None = None,
         size: int = review_queue.PAGE_SIZE) -> DestinationPage:
    """One keyset page of the 其他去向 queue, newest last action first."""
    review_queue.require_reviewer(actor)
    now = utcnow()
    limit = review_queue.sla_days(actor)
    cutoff = review_queue.overdue_cutoff(limit, now)
    keys = db.session.execute(review_queue._keyset(id_query(actor, f), OtherDestination, cursor)
                              .limit(size + 1)).all()
    more = len(keys) > size
    keys = keys[:size]
    ids = [k.id for k in keys]
    rows = {r.id: r for r in db.session.execute(
        select(OtherDestination.id, OtherDestination.state, OtherDestination.category_code,
               OtherDestination.subcategory_code, OtherDestination.unit_name, OtherDestination.submitted_at,
               OtherDestination.updated_at, Student.student_no, Student.name, Student.college_id, Student.major_id)
        .join(Student, Student.id == OtherDestination.student_id).where(OtherDestination.id.in_(ids)))} if ids else {}
    colleges, majors = review_queue.org_names(actor)
    names = cached_names((destinations.KIND,))
    waiting = rules.REVIEW_STATES | rules.CANCEL_REVIEW_STATES
    out = []
    for i in ids:
        r = rows.get(i)
        if r is None:
            continue
        state = getattr(r.state, "value", r.state)
        in_review = state in waiting
        out.append(DestinationRow(
            id=r.id, state=state, state_label=rules.STATE_LABELS[state], student_no=r.student_no,
            student_name=r.name, college=colleges.get(r.college_id, ""), major=majors.get(r.major_id, ""),
            category=_label(names, r.category_code, r.subcategory_code), unit_name=r.unit_name,
            submitted_at=r.submitted_at, last_action_at=r.updated_at,
            age=review_queue.age_of(r.updated_at, now) if in_review else None,
            overdue=in_review and r.updated_at < cutoff))
    next_cursor = review_queue.encode_cursor(keys[-1].updated_at, keys[-1].id) if more else None
    return DestinationPage(out, next_cursor, limit, colleges, majors)


EXPORT_MAX = 20000  # a school's cohort; more: narrow the filters
EXPORT_COLUMNS = ("学号", "姓名", "学院", "专业", "就业类型", "单位（学校、国家、项目）名称", "审核状态",
                  "提交日期", "最后操作时间", "已等待（工作日）")


def export(actor: Actor, f: QueueFilter):
    """导出: the filtered list as xlsx (write-only, keyset batches: memory stays flat), ready to send."""
    import tempfile

    from openpyxl import Workbook

    from app.clock import to_china
    from app.services import xlsx

    total = db.session.scalar(select(func.count()).select_from(id_query(actor, f).subquery()))
    if total > EXPORT_MAX:
        raise InvalidInput("EXPORT_TOO_LARGE", f"符合条件的记录有{total}条，超过{EXPORT_MAX}条，请缩小筛选范围后再导出")
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("其他去向")
    sheet.append(xlsx.row(sheet, EXPORT_COLUMNS, bold=True))
    at = lambda value: f"{to_china(value):%Y-%m-%d %H:%M}" if value else ""  # noqa: E731
    cursor = None
    while True:
        batch = page(actor, f, cursor, 1000)
        for r in batch.rows:
            sheet.append(xlsx.row(sheet, (r.student_no, r.student_name, r.college, r.major, r.category, r.unit_name,
                                          r.state_label, at(r.submitted_at), at(r.last_action_at),
                                          "" if r.age is None else r.age)))
        if batch.next_cursor is None:
            break
        cursor = batch.next_cursor
    out = tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024)
    workbook.save(out)
    out.seek(0)
    return out


def waiting_count(actor: Actor) -> int:
    """What waits for this reviewer in the 其他去向 tab."""
    return db.session.scalar(select(func.count()).select_from(OtherDestination).where(
        review_queue.in_scope(actor, OtherDestination), OtherDestination.state.in_(waiting_states(actor))))


@dataclass
class DestinationDetail:
    destination: OtherDestination
    student: Student
    category_label: str
    spec: rules.CategorySpec | None
    field_rows: list[tuple[str, str]]  # (label, value as shown)
    dispatch_rows: list[tuple[str, str]]
    archive_rows: list[tuple[str, str]]
    flow: list[FlowEntry]
    chain: ChainCheck
    allowed_actions: list[str]
    state_label: str
    age: int | None
    overdue: bool
    cancelling: bool  # the decision asked for is about a cancellation


def _shown(f: rules.FieldSpec, value: Any, regions: dict) -> str:
    if f.type == "region":
        return destinations.region_path(value, regions)
    if f.type == "choice":
        return next((o.label for o in f.options if o.value == value), value)
    return str(value)


def detail(actor: Actor, destination_id: int) -> DestinationDetail:
    """Everything a reviewer reads before deciding; 404 outside the reviewer's reach."""
    review_queue.require_reviewer(actor)
    d = destinations.load(actor, destination_id)
    specs = destinations.category_specs()
    spec = specs.get(d.subcategory_code or d.category_code)
    regions = cached_names(("region",))
    fields = d.data.get("fields") or {}
    field_rows = [(f.label, _shown(f, fields[f.key], regions)) for f in (spec.fields if spec else ())
                  if fields.get(f.key) not in (None, "")]
    dispatch = d.data.get("dispatch") or {}
    dispatch_rows = []
    if spec and spec.dispatch:
        dispatch_rows = [(spec.dispatch.unit_label, dispatch.get("unit") or "—"),
                         (spec.dispatch.region_label,
                          destinations.region_path(dispatch.get("region_code"), regions) or "—")]
    archive = d.data.get("archive") or {}
    archive_rows = [(label, archive.get(key) or "—") for key, label in rules.ARCHIVE_LABELS.items()]
    flow = list(db.session.scalars(select(FlowEntry).where(
        FlowEntry.subject_type == "destination", FlowEntry.subject_id == d.id).order_by(FlowEntry.seq)))
    state = d.state.value
    in_review = state in rules.REVIEW_STATES | rules.CANCEL_REVIEW_STATES
    cutoff = review_queue.overdue_cutoff(review_queue.sla_days(actor))
    return DestinationDetail(
        destination=d, student=d.student, category_label=destinations.category_label(d), spec=spec,
        field_rows=field_rows, dispatch_rows=dispatch_rows, archive_rows=archive_rows, flow=flow,
        chain=check_chain(flow), allowed_actions=destinations.allowed_actions(d, actor),
        state_label=rules.STATE_LABELS[state],
        age=review_queue.age_of(d.updated_at) if in_review else None,
        overdue=in_review and d.updated_at < cutoff, cancelling=state in rules.CANCEL_REVIEW_STATES)
