"""School administration: minimum wages, student corrections, 网签开放设置 scopes and their log,
and the service-level reminders already sent."""
from __future__ import annotations

from datetime import datetime
from typing import Optional

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.clock import utcnow
from app.domain.school_admin import MONTHLY_WAGE, PII_FIELDS
from app.extensions import db
from app.models.base import MYSQL_TABLE_ARGS, TimestampMixin
from app.pii import EncryptedString

_PII_SQL = ", ".join(f"'{f}'" for f in PII_FIELDS)


class MinimumWage(TimestampMixin, db.Model):
    """最低月工资标准 a school applies per region (the employer's pre-send check reads it)."""
    __tablename__ = "minimum_wages"
    __table_args__ = (
        UniqueConstraint("school_id", "region_code"),
        CheckConstraint(f"monthly_wage BETWEEN {MONTHLY_WAGE[0]} AND {MONTHLY_WAGE[1]}",
                        name="monthly_wage_range"),
        MYSQL_TABLE_ARGS,
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id"))
    region_code: Mapped[str] = mapped_column(String(6))
    monthly_wage: Mapped[int] = mapped_column()  # 元/月
    updated_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("accounts.id"))


class StudentChange(db.Model):
    """One corrected field of a student record: who, when, what, why. ID numbers and phones are
    kept only encrypted (the *_secret columns), never in the plain-text columns."""
    __tablename__ = "student_changes"
    __table_args__ = (
        Index("ix_student_changes_student", "student_id", "id"),
        CheckConstraint(f"field NOT IN ({_PII_SQL}) OR (old_text IS NULL AND new_text IS NULL)",
                        name="pii_not_plain"),
        CheckConstraint(f"field IN ({_PII_SQL}) OR (old_secret IS NULL AND new_secret IS NULL)",
                        name="secret_only_pii"),
        MYSQL_TABLE_ARGS,
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    student_id: Mapped[int] = mapped_column(ForeignKey("students.id"))
    field: Mapped[str] = mapped_column(String(30))
    old_text: Mapped[Optional[str]] = mapped_column(String(200))
    new_text: Mapped[Optional[str]] = mapped_column(String(200))
    old_secret: Mapped[Optional[str]] = mapped_column(EncryptedString())
    new_secret: Mapped[Optional[str]] = mapped_column(EncryptedString())
    reason: Mapped[Optional[str]] = mapped_column(String(200))
    changed_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("accounts.id"))
    changed_by_name: Mapped[str] = mapped_column(String(100))
    changed_at: Mapped[datetime] = mapped_column(default=utcnow)


class SigningScope(db.Model):
    """网签开放设置 of a cohort (college_id NULL) or of one college in a cohort: the setting last
    applied to its students, which newly imported students follow."""
    __tablename__ = "signing_scopes"
    __table_args__ = (
        UniqueConstraint("scope_key"),
        CheckConstraint("signing_open = 1 OR closed_reason IS NOT NULL", name="closed_has_reason"),
        CheckConstraint("cohort BETWEEN 2000 AND 2100", name="cohort_range"),
        MYSQL_TABLE_ARGS,
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    scope_key: Mapped[str] = mapped_column(String(40))  # domain.school_admin.scope_key
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id"))
    cohort: Mapped[int] = mapped_column()
    college_id: Mapped[Optional[int]] = mapped_column(ForeignKey("colleges.id"))
    signing_open: Mapped[bool] = mapped_column()
    closed_reason: Mapped[Optional[str]] = mapped_column(String(200))
    updated_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("accounts.id"))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class ScopeChange(db.Model):
    """The record of one bulk change (signing open/closed, or 生源 status) applied to a scope."""
    __tablename__ = "scope_changes"
    __table_args__ = (Index("ix_scope_changes_school", "school_id", "id"), MYSQL_TABLE_ARGS)

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id"))
    cohort: Mapped[int] = mapped_column()
    college_id: Mapped[Optional[int]] = mapped_column(ForeignKey("colleges.id"))
    field: Mapped[str] = mapped_column(String(30))  # signing_open / source_status
    value: Mapped[str] = mapped_column(String(20))
    reason: Mapped[Optional[str]] = mapped_column(String(200))
    affected: Mapped[int] = mapped_column()  # students whose row changed
    changed_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("accounts.id"))
    changed_by_name: Mapped[str] = mapped_column(String(100))
    changed_at: Mapped[datetime] = mapped_column(default=utcnow)


class ReviewReminder(db.Model):
    """A service-level push already made: one per review item, review stage, stay in that stage
    (entered_at) and level (reviewer, then school), so nothing is pushed twice."""
    __tablename__ = "review_reminders"
    __table_args__ = (
        UniqueConstraint("subject_type", "subject_id", "stage", "entered_at", "level",
                         name="uq_review_reminders_item_level"),
        CheckConstraint("level IN ('reviewer', 'school')", name="level_known"),
        MYSQL_TABLE_ARGS,
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    subject_type: Mapped[str] = mapped_column(String(30))  # invitation / termination
    subject_id: Mapped[int] = mapped_column()
    stage: Mapped[str] = mapped_column(String(32))  # college_review / school_review
    entered_at: Mapped[datetime] = mapped_column()
    level: Mapped[str] = mapped_column(String(16))
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id"))
    recipients: Mapped[int] = mapped_column()
    sent_at: Mapped[datetime] = mapped_column(default=utcnow)
