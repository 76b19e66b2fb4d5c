"""Employers 用人单位 and their verification evidence (SPEC §2)."""
from __future__ import annotations

import enum
from datetime import datetime
from typing import Optional

from sqlalchemy import CheckConstraint, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.clock import utcnow
from app.domain import verification
from app.extensions import db
from app.models.base import MYSQL_TABLE_ARGS, TimestampMixin, enum_of, str_enum


VerificationStatus = enum_of("VerificationStatus", verification.STATES)  # pending/approved/rejected


class Employer(TimestampMixin, db.Model):
    __tablename__ = "employers"
    __table_args__ = (
        CheckConstraint("verification_status <> 'rejected' OR rejection_reason IS NOT NULL",
                        name="rejection_has_reason"),
        CheckConstraint("verification_status <> 'approved' OR verified_at IS NOT NULL",
                        name="approval_has_time"),
        MYSQL_TABLE_ARGS,
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    credit_code: Mapped[str] = mapped_column(String(18), unique=True)  # 统一社会信用代码
    nature_code: Mapped[Optional[str]] = mapped_column(String(10))  # dict unit_nature
    industry_code: Mapped[Optional[str]] = mapped_column(String(10))  # dict industry
    region_code: Mapped[Optional[str]] = mapped_column(String(6))  # dict region
    affiliation_code: Mapped[Optional[str]] = mapped_column(String(10))  # dict affiliation
    address: Mapped[Optional[str]] = mapped_column(String(200))
    contact_name: Mapped[Optional[str]] = mapped_column(String(50))
    contact_phone: Mapped[Optional[str]] = mapped_column(String(30))
    email: Mapped[Optional[str]] = mapped_column(String(120))
    verification_status: Mapped[VerificationStatus] = mapped_column(
        str_enum(VerificationStatus, "verification_status"), default=VerificationStatus.PENDING,
        index=True)
    rejection_reason: Mapped[Optional[str]] = mapped_column(String(500))
    verified_at: Mapped[Optional[datetime]] = mapped_column()
    verified_by_id: Mapped[Optional[int]] = mapped_column(
        ForeignKey("accounts.id", use_alter=True))  # accounts.employer_id points back here

    evidence: Mapped[list["EmployerEvidence"]] = relationship(
        back_populates="employer", order_by="EmployerEvidence.id")

    @property
    def is_verified(self) -> bool:
        return self.verification_status == VerificationStatus.APPROVED


class EvidenceKind(str, enum.Enum):
    LICENCE = "licence"  # 营业执照 / 法人证书 scan
    AUTHORISATION = "authorisation"  # 授权委托书


class EmployerEvidence(db.Model):
    """An uploaded file; stored under a random key, never a user-supplied name."""
    __tablename__ = "employer_evidence"
    __table_args__ = (MYSQL_TABLE_ARGS,)

    id: Mapped[int] = mapped_column(primary_key=True)
    employer_id: Mapped[int] = mapped_column(ForeignKey("employers.id"), index=True)
    kind: Mapped[EvidenceKind] = mapped_column(str_enum(EvidenceKind, "evidence_kind"))
    storage_key: Mapped[str] = mapped_column(String(80), unique=True)
    content_type: Mapped[str] = mapped_column(String(50))
    size: Mapped[int] = mapped_column()
    sha256: Mapped[str] = mapped_column(String(64))
    uploaded_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("accounts.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    employer: Mapped[Employer] = relationship(back_populates="evidence")
