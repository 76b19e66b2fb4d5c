"""The 线下签约 queue of the school's reviewers: what waits at my level (the agreement review
协议书审核, the signing review 签约鉴证 and the termination review), filters and keyset pages,
built on the signing queue's scope, filters and cursors (app/services/review_queue.py).

A college reviewer sees the college, a school reviewer the school; anything else is never
selected, so asking for it by id is a 404.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import case, func, select

from app.clock import utcnow
from app.domain import paper as rules
from app.domain.actors import Actor
from app.domain.errors import InvalidInput
from app.extensions import db
from app.models import PaperAgreement, PaperTermination, Student
from app.services import review_queue as rq
from app.services.review_queue import QueueFilter

COLLEGE, SCHOOL = rq.COLLEGE, rq.SCHOOL
# The states each level works on.
MY_STATES = {COLLEGE: (rules.COLLEGE_REVIEW, rules.COLLEGE_VERIFY),
             SCHOOL: (rules.SCHOOL_REVIEW, rules.SCHOOL_VERIFY)}
LISTED_STATES = tuple(s for s in rules.STATES if s not in (rules.DRAFT, rules.DISCARDED))
STATUS_FILTERS = {
    "waiting": "待我审核",
    "first_review": "协议书待审核",
    "awaiting_feedback": "待反馈",
    "second_review": "等待签约审核",
    "effective": "签约审核通过",
    "failed": "协议书审核不通过",
    "terminated": "已解约",
    "termination_review": "解约待我审核",
    "all": "全部",
}
_GROUPS = {"first_review": tuple(rules.FIRST_REVIEW_STATES),
           "second_review": tuple(rules.SECOND_REVIEW_STATES)}
PAGE_SIZE = 20


@dataclass
class PaperRow:
    id: int
    agreement_no: str | None
    agreement_status: str  # 协议书状态
    state: str
    review_label: str  # 签约审核状态
    student_no: str
    student_name: str
    college: str
    major: str
    employer: str
    position: str
    last_action_at: datetime
    termination_review: str
    age: int | None
    overdue: bool


@dataclass
class PaperPage:
    rows: list[PaperRow]
    next_cursor: str | None
    sla_days: int
    colleges: dict[int, str]
    majors: dict[int, str]


def _states(actor: Actor, status: str) -> tuple[str, ...] | None:
    if status not in STATUS_FILTERS:
        raise InvalidInput("BAD_STATUS", "状态筛选条件无效", {"status": "状态筛选条件无效"})
    if status == "waiting":
        return MY_STATES[actor.role]
    if status == "termination_review":
        return None
    if status == "all":
        return LISTED_STATES
    return _GROUPS.get(status, (status,))


def id_query(actor: Actor, f: QueueFilter, limit: int):
    states = _states(actor, f.status)
    m = PaperAgreement
    query = select(m.id, m.updated_at).where(rq.in_scope(actor, m))
    if states is None:  # terminations waiting at my level
        waiting = rq.MY_REVIEW_STATE[actor.role]
        query = query.where(m.id.in_(select(PaperTermination.paper_agreement_id).where(
            rq.in_scope(actor, PaperTermination), PaperTermination.state == waiting)))
    else:
        query = query.where(m.state.in_(states))
    if f.cohort:
        query = query.where(m.cohort == f.cohort)
    if f.college_id:
        query = query.where(m.college_id == f.college_id)
    students = rq._student_ids(actor, f)
    if students is not None:
        query = query.where(m.student_id.in_(students))
    if f.date_from:
        query = query.where(m.updated_at >= rq.china_midnight_utc(f.date_from))
    if f.date_to:
        query = query.where(m.updated_at < rq.china_midnight_utc(f.date_to + timedelta(days=1)))
    if f.overdue:
        query = query.where(m.state.in_(rules.REVIEW_STATES), m.updated_at < rq.overdue_cutoff(limit))
    return query


def page(actor: Actor, f: QueueFilter, cursor: str | None = None, size: int = PAGE_SIZE) -> PaperPage:
    """One keyset page, newest last action first: an index page of ids, then their few rows."""
    rq.require_reviewer(actor)
    now = utcnow()
    limit = rq.sla_days(actor)
    cutoff = rq.overdue_cutoff(limit, now)
    keys = db.session.execute(rq._keyset(id_query(actor, f, limit), PaperAgreement, cursor)
                              .limit(size + 1)).all()
    more = len(keys) > size
    keys = keys[:size]
    ids = [k.id for k in keys]
    colleges, majors = rq.org_names(actor)
    rows = _rows(ids, colleges, majors, cutoff, now)
    next_cursor = rq.encode_cursor(keys[-1].updated_at, keys[-1].id) if more else None
    return PaperPage(rows, next_cursor, limit, colleges, majors)


def _rows(ids: list[int], colleges, majors, cutoff: datetime, now: datetime) -> list[PaperRow]:
    if not ids:
        return []
    m = PaperAgreement
    found = {r.id: r for r in db.session.execute(
        select(m.id, m.agreement_no, m.state, m.updated_at, m.employer_name, m.position,
               Student.student_no, Student.name, Student.college_id, Student.major_id,
               PaperTermination.state.label("termination_state"))
        .join(Student, Student.id == m.student_id)
        .outerjoin(PaperTermination, PaperTermination.in_flight_agreement_id == m.id)
        .where(m.id.in_(ids)))}
    rows = []
    for i in ids:
        r = found.get(i)
        if r is None:
            continue
        state = r.state.value
        in_review = state in rules.REVIEW_STATES
        t_state = r.termination_state.value if r.termination_state is not None else None
        rows.append(PaperRow(
            id=r.id, agreement_no=r.agreement_no,
            agreement_status=rules.DOCUMENT_LABELS.get(state, "协议书已生成"), state=state,
            review_label=rules.STATE_LABELS[state], student_no=r.student_no, student_name=r.name,
            college=colleges.get(r.college_id, ""), major=majors.get(r.major_id, ""),
            employer=r.employer_name or "", position=r.position or "", last_action_at=r.updated_at,
            termination_review=rules.TERMINATION_STATE_LABELS.get(t_state, "") if t_state else "",
            age=rq.age_of(r.updated_at, now) if in_review else None,
            overdue=in_review and r.updated_at < cutoff))
    return rows


def home_counts(actor: Actor, now: datetime | None = None) -> tuple[int, int]:
    """(waiting at my level, of which past the school's service level): agreements in either
    review and paper terminations."""
    rq.require_reviewer(actor)
    cutoff = rq.overdue_cutoff(rq.sla_days(actor), now)
    waiting = overdue = 0
    for model, states in ((PaperAgreement, MY_STATES[actor.role]),
                          (PaperTermination, (rq.MY_REVIEW_STATE[actor.role],))):
        n, late = db.session.execute(
            select(func.count(), func.coalesce(func.sum(case((model.updated_at < cutoff, 1), else_=0)), 0))
            .where(rq.in_scope(actor, model), model.state.in_(states))).one()
        waiting, overdue = waiting + int(n), overdue + int(late)
    return waiting, overdue


def waiting_count(actor: Actor) -> int:
    """What waits for me in the 线下签约 tab: agreements at my level and terminations at my level."""
    rq.require_reviewer(actor)
    agreements = db.session.scalar(select(func.count()).select_from(PaperAgreement).where(
        rq.in_scope(actor, PaperAgreement), PaperAgreement.state.in_(MY_STATES[actor.role])))
    terminations = db.session.scalar(select(func.count()).select_from(PaperTermination).where(
        rq.in_scope(actor, PaperTermination), PaperTermination.state == rq.MY_REVIEW_STATE[actor.role]))
    return int(agreements) + int(terminations)


EXPORT_COLUMNS = ["协议书编号", "协议书状态", "学号", "姓名", "学院", "专业", "签约类型", "单位名称",
                  "拟聘用职位", "最后操作时间", "签约审核状态", "解约审核状态", "已等待（工作日）"]
EXPORT_FILENAME = "线下签约审核名单.xlsx"


def export(actor: Actor, f: QueueFilter, batch: int = 1000):
    """导出: the filtered list as xlsx, written row by row from keyset batches (memory stays flat)."""
    import tempfile

    from openpyxl import Workbook

    from app.clock import to_china

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("线下签约")
    sheet.append(EXPORT_COLUMNS)
    cursor = None
    while True:
        current = page(actor, f, cursor, batch)
        for r in current.rows:
            at = f"{to_china(r.last_action_at):%Y-%m-%d %H:%M}"
            sheet.append([r.agreement_no or "", r.agreement_status, r.student_no, r.student_name, r.college,
                          r.major, "纸质签约", r.employer, r.position, at, r.review_label,
                          r.termination_review, "" if r.age is None else r.age])
        if current.next_cursor is None:
            break
        cursor = current.next_cursor
    out = tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024)
    workbook.save(out)
    out.seek(0)
    return out
