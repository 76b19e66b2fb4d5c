"""解约: a termination of an effective online agreement, asked by one party (SPEC §5)."""
from __future__ import annotations

import enum
from datetime import datetime
from typing import Optional

from sqlalchemy import CheckConstraint, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.domain import termination as rules
from app.extensions import db
from app.models.base import MYSQL_TABLE_ARGS, TimestampMixin, enum_of, sql_in, str_enum


class Party(str, enum.Enum):
    STUDENT = "student"
    EMPLOYER = "employer"


# awaiting_party 待对方确认 · disagreed 解约失败（对方不同意）· college_review/school_review ·
# approved 已解约 · rejected 解约失败（审核不通过，or overtaken by a forced termination）
TerminationState = enum_of("TerminationState", rules.STATES)
_IN_FLIGHT = sql_in(rules.IN_FLIGHT)


class Termination(TimestampMixin, db.Model):
    __tablename__ = "terminations"
    __table_args__ = (
        # in_flight_invitation_id is the agreement's id while this termination is in flight and
        # NULL after; UNIQUE makes "one termination in flight per agreement" a database rule.
        UniqueConstraint("in_flight_invitation_id"),
        CheckConstraint(f"(state IN ({_IN_FLIGHT})) = (in_flight_invitation_id IS NOT NULL)",
                        name="in_flight_state"),
        CheckConstraint(f"state NOT IN ({sql_in(rules.FAILED)}) OR remark IS NOT NULL",
                        name="failure_has_remark"),
        CheckConstraint(f"(state IN ({sql_in(rules.FINAL)})) = (closed_at IS NOT NULL)", name="closed_state"),
        Index("ix_terminations_school_queue", "school_id", "state", "updated_at"),
        Index("ix_terminations_college_queue", "college_id", "state", "updated_at"),
        Index("ix_terminations_student", "student_id", "state"),
        MYSQL_TABLE_ARGS,
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    invitation_id: Mapped[int] = mapped_column(ForeignKey("invitations.id"), index=True)
    in_flight_invitation_id: Mapped[Optional[int]] = mapped_column(ForeignKey("invitations.id"))
    # Copied from the agreement for the review queues and the per-student limit.
    student_id: Mapped[int] = mapped_column(ForeignKey("students.id"))
    employer_id: Mapped[int] = mapped_column(ForeignKey("employers.id"), index=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id"))
    college_id: Mapped[int] = mapped_column(ForeignKey("colleges.id"))
    initiated_by: Mapped[Party] = mapped_column(str_enum(Party, "party"))
    requested_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("accounts.id"))
    reason: Mapped[str] = mapped_column(String(200))
    state: Mapped[TerminationState] = mapped_column(
        str_enum(TerminationState, "termination_state"), default=TerminationState.AWAITING_PARTY)
    answered_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("accounts.id"))
    answered_at: Mapped[Optional[datetime]] = mapped_column()
    remark: Mapped[Optional[str]] = mapped_column(String(500))  # why it failed
    closed_at: Mapped[Optional[datetime]] = mapped_column()
    version: Mapped[int] = mapped_column(Integer, nullable=False, default=1)

    __mapper_args__ = {"version_id_col": version}

    invitation = relationship("Invitation", foreign_keys=[invitation_id])


class InterventionEvidence(db.Model):
    """Evidence attached by the school to an intervention (e.g. a forced termination)."""
    __tablename__ = "intervention_evidence"
    __table_args__ = (MYSQL_TABLE_ARGS,)

    id: Mapped[int] = mapped_column(primary_key=True)
    invitation_id: Mapped[int] = mapped_column(ForeignKey("invitations.id"), index=True)
    action: Mapped[str] = mapped_column(String(40))
    storage_key: Mapped[str] = mapped_column(String(80), unique=True)
    content_type: Mapped[str] = mapped_column(String(50))
    size: Mapped[int] = mapped_column()
    sha256: Mapped[str] = mapped_column(String(64))
    uploaded_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("accounts.id"))
    created_at: Mapped[datetime] = mapped_column()
