"""线下签约: the paper agreement, its stamped scans and its terminations (SPEC §5–6)."""
from __future__ import annotations

from datetime import datetime
from typing import Any, Optional

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.clock import utcnow
from app.domain import paper as rules
from app.extensions import db
from app.models.base import MYSQL_TABLE_ARGS, TimestampMixin, enum_of, sql_in, str_enum

PaperState = enum_of("PaperState", rules.STATES)
PaperTerminationState = enum_of("PaperTerminationState", rules.TERMINATION_STATES)


class PaperAgreement(TimestampMixin, db.Model):
    __tablename__ = "paper_agreements"
    __table_args__ = (
        # open_student_id is the student's id while the agreement is a draft or active and NULL
        # after: UNIQUE makes "one paper agreement at a time per student" a database rule.
        UniqueConstraint("open_student_id"),
        CheckConstraint(f"(state IN ({sql_in(rules.OPEN_STATES)})) = (open_student_id IS NOT NULL)",
                        name="open_state"),
        CheckConstraint(f"agreement_no IS NULL OR state IN ({sql_in(rules.NUMBERED_STATES)})",
                        name="numbered_state"),
        CheckConstraint(f"state NOT IN ({sql_in(rules.NUMBERED_STATES)}) OR agreement_no IS NOT NULL",
                        name="number_given"),
        CheckConstraint(f"state <> '{rules.EFFECTIVE}' OR effective_at IS NOT NULL", name="effective_at"),
        CheckConstraint(f"state = '{rules.DRAFT}' OR state = '{rules.DISCARDED}' OR generated_at IS NOT NULL",
                        name="generated_at"),
        CheckConstraint(f"(state IN ({sql_in(rules.FINAL_STATES)})) = (closed_at IS NOT NULL)",
                        name="closed_state"),
        Index("ix_paper_agreements_school_queue", "school_id", "state", "updated_at"),
        Index("ix_paper_agreements_college_queue", "college_id", "state", "updated_at"),
        Index("ix_paper_agreements_school_recent", "school_id", "updated_at", "id"),
        Index("ix_paper_agreements_college_recent", "college_id", "updated_at", "id"),
        Index("ix_paper_agreements_student", "student_id", "created_at"),
        MYSQL_TABLE_ARGS,
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    student_id: Mapped[int] = mapped_column(ForeignKey("students.id"))
    # Copied from the student so review queues filter without joins.
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id"))
    college_id: Mapped[int] = mapped_column(ForeignKey("colleges.id"))
    cohort: Mapped[int] = mapped_column()
    state: Mapped[Any] = mapped_column(str_enum(PaperState, "paper_state"), default=PaperState.DRAFT)
    open_student_id: Mapped[Optional[int]] = mapped_column(ForeignKey("students.id"))
    # {"employer": PaperEmployer, "terms": InvitationTerms with "archive"} once generated; a
    # draft keeps whatever subset the student saved.
    content: Mapped[dict[str, Any]] = mapped_column(JSON)
    employer_name: Mapped[Optional[str]] = mapped_column(String(100))  # for the lists
    position: Mapped[Optional[str]] = mapped_column(String(50))
    generated_at: Mapped[Optional[datetime]] = mapped_column()
    numbered_at: Mapped[Optional[datetime]] = mapped_column()
    effective_at: Mapped[Optional[datetime]] = mapped_column()
    closed_at: Mapped[Optional[datetime]] = mapped_column()
    agreement_no: Mapped[Optional[str]] = mapped_column(String(20), unique=True)
    last_remark: Mapped[Optional[str]] = mapped_column(String(500))  # the last rejection's reason
    created_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("accounts.id"))
    version: Mapped[int] = mapped_column(Integer, nullable=False, default=1)

    __mapper_args__ = {"version_id_col": version}

    student = relationship("Student", foreign_keys=[student_id])


class PaperScan(db.Model):
    """A stamped scan 反馈签约材料 as uploaded (re-encoded, under a random key), with what its QR
    codes said. Scans are never replaced: each upload is a row, the latest is the one reviewed."""
    __tablename__ = "paper_scans"
    __table_args__ = (Index("ix_paper_scans_agreement", "paper_agreement_id", "id"), MYSQL_TABLE_ARGS)

    id: Mapped[int] = mapped_column(primary_key=True)
    paper_agreement_id: Mapped[int] = mapped_column(ForeignKey("paper_agreements.id"))
    storage_key: Mapped[str] = mapped_column(String(80), unique=True)
    content_type: Mapped[str] = mapped_column(String(50))
    size: Mapped[int] = mapped_column()
    sha256: Mapped[str] = mapped_column(String(64))
    width: Mapped[int] = mapped_column()
    height: Mapped[int] = mapped_column()
    match: Mapped[str] = mapped_column(String(10))  # app.services.scan_match.ScanMatch
    found_refs: Mapped[str] = mapped_column(String(200))  # the references the QR codes named
    uploaded_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("accounts.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class PaperTermination(TimestampMixin, db.Model):
    """解约 of an effective paper agreement, asked by the student with a stamped proof."""
    __tablename__ = "paper_terminations"
    __table_args__ = (
        UniqueConstraint("in_flight_agreement_id"),
        CheckConstraint(f"(state IN ({sql_in(rules.TERMINATION_IN_FLIGHT)})) = "
                        "(in_flight_agreement_id IS NOT NULL)", name="in_flight_state"),
        CheckConstraint(f"state <> '{rules.T_REJECTED}' OR remark IS NOT NULL", name="rejected_has_remark"),
        CheckConstraint(f"type IN ({sql_in(rules.TERMINATION_TYPES)})", name="type_known"),
        Index("ix_paper_terminations_school_queue", "school_id", "state", "updated_at"),
        Index("ix_paper_terminations_college_queue", "college_id", "state", "updated_at"),
        MYSQL_TABLE_ARGS,
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    paper_agreement_id: Mapped[int] = mapped_column(ForeignKey("paper_agreements.id"), index=True)
    in_flight_agreement_id: Mapped[Optional[int]] = mapped_column(ForeignKey("paper_agreements.id"))
    student_id: Mapped[int] = mapped_column(ForeignKey("students.id"))
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id"))
    college_id: Mapped[int] = mapped_column(ForeignKey("colleges.id"))
    type: Mapped[str] = mapped_column(String(20))  # 解约类型: rules.TERMINATION_TYPES
    reason: Mapped[str] = mapped_column(String(200))
    state: Mapped[Any] = mapped_column(str_enum(PaperTerminationState, "paper_termination_state"))
    proof_key: Mapped[str] = mapped_column(String(80), unique=True)
    proof_content_type: Mapped[str] = mapped_column(String(50))
    proof_size: Mapped[int] = mapped_column()
    proof_sha256: Mapped[str] = mapped_column(String(64))
    remark: Mapped[Optional[str]] = mapped_column(String(500))
    closed_at: Mapped[Optional[datetime]] = mapped_column()
    requested_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("accounts.id"))
    version: Mapped[int] = mapped_column(Integer, nullable=False, default=1)

    __mapper_args__ = {"version_id_col": version}

    agreement = relationship("PaperAgreement", foreign_keys=[paper_agreement_id])
