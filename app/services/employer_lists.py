"""The employer's 签约/解约 lists, workbench counts and Excel export (seeds 001, 002, 004)."""
from __future__ import annotations

import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone

from openpyxl import Workbook
from sqlalchemy import Select, select

from app.clock import CHINA, to_china, utcnow
from app.domain import workbench
from app.domain.signing import is_overdue
from app.domain.actors import Actor
from app.domain.identity import normalize_id_number
from app.extensions import db
from app.models import (College, Invitation, InvitationRevision, Major, School, Student)
from app.pii import lookup_hash, mask_id_number
from app.services import xlsx
from app.services.search import spend_lookups

EXPORT_BATCH = 1000


@dataclass(frozen=True)
class EmployerFilter:
    group: str | None = None
    cohort: int | None = None
    school_code: str | None = None
    name: str | None = None
    id_number: str | None = None
    major: str | None = None
    date_from: date | None = None
    date_to: date | None = None


def _china_day_start(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=CHINA).astimezone(timezone.utc).replace(tzinfo=None)


def filtered(actor: Actor, f: EmployerFilter, now: datetime | None = None) -> Select:
    """Our agreements under every filter of API.md; the date range is the invitation day in China.

    The ``id_number`` filter is a lookup by ID number: it spends from the employer's lookup
    budget like a search (else bisecting the masked birth date through it unmasks the number)."""
    if f.id_number:
        spend_lookups(actor.employer_id)
    return _query(actor, f, now)


# Newest first, a page at a time: MySQL/MariaDB would walk the primary key backwards hoping to
# meet the employer's rows soon, which for a large employer's older letters reads most of the
# table (328 ms for 15k letters among 500k, 17 ms on the (employer, id) index). Other
# databases ignore the hint.
NOT_BY_PRIMARY_ORDER = "IGNORE INDEX FOR ORDER BY (PRIMARY)"


def _query(actor: Actor, f: EmployerFilter, now: datetime | None = None) -> Select:
    query = (select(Invitation).where(Invitation.employer_id == actor.employer_id)
             .with_hint(Invitation, NOT_BY_PRIMARY_ORDER, "mysql"))
    needs_student = f.name or f.id_number or f.major
    if needs_student:
        query = query.join(Student, Student.id == Invitation.student_id)
    if f.group:
        query = query.where(workbench.group_condition(f.group, Invitation, now or utcnow()))
    if f.cohort:
        query = query.where(Invitation.cohort == f.cohort)
    if f.school_code:
        query = query.where(Invitation.school_id == select(School.id).where(
            School.code == f.school_code).scalar_subquery())
    if f.name:
        query = query.where(Student.name == f.name.strip())
    if f.id_number:
        query = query.where(Student.id_number_hash == lookup_hash(normalize_id_number(f.id_number)))
    if f.major:
        query = query.where(Student.major_id.in_(select(Major.id).where(Major.name == f.major.strip())))
    if f.date_from:
        query = query.where(Invitation.created_at >= _china_day_start(f.date_from))
    if f.date_to:
        query = query.where(Invitation.created_at < _china_day_start(f.date_to + timedelta(days=1)))
    return query


EXPORT_HEADER = ["协议书编号", "状态", "学校", "学院", "专业", "毕业年度", "学号", "姓名", "身份证号",
                 "拟聘用职位", "邀约日期", "反馈截止", "生效日期"]


def export_rows(actor: Actor, f: EmployerFilter) -> Iterator[list]:
    """Rows in batches by id: memory stays flat however long the list."""
    now = utcnow()
    schools = dict(db.session.execute(select(School.id, School.name)).all())
    colleges = dict(db.session.execute(select(College.id, College.name)).all())
    majors = dict(db.session.execute(select(Major.id, Major.name)).all())
    last_id = 0
    while True:
        batch = db.session.execute(
            _query(actor, f, now).where(Invitation.id > last_id).order_by(Invitation.id)
            .limit(EXPORT_BATCH)).scalars().all()
        if not batch:
            return
        students = {s.id: s for s in db.session.scalars(select(Student).where(
            Student.id.in_({i.student_id for i in batch})))}
        wanted = {(i.id, i.current_revision_no) for i in batch}
        positions = {r.invitation_id: r.terms.get("position", "") for r in db.session.scalars(
            select(InvitationRevision).where(InvitationRevision.invitation_id.in_([i.id for i in batch])))
            if (r.invitation_id, r.number) in wanted}
        for inv in batch:
            s = students[inv.student_id]
            group = workbench.group_of(inv.state.value, inv.termination_status,
                                       is_overdue(inv.state.value, inv.deadline_at, now))
            yield [inv.agreement_no or "", workbench.GROUPS[group], schools.get(inv.school_id, ""),
                   colleges.get(s.college_id, ""), majors.get(s.major_id, ""), inv.cohort, s.student_no,
                   s.name, mask_id_number(s.id_number), positions.get(inv.id, ""),
                   f"{to_china(inv.created_at):%Y-%m-%d}",
                   f"{to_china(inv.deadline_at) - timedelta(seconds=1):%Y-%m-%d}",
                   f"{to_china(inv.effective_at):%Y-%m-%d}" if inv.effective_at else ""]
        last_id = batch[-1].id
        db.session.expunge_all()


def write_export(actor: Actor, f: EmployerFilter) -> tempfile.SpooledTemporaryFile:
    """An xlsx built in openpyxl's write-only mode into a temporary file, ready to stream."""
    if f.id_number:
        spend_lookups(actor.employer_id)
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("签约名单")
    sheet.append(xlsx.row(sheet, EXPORT_HEADER, bold=True))
    for values in export_rows(actor, f):
        sheet.append(xlsx.row(sheet, values))  # stored text stays text, whatever it holds
    out = tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024)
    workbook.save(out)
    out.seek(0)
    return out
