"""What waits for a reviewer: counts for the landing page, the queues with their filters and
keyset pages (read-only; the decisions are app/services/reviews.py and terminations.py).

Scope: a college reviewer sees the college, a school reviewer the school; anything outside is
never selected (so it is a 404, not a 403, when asked for by id).

"Arrived" — when an item entered the state it waits in — is the row's ``updated_at``: in a
review state nothing but a transition writes an invitation or a termination.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time

from sqlalchemy import case, func, select

from app.clock import CHINA, to_china, utcnow
from app.domain import service_level
from app.domain.actors import Actor
from app.domain.errors import Forbidden
from app.extensions import db
from app.models import (
    Employer,
    EmployerEvidence,
    EvidenceKind,
    Invitation,
    School,
    Termination,
    VerificationStatus,
)

COLLEGE, SCHOOL = "college_reviewer", "school_reviewer"
REVIEWER_ROLES = (COLLEGE, SCHOOL)
# The review state each level works on (signings and terminations use the same names).
MY_REVIEW_STATE = {COLLEGE: "college_review", SCHOOL: "school_review"}


def require_reviewer(actor: Actor) -> None:
    if actor.role not in REVIEWER_ROLES or actor.school_id is None:
        raise Forbidden("ROLE_NOT_ALLOWED", "只有学院或学校审核员可以查看审核列表")


def in_scope(actor: Actor, model):
    """The SQL condition: rows of the actor's college (college reviewer) or school."""
    require_reviewer(actor)
    if actor.role == COLLEGE:  # a college belongs to one school: its id alone is the scope
        return model.college_id == actor.college_id
    return model.school_id == actor.school_id


def china_midnight_utc(day: date) -> datetime:
    """00:00 Asia/Shanghai of ``day`` as the naive UTC the columns store."""
    return datetime.combine(day, time(0), tzinfo=CHINA).astimezone(UTC).replace(tzinfo=None)


def today_in_china(now: datetime | None = None) -> date:
    return to_china(now or utcnow()).date()


def sla_days(actor: Actor) -> int:
    return db.session.scalar(select(School.review_sla_days).where(School.id == actor.school_id)) \
        or service_level.DEFAULT_LIMIT


def overdue_cutoff(limit: int, now: datetime | None = None) -> datetime:
    """Items that arrived before this instant are past the school's service level today."""
    return china_midnight_utc(service_level.overdue_before(today_in_china(now), limit))


def age_of(arrived: datetime, now: datetime | None = None) -> int:
    return service_level.age_in_working_days(to_china(arrived).date(), today_in_china(now))


@dataclass(frozen=True)
class HomeCounts:
    signings_waiting: int
    signings_overdue: int
    terminations_waiting: int
    terminations_overdue: int
    sla_days: int
    employers_pending: int | None  # for those who verify employers


def home_counts(actor: Actor, now: datetime | None = None) -> HomeCounts:
    """What waits for this reviewer, and how much of it is past the school's service level:
    four counts in two grouped queries."""
    require_reviewer(actor)
    limit = sla_days(actor)
    cutoff = overdue_cutoff(limit, now)
    state = MY_REVIEW_STATE[actor.role]
    counts = {}
    for name, model in (("signings", Invitation), ("terminations", Termination)):
        waiting, overdue = db.session.execute(
            select(func.count(), func.coalesce(func.sum(case((model.updated_at < cutoff, 1), else_=0)), 0))
            .where(in_scope(actor, model), model.state == state)).one()
        counts[name] = (int(waiting), int(overdue))
    return HomeCounts(counts["signings"][0], counts["signings"][1], counts["terminations"][0],
                      counts["terminations"][1], limit,
                      pending_verifications_count() if actor.role == SCHOOL else None)


def pending_verifications_count() -> int:
    """Employers waiting for verification that uploaded their licence."""
    has_licence = select(EmployerEvidence.id).where(
        EmployerEvidence.employer_id == Employer.id,
        EmployerEvidence.kind == EvidenceKind.LICENCE).exists()
    return db.session.scalar(select(func.count()).select_from(Employer).where(
        Employer.verification_status == VerificationStatus.PENDING, has_licence))


# -- the queues ------------------------------------------------------------------------------------

# Online signings the school sees: accepted invitations (an open or failed letter is the
# employer's and the student's business, not a review item).
AGREEMENT_STATES = ("college_review", "school_review", "effective", "review_rejected", "terminated",
                    "voided", "invalidated")
SIGNING_STATUS_FILTERS = {
    "waiting": "待我审核",
    "college_review": "等待学院审核",
    "school_review": "等待学校审核",
    "effective": "已生效",
    "review_rejected": "审核不通过",
    "terminated": "已解约",
    "voided": "已作废",
    "invalidated": "已失效",
    "all": "全部",
}
TERMINATION_STATUS_FILTERS = {
    "waiting": "待我审核",
    "awaiting_party": "待对方确认",
    "college_review": "等待学院审核",
    "school_review": "等待学校审核",
    "approved": "解约审核通过",
    "rejected": "解约审核不通过",
    "disagreed": "对方不同意",
    "all": "全部",
}
# 协议书状态 and 签约审核状态 as the manuals word them.
AGREEMENT_STATUS_LABELS = {"effective": "已生效", "terminated": "已解约", "voided": "已作废",
                           "invalidated": "已失效"}
SIGNING_REVIEW_LABELS = {
    "college_review": "等待学院审核", "school_review": "等待学校审核", "effective": "签约审核通过",
    "review_rejected": "签约审核不通过", "terminated": "签约审核通过", "voided": "已作废",
    "invalidated": "已失效",
}
TERMINATION_REVIEW_LABELS = {
    "awaiting_party": "等待对方确认", "college_review": "等待学院解约审核",
    "school_review": "等待学校解约审核", "approved": "解约审核通过", "rejected": "解约审核不通过",
    "disagreed": "对方不同意解约", "failed": "解约未通过", "forced": "学校强制解约",
}
REVIEW_STATES = ("college_review", "school_review")
PAGE_SIZE = 20


@dataclass(frozen=True)
class QueueFilter:
    status: str = "waiting"
    cohort: int | None = None
    college_id: int | None = None
    major_id: int | None = None
    q: str | None = None  # a student number (exact) or the start of a name
    date_from: date | None = None  # last action, China days, inclusive
    date_to: date | None = None
    overdue: bool = False  # only items past the service level


@dataclass
class QueueRow:
    id: int  # the invitation (signings) or the termination (terminations)
    invitation_id: int
    agreement_no: str | None
    agreement_status: str
    state: str
    student_no: str
    student_name: str
    college: str
    major: str
    employer: str
    last_action_at: datetime
    signing_review: str
    termination_review: str
    age: int | None  # working days waiting, for items in a review state
    overdue: bool
    reason: str | None = None  # terminations: why it was asked
    initiated_by: str | None = None


@dataclass
class QueuePage:
    rows: list[QueueRow]
    next_cursor: str | None
    sla_days: int
    colleges: dict[int, str] = field(default_factory=dict)  # names in scope: also the filters' options
    majors: dict[int, str] = field(default_factory=dict)


def encode_cursor(at: datetime, row_id: int) -> str:
    import base64

    return base64.urlsafe_b64encode(f"{at.isoformat()}|{row_id}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str | None) -> tuple[datetime, int] | None:
    import base64

    from app.domain.errors import InvalidInput

    if not cursor:
        return None
    try:
        at, row_id = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode().split("|")
        return datetime.fromisoformat(at), int(row_id)
    except (ValueError, UnicodeDecodeError):
        raise InvalidInput("BAD_CURSOR", "分页参数无效", {"cursor": "分页参数无效"}) from None


def _states(actor: Actor, status: str, allowed: dict[str, str], every: tuple[str, ...]) -> tuple[str, ...]:
    from app.domain.errors import InvalidInput

    if status not in allowed:
        raise InvalidInput("BAD_STATUS", "状态筛选条件无效", {"status": "状态筛选条件无效"})
    if status == "waiting":
        return (MY_REVIEW_STATE[actor.role],)
    return every if status == "all" else (status,)


def _student_ids(actor: Actor, f: QueueFilter):
    """The students a major or name/number filter leaves, as a subquery (None: no such filter)."""
    from app.models import Student

    conditions = []
    if f.major_id:
        conditions.append(Student.major_id == f.major_id)
    if f.q:
        text = f.q.strip()
        if text.isascii() and text.isalnum():  # a student number (names are rarely plain ASCII)
            conditions.append(Student.student_no == text)
        else:
            conditions.append(Student.name.startswith(text, autoescape=True) | (Student.student_no == text))
    if not conditions:
        return None
    return select(Student.id).where(Student.school_id == actor.school_id, *conditions)


def id_query(actor: Actor, f: QueueFilter, limit: int, kind: str):
    """The filtered rows of one queue as (id, updated_at) from the queue's own table: the page is
    chosen on an index of that table alone, then its few rows are joined (``_rows``)."""
    if kind == "signings":
        model = Invitation
        states = _states(actor, f.status, SIGNING_STATUS_FILTERS, AGREEMENT_STATES)
    else:
        model = Termination
        states = _states(actor, f.status, TERMINATION_STATUS_FILTERS, tuple(TERMINATION_STATUS_FILTERS)[1:-1])
    query = select(model.id, model.updated_at).where(
        in_scope(actor, model), model.state == states[0] if len(states) == 1 else model.state.in_(states))
    if f.cohort:
        if model is Invitation:
            query = query.where(Invitation.cohort == f.cohort)
        else:
            query = query.where(Termination.invitation_id.in_(select(Invitation.id).where(
                Invitation.school_id == actor.school_id, Invitation.cohort == f.cohort)))
    if f.college_id:
        query = query.where(model.college_id == f.college_id)
    students = _student_ids(actor, f)
    if students is not None:
        query = query.where(model.student_id.in_(students))
    if f.date_from:
        query = query.where(model.updated_at >= china_midnight_utc(f.date_from))
    if f.date_to:
        from datetime import timedelta

        query = query.where(model.updated_at < china_midnight_utc(f.date_to + timedelta(days=1)))
    if f.overdue:
        query = query.where(model.state.in_(REVIEW_STATES), model.updated_at < overdue_cutoff(limit))
    return query


def _keyset(query, model, cursor: str | None):
    after = decode_cursor(cursor)
    if after is not None:
        at, row_id = after
        # "updated_at <= at" first: a range the index can start from (an OR alone is not).
        query = query.where(model.updated_at <= at, (model.updated_at < at) | (model.id < row_id))
    return query.order_by(model.updated_at.desc(), model.id.desc())


def org_names(actor: Actor) -> tuple[dict[int, str], dict[int, str]]:
    """College and major names of the actor's school (two small queries; also the filters' options)."""
    from app.models import College, Major

    require_reviewer(actor)
    colleges = dict(db.session.execute(select(College.id, College.name).where(
        College.school_id == actor.school_id).order_by(College.code)).all())
    major_query = select(Major.id, Major.name).join(College, College.id == Major.college_id).where(
        College.school_id == actor.school_id).order_by(Major.code)
    if actor.role == COLLEGE:
        major_query = major_query.where(Major.college_id == actor.college_id)
    return colleges, dict(db.session.execute(major_query).all())


def _queue_index(actor: Actor, f: QueueFilter) -> str:
    """The index that walks a signing queue in page order. MariaDB, left to itself, reads every
    row of the states asked for and sorts them; walking (scope, [state,] updated_at) backwards
    stops after one page however deep the cursor (measured: 500k rows, README)."""
    single = f.status != "all"
    if actor.role == COLLEGE:
        return "ix_invitations_college_queue" if single else "ix_invitations_college_recent"
    return "ix_invitations_school_state_recent" if single else "ix_invitations_school_recent"


def _rows(kind: str, ids: list[int]) -> list:
    """The columns a page shows, for the ids a page selected (one joined query, no ORM objects)."""
    from app.models import Student

    if not ids:
        return []
    if kind == "signings":
        query = (select(Invitation.id, Invitation.agreement_no, Invitation.state, Invitation.updated_at,
                        Invitation.termination_status, Student.student_no, Student.name, Student.college_id,
                        Student.major_id, Employer.name.label("employer_name"),
                        Termination.state.label("termination_state"))
                 .join(Student, Student.id == Invitation.student_id)
                 .join(Employer, Employer.id == Invitation.employer_id)
                 .outerjoin(Termination, Termination.in_flight_invitation_id == Invitation.id)
                 .where(Invitation.id.in_(ids)))
    else:
        query = (select(Termination.id, Termination.invitation_id, Termination.state, Termination.updated_at,
                        Termination.reason, Termination.initiated_by, Invitation.agreement_no,
                        Invitation.state.label("agreement_state"), Student.student_no, Student.name,
                        Student.college_id, Student.major_id, Employer.name.label("employer_name"))
                 .join(Invitation, Invitation.id == Termination.invitation_id)
                 .join(Student, Student.id == Termination.student_id)
                 .join(Employer, Employer.id == Termination.employer_id)
                 .where(Termination.id.in_(ids)))
    by_id = {r.id: r for r in db.session.execute(query)}
    return [by_id[i] for i in ids if i in by_id]


def _state_value(value) -> str:
    return getattr(value, "value", value)


def signing_row(r, colleges: dict[int, str], majors: dict[int, str], cutoff: datetime,
                now: datetime) -> QueueRow:
    state = _state_value(r.state)
    in_review = state in REVIEW_STATES
    if r.termination_state is not None:
        termination = TERMINATION_REVIEW_LABELS[_state_value(r.termination_state)]
    else:
        termination = TERMINATION_REVIEW_LABELS.get(r.termination_status or "", "")
    return QueueRow(
        id=r.id, invitation_id=r.id, agreement_no=r.agreement_no,
        agreement_status=AGREEMENT_STATUS_LABELS.get(state, "未生效"), state=state,
        student_no=r.student_no, student_name=r.name, college=colleges.get(r.college_id, ""),
        major=majors.get(r.major_id, ""), employer=r.employer_name, last_action_at=r.updated_at,
        signing_review=SIGNING_REVIEW_LABELS[state], termination_review=termination,
        age=age_of(r.updated_at, now) if in_review else None,
        overdue=in_review and r.updated_at < cutoff)


def termination_row(r, colleges: dict[int, str], majors: dict[int, str], cutoff: datetime,
                    now: datetime) -> QueueRow:
    state = _state_value(r.state)
    in_review = state in REVIEW_STATES
    agreement_state = _state_value(r.agreement_state)
    return QueueRow(
        id=r.id, invitation_id=r.invitation_id, agreement_no=r.agreement_no,
        agreement_status=AGREEMENT_STATUS_LABELS.get(agreement_state, "未生效"), state=state,
        student_no=r.student_no, student_name=r.name, college=colleges.get(r.college_id, ""),
        major=majors.get(r.major_id, ""), employer=r.employer_name, last_action_at=r.updated_at,
        signing_review=SIGNING_REVIEW_LABELS.get(agreement_state, ""),
        termination_review=TERMINATION_REVIEW_LABELS[state],
        age=age_of(r.updated_at, now) if in_review else None,
        overdue=in_review and r.updated_at < cutoff, reason=r.reason,
        initiated_by="学生" if _state_value(r.initiated_by) == "student" else "用人单位")


def _page(actor: Actor, f: QueueFilter, cursor: str | None, size: int, kind: str) -> QueuePage:
    require_reviewer(actor)
    now = utcnow()
    limit = sla_days(actor)
    cutoff = overdue_cutoff(limit, now)
    model, convert = (Invitation, signing_row) if kind == "signings" else (Termination, termination_row)
    query = _keyset(id_query(actor, f, limit, kind), model, cursor).limit(size + 1)
    if kind == "signings" and _student_ids(actor, f) is None:
        query = query.with_hint(Invitation, f"FORCE INDEX ({_queue_index(actor, f)})", "mysql")
    keys = db.session.execute(query).all()
    more = len(keys) > size
    keys = keys[:size]
    rows = _rows(kind, [k.id for k in keys])
    colleges, majors = org_names(actor)
    next_cursor = encode_cursor(keys[-1].updated_at, keys[-1].id) if more else None
    return QueuePage([convert(r, colleges, majors, cutoff, now) for r in rows], next_cursor, limit,
                     colleges, majors)


def signings_page(actor: Actor, f: QueueFilter, cursor: str | None = None,
                  size: int = PAGE_SIZE) -> QueuePage:
    """One keyset page of the 网上签约 queue, newest last action first."""
    return _page(actor, f, cursor, size, "signings")


def terminations_page(actor: Actor, f: QueueFilter, cursor: str | None = None,
                      size: int = PAGE_SIZE) -> QueuePage:
    """One keyset page of the 解约 queue."""
    return _page(actor, f, cursor, size, "terminations")


def count(actor: Actor, f: QueueFilter, kind: str) -> int:
    """How many rows a filter selects (decides between a direct download and a long job)."""
    return db.session.scalar(select(func.count()).select_from(
        id_query(actor, f, sla_days(actor), kind).subquery()))


def tab_counts(actor: Actor) -> dict[str, int]:
    """What waits for me in each tab (the numbers on the tabs)."""
    from app.services import review_destinations

    state = MY_REVIEW_STATE[actor.role]
    counts = {name: db.session.scalar(select(func.count()).select_from(model).where(
        in_scope(actor, model), model.state == state))
        for name, model in (("signings", Invitation), ("terminations", Termination))}
    counts["destinations"] = review_destinations.waiting_count(actor)
    return counts


def all_rows(actor: Actor, f: QueueFilter, kind: str, batch: int = 1000):
    """Every row of a filtered list in keyset batches (exports): memory stays flat."""
    cursor = None
    while True:
        page = _page(actor, f, cursor, batch, kind)
        yield from page.rows
        if page.next_cursor is None:
            return
        cursor = page.next_cursor
        db.session.expunge_all()
