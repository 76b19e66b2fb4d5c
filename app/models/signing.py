"""Online signing: archive profile 户档信息, favorites, invitations and their revisions,
the one-destination lock and agreement-number counters (SPEC §3, §4)."""
from __future__ import annotations

import enum
from datetime import datetime
from typing import Any, Optional

from sqlalchemy import (JSON, CheckConstraint, ForeignKey, Index, Integer, String,
                        UniqueConstraint)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.clock import utcnow
from app.domain import signing as rules
from app.domain import termination as trules
from app.extensions import db
from app.models.base import MYSQL_TABLE_ARGS, TimestampMixin, enum_of, sql_in, str_enum


class ArchiveProfile(db.Model):
    """户档信息: one per employer, the defaults of every invitation's archive/hukou terms."""
    __tablename__ = "archive_profiles"
    __table_args__ = (MYSQL_TABLE_ARGS,)

    id: Mapped[int] = mapped_column(primary_key=True)
    employer_id: Mapped[int] = mapped_column(ForeignKey("employers.id"), unique=True)
    data: Mapped[dict[str, Any]] = mapped_column(JSON)  # validated by ArchiveTerms
    version: Mapped[int] = mapped_column(default=1)
    updated_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("accounts.id"))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class ArchiveProfileRevision(db.Model):
    """Every edit of a 户档信息, kept."""
    __tablename__ = "archive_profile_revisions"
    __table_args__ = (UniqueConstraint("profile_id", "version"), MYSQL_TABLE_ARGS)

    id: Mapped[int] = mapped_column(primary_key=True)
    profile_id: Mapped[int] = mapped_column(ForeignKey("archive_profiles.id"))
    version: Mapped[int] = mapped_column()
    data: Mapped[dict[str, Any]] = mapped_column(JSON)
    changed_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("accounts.id"))
    changed_at: Mapped[datetime] = mapped_column(default=utcnow)


class Favorite(db.Model):
    """收藏夹 / 签约发送列表: an employer's list of students to invite. Rows are added or removed."""
    __tablename__ = "favorites"
    __table_args__ = (UniqueConstraint("employer_id", "student_id"), MYSQL_TABLE_ARGS)

    id: Mapped[int] = mapped_column(primary_key=True)
    employer_id: Mapped[int] = mapped_column(ForeignKey("employers.id"))
    student_id: Mapped[int] = mapped_column(ForeignKey("students.id"))
    added_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("accounts.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    student = relationship("Student")


# invited 单位发起邀约 · rejected/expired/review_rejected 签约失败 · college_review/school_review
# 审核中 · effective 已签约 · voided 已作废 · invalidated 失效 · terminated 已解约
InvitationState = enum_of("InvitationState", rules.STATES)
# Where the agreement's latest termination stands (app/domain/termination.py).
TerminationStatus = enum_of("TerminationStatus", trules.AGREEMENT_STATUSES)

_CLOSED = sql_in(rules.CLOSED_STATES)
_ACTIVE = sql_in(rules.ACTIVE_STATES)
_NUMBERED = sql_in({rules.SCHOOL_REVIEW, rules.EFFECTIVE, rules.TERMINATED, rules.VOIDED, rules.INVALIDATED})
_TERMINATION_STATUS = (
    "termination_status IS NULL"
    f" OR (termination_status = '{trules.STATUS_IN_FLIGHT}' AND state = '{rules.EFFECTIVE}')"
    f" OR (termination_status = '{trules.STATUS_FAILED}' AND state IN ({sql_in(rules.CLOSED_STATES | {rules.EFFECTIVE})}))"
    f" OR (termination_status IN ('{trules.STATUS_APPROVED}', '{trules.STATUS_FORCED}')"
    f" AND state = '{rules.TERMINATED}')")


class Invitation(TimestampMixin, db.Model):
    """One employer-student signing: an invitation, and from acceptance on, the agreement."""
    __tablename__ = "invitations"
    __table_args__ = (
        # open_pair is "employer:student" while open and NULL once closed; UNIQUE then means
        # one open invitation per employer and student, enforced by the database.
        UniqueConstraint("open_pair"),
        CheckConstraint(f"(state IN ({_CLOSED})) = (open_pair IS NULL)", name="open_pair_state"),
        CheckConstraint(f"(state IN ({_CLOSED})) = (closed_at IS NOT NULL)", name="closed_state"),
        CheckConstraint(f"state <> '{rules.EFFECTIVE}' OR (agreement_no IS NOT NULL AND effective_at IS NOT NULL)",
                        name="effective_has_no"),
        CheckConstraint(f"agreement_no IS NULL OR state IN ({_NUMBERED})", name="numbered_state"),
        CheckConstraint(f"state NOT IN ({_ACTIVE}) OR accepted_revision_no IS NOT NULL",
                        name="accepted_has_revision"),
        CheckConstraint(_TERMINATION_STATUS, name="termination_status_state"),
        Index("ix_invitations_school_queue", "school_id", "state", "cohort", "updated_at"),
        Index("ix_invitations_college_queue", "college_id", "state", "updated_at"),
        # Reviewer queues, newest last action first, keyset on (updated_at, id): per state and
        # across states, for a school and for a college.
        Index("ix_invitations_school_state_recent", "school_id", "state", "updated_at"),
        Index("ix_invitations_school_recent", "school_id", "updated_at", "id", "state"),
        Index("ix_invitations_college_recent", "college_id", "updated_at", "id", "state"),
        Index("ix_invitations_employer_list", "employer_id", "state", "created_at"),
        Index("ix_invitations_student_list", "student_id", "created_at"),
        Index("ix_invitations_due", "state", "deadline_at"),
        Index("ix_invitations_employer_cohort", "employer_id", "cohort", "state", "termination_status"),
        Index("ix_invitations_workbench", "employer_id", "state", "deadline_at", "termination_status"),
        Index("ix_invitations_employer_recent", "employer_id", "id"),
        MYSQL_TABLE_ARGS,
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    employer_id: Mapped[int] = mapped_column(ForeignKey("employers.id"))
    student_id: Mapped[int] = mapped_column(ForeignKey("students.id"))
    # Copied from the student so review queues filter without joins.
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id"))
    college_id: Mapped[int] = mapped_column(ForeignKey("colleges.id"))
    cohort: Mapped[int] = mapped_column()
    invited_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("accounts.id"))
    state: Mapped[InvitationState] = mapped_column(
        str_enum(InvitationState, "invitation_state"), default=InvitationState.INVITED)
    open_pair: Mapped[Optional[str]] = mapped_column(String(40))
    current_revision_no: Mapped[int] = mapped_column(default=1)
    accepted_revision_no: Mapped[Optional[int]] = mapped_column()
    # A modification of an accepted agreement waits here for the student's answer.
    pending_revision_no: Mapped[Optional[int]] = mapped_column()
    deadline_at: Mapped[datetime] = mapped_column()  # naive UTC of 24:00 Asia/Shanghai
    reminder_sent_at: Mapped[Optional[datetime]] = mapped_column()
    accepted_at: Mapped[Optional[datetime]] = mapped_column()
    effective_at: Mapped[Optional[datetime]] = mapped_column()
    closed_at: Mapped[Optional[datetime]] = mapped_column()
    agreement_no: Mapped[Optional[str]] = mapped_column(String(20), unique=True)
    last_remark: Mapped[Optional[str]] = mapped_column(String(500))  # last rejection reason
    # Where the latest termination of this agreement stands: in_flight, failed, approved, forced,
    # or NULL when none was asked; kept by the executor so lists filter without joins.
    termination_status: Mapped[Optional[TerminationStatus]] = mapped_column(
        str_enum(TerminationStatus, "termination_status"))
    version: Mapped[int] = mapped_column(Integer, nullable=False, default=1)

    __mapper_args__ = {"version_id_col": version}

    employer = relationship("Employer")
    student = relationship("Student")
    revisions: Mapped[list["InvitationRevision"]] = relationship(
        back_populates="invitation", order_by="InvitationRevision.number")


class RevisionStatus(str, enum.Enum):
    CURRENT = "current"  # the latest terms, not yet answered (or accepted at invitation)
    ACCEPTED = "accepted"
    DECLINED = "declined"
    SUPERSEDED = "superseded"


class InvitationRevision(db.Model):
    """The terms of an invitation as sent; a modification adds a revision, never edits one."""
    __tablename__ = "invitation_revisions"
    __table_args__ = (UniqueConstraint("invitation_id", "number"), MYSQL_TABLE_ARGS)

    id: Mapped[int] = mapped_column(primary_key=True)
    invitation_id: Mapped[int] = mapped_column(ForeignKey("invitations.id"))
    number: Mapped[int] = mapped_column()
    status: Mapped[RevisionStatus] = mapped_column(
        str_enum(RevisionStatus, "revision_status"), default=RevisionStatus.CURRENT)
    terms: Mapped[dict[str, Any]] = mapped_column(JSON)  # validated by InvitationTerms
    employer_snapshot: Mapped[dict[str, Any]] = mapped_column(JSON)  # 甲方 data as sent
    feedback_days: Mapped[int] = mapped_column()
    deadline_at: Mapped[datetime] = mapped_column()
    created_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("accounts.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    answered_at: Mapped[Optional[datetime]] = mapped_column()

    invitation: Mapped[Invitation] = relationship(back_populates="revisions")


class DestinationKind(str, enum.Enum):
    ONLINE = "online"  # 网上签约
    PAPER = "paper"  # 线下签约
    OTHER = "other"  # 其他去向


class ActiveDestination(db.Model):
    """The one-destination rule: a row per student while a destination is active.

    student_id is the primary key, so a second concurrent activation fails in the database
    whatever the Python checks saw. The row is inserted and deleted in the transaction that
    moves the destination into or out of an active state.
    """
    __tablename__ = "active_destinations"
    __table_args__ = (
        CheckConstraint("kind <> 'online' OR invitation_id IS NOT NULL", name="online_has_invitation"),
        MYSQL_TABLE_ARGS,
    )

    student_id: Mapped[int] = mapped_column(ForeignKey("students.id"), primary_key=True,
                                            autoincrement=False)
    kind: Mapped[DestinationKind] = mapped_column(str_enum(DestinationKind, "destination_kind"))
    invitation_id: Mapped[Optional[int]] = mapped_column(ForeignKey("invitations.id"), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class AgreementCounter(db.Model):
    """Last agreement number used per (kind, cohort, school); bumped inside the approving transaction,
    so a rollback returns the number and the sequence stays gap-free."""
    __tablename__ = "agreement_counters"
    __table_args__ = (MYSQL_TABLE_ARGS,)

    kind: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)  # 1 online, 2 paper
    cohort: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id"), primary_key=True,
                                           autoincrement=False)
    last_seq: Mapped[int] = mapped_column(default=0)
