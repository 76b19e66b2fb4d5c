"""Schools, colleges, majors and students (SPEC §2)."""
from __future__ import annotations

import enum
from typing import Optional

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, UniqueConstraint, true
from sqlalchemy.orm import Mapped, mapped_column, relationship, validates

from app.domain.identity import normalize_id_number, normalize_phone
from app.extensions import db
from app.models.base import MYSQL_TABLE_ARGS, TimestampMixin, str_enum
from app.pii import EncryptedString, lookup_hash


class ReviewLevels(str, enum.Enum):
    COLLEGE_SCHOOL = "college_school"  # 学院审核 then 学校审核
    SCHOOL = "school"  # 学校审核 only


class School(TimestampMixin, db.Model):
    __tablename__ = "schools"
    __table_args__ = (
        CheckConstraint("default_feedback_days BETWEEN 1 AND 60", name="feedback_days_range"),
        CheckConstraint("termination_limit >= 0", name="termination_limit_nonneg"),
        CheckConstraint("review_sla_days >= 1", name="review_sla_positive"),
        MYSQL_TABLE_ARGS,
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(5), unique=True)  # 学校代码, 5 digits
    name: Mapped[str] = mapped_column(String(100))
    region_code: Mapped[Optional[str]] = mapped_column(String(6))
    review_levels: Mapped[ReviewLevels] = mapped_column(
        str_enum(ReviewLevels, "review_levels"), default=ReviewLevels.COLLEGE_SCHOOL)
    default_feedback_days: Mapped[int] = mapped_column(default=5)
    termination_limit: Mapped[int] = mapped_column(default=1)  # completed terminations; 0 = unlimited
    review_sla_days: Mapped[int] = mapped_column(default=3)  # working days before reminders
    liquidated_damages_cap: Mapped[Optional[int]] = mapped_column()  # 元; flagged above it
    # Whether a forced termination 强制解约 uses up the student's termination limit.
    forced_terminations_count: Mapped[bool] = mapped_column(default=True, server_default=true())

    colleges: Mapped[list["College"]] = relationship(back_populates="school",
                                                     order_by="College.code")


class College(TimestampMixin, db.Model):
    __tablename__ = "colleges"
    __table_args__ = (UniqueConstraint("school_id", "code"), UniqueConstraint("school_id", "name"),
                      MYSQL_TABLE_ARGS)

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id"))
    code: Mapped[str] = mapped_column(String(20))
    name: Mapped[str] = mapped_column(String(100))

    school: Mapped[School] = relationship(back_populates="colleges")
    majors: Mapped[list["Major"]] = relationship(back_populates="college", order_by="Major.code")


class Major(TimestampMixin, db.Model):
    __tablename__ = "majors"
    __table_args__ = (UniqueConstraint("college_id", "code"), UniqueConstraint("college_id", "name"),
                      MYSQL_TABLE_ARGS)

    id: Mapped[int] = mapped_column(primary_key=True)
    college_id: Mapped[int] = mapped_column(ForeignKey("colleges.id"))
    code: Mapped[str] = mapped_column(String(20))  # national major code, e.g. 080901
    name: Mapped[str] = mapped_column(String(100))

    college: Mapped[College] = relationship(back_populates="majors")


class Gender(str, enum.Enum):
    MALE = "male"
    FEMALE = "female"


class TrainingMode(str, enum.Enum):
    NON_DIRECTED = "non_directed"  # 非定向
    DIRECTED = "directed"  # 定向: cannot sign online
    COMMISSIONED = "commissioned"  # 委培


class SourceStatus(str, enum.Enum):
    """生源信息状态: only approved students are searchable and may sign."""
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"


class RecordStatus(str, enum.Enum):
    ACTIVE = "active"
    INVALID = "invalid"  # 学籍失效: the student's agreements are invalidated


class EducationLevel(str, enum.Enum):
    ZHUANKE = "zhuanke"
    BENKE = "benke"
    SHUOSHI = "shuoshi"
    BOSHI = "boshi"


class Student(TimestampMixin, db.Model):
    __tablename__ = "students"
    __table_args__ = (
        UniqueConstraint("school_id", "student_no"),
        # One person appears once per school and cohort (a master's student may reappear later).
        UniqueConstraint("school_id", "cohort", "id_number_hash"),
        CheckConstraint("cohort BETWEEN 2000 AND 2100", name="cohort_range"),
        Index("ix_students_search", "school_id", "cohort", "name"),
        Index("ix_students_school_name", "school_id", "name"),  # reviewers' name search, any cohort
        MYSQL_TABLE_ARGS,
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id"))
    college_id: Mapped[int] = mapped_column(ForeignKey("colleges.id"), index=True)
    major_id: Mapped[int] = mapped_column(ForeignKey("majors.id"), index=True)
    class_name: Mapped[Optional[str]] = mapped_column(String(50))
    cohort: Mapped[int] = mapped_column()  # 毕业年度
    education_level: Mapped[EducationLevel] = mapped_column(
        str_enum(EducationLevel, "education_level"))
    student_no: Mapped[str] = mapped_column(String(30))
    name: Mapped[str] = mapped_column(String(50))
    gender: Mapped[Gender] = mapped_column(str_enum(Gender, "gender"))
    id_number: Mapped[str] = mapped_column("id_number_enc", EncryptedString())
    id_number_hash: Mapped[str] = mapped_column(String(64), index=True)
    phone: Mapped[Optional[str]] = mapped_column("phone_enc", EncryptedString())
    phone_hash: Mapped[Optional[str]] = mapped_column(String(64), index=True)
    email: Mapped[Optional[str]] = mapped_column(String(120))
    address: Mapped[Optional[str]] = mapped_column(String(200))
    training_mode: Mapped[TrainingMode] = mapped_column(
        str_enum(TrainingMode, "training_mode"), default=TrainingMode.NON_DIRECTED)
    source_status: Mapped[SourceStatus] = mapped_column(
        str_enum(SourceStatus, "source_status"), default=SourceStatus.PENDING)
    signing_open: Mapped[bool] = mapped_column(default=True)
    signing_closed_reason: Mapped[Optional[str]] = mapped_column(String(200))  # shown to the student
    record_status: Mapped[RecordStatus] = mapped_column(
        str_enum(RecordStatus, "record_status"), default=RecordStatus.ACTIVE)

    school: Mapped[School] = relationship()
    college: Mapped[College] = relationship()
    major: Mapped[Major] = relationship()

    @validates("id_number")
    def _hash_id_number(self, _key: str, value: str) -> str:
        value = normalize_id_number(value)
        self.id_number_hash = lookup_hash(value)
        return value

    @validates("phone")
    def _hash_phone(self, _key: str, value: str | None) -> str | None:
        value = normalize_phone(value) if value else None
        self.phone_hash = lookup_hash(value) if value else None
        return value
