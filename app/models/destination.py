"""其他去向: a student's registration of a destination other than an agreement (SPEC §7)."""
from __future__ import annotations

import enum
from datetime import datetime
from typing import Any, Optional

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.domain import destinations as rules
from app.extensions import db
from app.models.base import MYSQL_TABLE_ARGS, TimestampMixin, enum_of, sql_in, str_enum

# draft 暂存 · college_review/school_review 审核中 · approved 审核通过 · rejected 审核不通过 ·
# cancel_college_review/cancel_school_review 注销审核中 · cancelled 已注销
DestinationState = enum_of("DestinationState", rules.STATES)

_CANCELLING = sql_in(rules.CANCEL_REVIEW_STATES | rules.FINAL)


class OtherDestination(TimestampMixin, db.Model):
    __tablename__ = "other_destinations"
    __table_args__ = (
        # open_student_id is the student's id until the registration is cancelled: one open
        # registration per student, which the student edits, sends, withdraws and sends again.
        CheckConstraint(f"(state = '{rules.CANCELLED}') = (open_student_id IS NULL)", name="open_state"),
        CheckConstraint(f"state <> '{rules.APPROVED}' OR approved_at IS NOT NULL", name="approved_at_set"),
        CheckConstraint(f"state NOT IN ({_CANCELLING}) OR cancel_reason IS NOT NULL", name="cancel_has_reason"),
        CheckConstraint(f"state <> '{rules.REJECTED}' OR last_remark IS NOT NULL", name="rejection_has_reason"),
        Index("ix_other_destinations_school_queue", "school_id", "state", "updated_at"),
        Index("ix_other_destinations_college_queue", "college_id", "state", "updated_at"),
        Index("ix_other_destinations_school_recent", "school_id", "updated_at", "id"),
        Index("ix_other_destinations_college_recent", "college_id", "updated_at", "id"),
        MYSQL_TABLE_ARGS,
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    student_id: Mapped[int] = mapped_column(ForeignKey("students.id"), index=True)
    open_student_id: Mapped[Optional[int]] = mapped_column(ForeignKey("students.id"), unique=True)
    # Copied from the student so review queues filter without joins.
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id"))
    college_id: Mapped[int] = mapped_column(ForeignKey("colleges.id"))
    cohort: Mapped[int] = mapped_column()
    state: Mapped[DestinationState] = mapped_column(
        str_enum(DestinationState, "destination_state"), default=DestinationState.DRAFT)
    category_code: Mapped[str] = mapped_column(String(20))  # destination_category, top level
    subcategory_code: Mapped[Optional[str]] = mapped_column(String(20))
    # {"fields": {...}, "dispatch": {...} | null, "archive": {...}} (app/domain/destinations.py)
    data: Mapped[dict[str, Any]] = mapped_column(JSON)
    unit_name: Mapped[str] = mapped_column(String(100))  # 单位（学校、国家、项目）名称, for the lists
    submitted_at: Mapped[Optional[datetime]] = mapped_column()
    approved_at: Mapped[Optional[datetime]] = mapped_column()
    cancelled_at: Mapped[Optional[datetime]] = mapped_column()
    last_remark: Mapped[Optional[str]] = mapped_column(String(500))  # the last rejection's reason
    cancel_reason: Mapped[Optional[str]] = mapped_column(String(200))
    version: Mapped[int] = mapped_column(Integer, nullable=False, default=1)

    __mapper_args__ = {"version_id_col": version}

    student = relationship("Student", foreign_keys=[student_id])
    files: Mapped[list["DestinationFile"]] = relationship(
        back_populates="destination", order_by="DestinationFile.id")


class FilePurpose(str, enum.Enum):
    EVIDENCE = "evidence"  # 就业证明材料
    CANCELLATION = "cancellation"  # 注销的证明材料


class DestinationFile(db.Model):
    """An uploaded image of a registration (stored by app/services/uploads.py)."""
    __tablename__ = "other_destination_files"
    __table_args__ = (MYSQL_TABLE_ARGS,)

    id: Mapped[int] = mapped_column(primary_key=True)
    destination_id: Mapped[int] = mapped_column(ForeignKey("other_destinations.id"), index=True)
    purpose: Mapped[FilePurpose] = mapped_column(str_enum(FilePurpose, "destination_file_purpose"))
    storage_key: Mapped[str] = mapped_column(String(80), unique=True)
    content_type: Mapped[str] = mapped_column(String(50))
    size: Mapped[int] = mapped_column()
    sha256: Mapped[str] = mapped_column(String(64))
    width: Mapped[int] = mapped_column()
    height: Mapped[int] = mapped_column()
    uploaded_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("accounts.id"))
    created_at: Mapped[datetime] = mapped_column()

    destination: Mapped[OtherDestination] = relationship(back_populates="files")
