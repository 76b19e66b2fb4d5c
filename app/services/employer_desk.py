"""Small reads of the employer's desktop workbench (seed 004 §3, seed 002 §2.1.1): the previous
log-in's time and address, the recent notices, the cohorts to switch between, and the
签约发送列表 as Excel. Services of their own (favorites, employer_lists, signing_reads) do the rest."""
from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import datetime

from openpyxl import Workbook
from sqlalchemy import func, select, union, update

from app.clock import to_china, utcnow
from app.domain.actors import Actor
from app.extensions import db
from app.models import AccountEvent, Favorite, Invitation, Notification, RecipientType, Student
from app.pii import mask_id_number
from app.services import xlsx
from app.services.favorites import favorites_query
from app.services.search import EDUCATION_LABELS, is_searchable
from app.services.unit import transactional

SEND_LIST_HEADER = ["学校代码", "学校", "学院", "专业", "学历", "毕业年度", "姓名", "身份证号",
                    "可签约", "加入时间"]


@dataclass(frozen=True)
class LastLogin:
    at: datetime
    ip: str | None


def previous_login(account_id: int) -> LastLogin | None:
    """The log-in before this one (上次登录时间 / IP): the second newest web or API log-in."""
    rows = db.session.execute(select(AccountEvent.created_at, AccountEvent.ip).where(
        AccountEvent.account_id == account_id, AccountEvent.action == "web_login")
        .order_by(AccountEvent.id.desc()).limit(2)).all()
    return LastLogin(rows[1][0], rows[1][1]) if len(rows) > 1 else None


def recent_notices(actor: Actor, limit: int = 8) -> list[Notification]:
    """The employer's newest 签约/解约 notices (its inbox, shared by its users)."""
    return list(db.session.scalars(select(Notification).where(
        Notification.recipient_type == RecipientType.EMPLOYER,
        Notification.recipient_id == actor.employer_id).order_by(Notification.id.desc()).limit(limit)))


@transactional
def mark_notices_read(actor: Actor) -> int:
    """全部标为已读: the employer's unread notices (its users share one inbox)."""
    result = db.session.execute(update(Notification).where(
        Notification.recipient_type == RecipientType.EMPLOYER, Notification.recipient_id == actor.employer_id,
        Notification.read_at.is_(None)).values(read_at=utcnow()).execution_options(synchronize_session=False))
    return result.rowcount


def cohorts_of(actor: Actor) -> list[int]:
    """The cohorts to switch between: those of our agreements and favorites, and this year's."""
    years = union(select(Invitation.cohort).where(Invitation.employer_id == actor.employer_id),
                  select(Student.cohort).join(Favorite, Favorite.student_id == Student.id)
                  .where(Favorite.employer_id == actor.employer_id)).subquery()
    found = set(db.session.scalars(select(func.distinct(years.c[0]))))
    found.add(to_china(utcnow()).year)
    return sorted(found, reverse=True)


def send_list_xlsx(actor: Actor, cohort: int | None = None) -> bytes:
    """导出签约发送列表: the favorites (masked ID numbers), oldest first."""
    book = Workbook(write_only=True)
    sheet = book.create_sheet("签约发送列表")
    sheet.append(xlsx.row(sheet, SEND_LIST_HEADER, bold=True))
    for favorite in db.session.scalars(favorites_query(actor, cohort).order_by(Favorite.id)):
        s = favorite.student
        sheet.append(xlsx.row(sheet, [
            s.school.code, s.school.name, s.college.name, s.major.name,
            EDUCATION_LABELS[s.education_level.value], s.cohort, s.name, mask_id_number(s.id_number),
            "是" if is_searchable(s) else "否", f"{to_china(favorite.created_at):%Y-%m-%d %H:%M}"]))
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
