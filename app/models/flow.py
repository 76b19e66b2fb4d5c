"""流程追踪: the append-only, hash-chained flow log of every transition (SPEC §11)."""
from __future__ import annotations

from datetime import datetime
from typing import Optional

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.clock import utcnow
from app.extensions import db
from app.models.base import MYSQL_TABLE_ARGS


class FlowEntry(db.Model):
    __tablename__ = "flow_entries"
    __table_args__ = (
        # seq is per subject: two concurrent writers of the same seq cannot both commit,
        # so each chain stays linear.
        UniqueConstraint("subject_type", "subject_id", "seq"),
        Index("ix_flow_entries_actor", "actor_id", "created_at"),
        MYSQL_TABLE_ARGS,
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    subject_type: Mapped[str] = mapped_column(String(30))  # invitation, termination, employer, …
    subject_id: Mapped[int] = mapped_column()
    seq: Mapped[int] = mapped_column()
    action: Mapped[str] = mapped_column(String(40))
    from_state: Mapped[Optional[str]] = mapped_column(String(32))
    to_state: Mapped[Optional[str]] = mapped_column(String(32))
    actor_id: Mapped[Optional[int]] = mapped_column(ForeignKey("accounts.id"))  # NULL: the system
    actor_name: Mapped[str] = mapped_column(String(100))
    actor_role: Mapped[str] = mapped_column(String(32))
    remark: Mapped[Optional[str]] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))
