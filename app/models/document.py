"""Rendered documents: the e-agreement 电子就业协议书 and the 解约函, one row per subject.

A state change records a render request in its own transaction (``requested_seq`` goes up); the
render job makes the files and sets ``rendered_seq`` to the request it served. A row with
``rendered_seq < requested_seq`` is owed a rendering: the job enqueued after commit does it, and
if that job never ran (Redis down, a killed worker) the relay finds the row again once
``next_attempt_at`` has passed. Files live in the document store under random names.
"""
from __future__ import annotations

from datetime import datetime
from typing import Optional

from sqlalchemy import CheckConstraint, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.clock import utcnow
from app.domain import agreement_document as rules
from app.extensions import db
from app.models.base import MYSQL_TABLE_ARGS, sql_in


class AgreementDocument(db.Model):
    __tablename__ = "agreement_documents"
    __table_args__ = (
        UniqueConstraint("kind", "subject_id"),
        CheckConstraint(f"kind IN ({sql_in(rules.KINDS)})", name="kind"),
        CheckConstraint("rendered_seq <= requested_seq", name="rendered_requested"),
        # a rendered document has every file of both variants
        CheckConstraint("rendered_seq = 0 OR (pdf_key IS NOT NULL AND png_key IS NOT NULL AND "
                        "masked_pdf_key IS NOT NULL AND masked_png_key IS NOT NULL AND "
                        "content_hash IS NOT NULL AND rendered_at IS NOT NULL)", name="rendered_files"),
        Index("ix_agreement_documents_due", "next_attempt_at"),
        MYSQL_TABLE_ARGS,
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # online / paper: subject_id is the agreement (invitations.id for online); termination_letter:
    # subject_id is the approved termination (terminations.id).
    kind: Mapped[str] = mapped_column(String(20))
    subject_id: Mapped[int] = mapped_column()
    requested_seq: Mapped[int] = mapped_column(default=1)
    rendered_seq: Mapped[int] = mapped_column(default=0)
    # while a rendering is owed: when the relay may take it (the on-commit job's lease, then backoff)
    next_attempt_at: Mapped[Optional[datetime]] = mapped_column()
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[Optional[str]] = mapped_column(String(300))
    # what the files show
    state: Mapped[Optional[str]] = mapped_column(String(32))  # the agreement's state when rendered
    content_hash: Mapped[Optional[str]] = mapped_column(String(64))
    pages: Mapped[Optional[int]] = mapped_column()
    pdf_key: Mapped[Optional[str]] = mapped_column(String(80))  # student and reviewers
    png_key: Mapped[Optional[str]] = mapped_column(String(80))
    masked_pdf_key: Mapped[Optional[str]] = mapped_column(String(80))  # the employer
    masked_png_key: Mapped[Optional[str]] = mapped_column(String(80))
    rendered_at: Mapped[Optional[datetime]] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    @property
    def pending(self) -> bool:
        return self.rendered_seq < self.requested_seq

    @property
    def ready(self) -> bool:
        return self.rendered_seq > 0
