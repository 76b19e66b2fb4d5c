"""In-app inbox and the delivery outbox, written in the transaction of the event (SPEC §9)."""
from __future__ import annotations

import enum
from datetime import datetime
from typing import Any, Optional

from sqlalchemy import JSON, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.clock import utcnow
from app.extensions import db
from app.models.base import MYSQL_TABLE_ARGS, str_enum


class RecipientType(str, enum.Enum):
    STUDENT = "student"  # reaches the student before and after binding
    EMPLOYER = "employer"  # shared by all users of the employer
    ACCOUNT = "account"  # a reviewer or admin


class Notification(db.Model):
    __tablename__ = "notifications"
    __table_args__ = (
        Index("ix_notifications_inbox", "recipient_type", "recipient_id", "id"),
        Index("ix_notifications_unread", "recipient_type", "recipient_id", "read_at"),
        MYSQL_TABLE_ARGS,
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    recipient_type: Mapped[RecipientType] = mapped_column(str_enum(RecipientType, "recipient_type"))
    recipient_id: Mapped[int] = mapped_column()
    event: Mapped[str] = mapped_column(String(40))
    title: Mapped[str] = mapped_column(String(100))
    body: Mapped[str] = mapped_column(String(500))
    page: Mapped[Optional[str]] = mapped_column(String(200))  # mini-program page that opens it
    subject_type: Mapped[Optional[str]] = mapped_column(String(30))
    subject_id: Mapped[Optional[int]] = mapped_column()
    data: Mapped[Optional[dict[str, Any]]] = mapped_column(JSON)  # template fields
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    read_at: Mapped[Optional[datetime]] = mapped_column()


class OutboxStatus(str, enum.Enum):
    PENDING = "pending"
    SENT = "sent"
    FAILED = "failed"  # permanent (e.g. 43004 not following); recorded for admins
    SKIPPED = "skipped"  # nobody to push to (unbound): the inbox has it


class OutboxMessage(db.Model):
    """A push owed to a recipient. Survives Redis restarts; a relay enqueues what is due."""
    __tablename__ = "outbox_messages"
    __table_args__ = (
        UniqueConstraint("dedupe_key"),
        Index("ix_outbox_due", "status", "next_attempt_at"),
        MYSQL_TABLE_ARGS,
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    notification_id: Mapped[int] = mapped_column(ForeignKey("notifications.id"))
    dedupe_key: Mapped[str] = mapped_column(String(100))
    priority: Mapped[int] = mapped_column(default=1)  # 0 high (outcomes), 1 normal, 2 reminders
    status: Mapped[OutboxStatus] = mapped_column(
        str_enum(OutboxStatus, "outbox_status"), default=OutboxStatus.PENDING)
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_error: Mapped[Optional[str]] = mapped_column(String(300))
    channel: Mapped[Optional[str]] = mapped_column(String(20))  # template / subscribe
    sent_at: Mapped[Optional[datetime]] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    notification = relationship("Notification")
