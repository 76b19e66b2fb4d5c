"""WeChat delivery records and the account audit trail (bind, unbind, rebind, log-in)."""
from __future__ import annotations

import enum
from datetime import datetime
from typing import Any, Optional

from sqlalchemy import JSON, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.clock import utcnow
from app.extensions import db
from app.models.base import MYSQL_TABLE_ARGS, str_enum


class DeliveryStatus(str, enum.Enum):
    PENDING = "pending"
    SENT = "sent"
    DEFERRED = "deferred"  # quota exhausted or 45009: tried again later (reminders: next day)
    FAILED = "failed"  # permanent: 43004 not following, 43101 no subscription, retries spent


class Delivery(db.Model):
    """One push of one outbox message to one WeChat identity, on one channel.

    client_msg_id is unique: the same (message, person) is never sent twice, whatever the
    number of workers or retries."""
    __tablename__ = "deliveries"
    __table_args__ = (
        UniqueConstraint("client_msg_id"),
        Index("ix_deliveries_outbox", "outbox_id"),
        Index("ix_deliveries_status", "status", "next_attempt_at"),
        MYSQL_TABLE_ARGS,
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    outbox_id: Mapped[int] = mapped_column(ForeignKey("outbox_messages.id"))
    identity_id: Mapped[Optional[int]] = mapped_column(ForeignKey("wechat_identities.id"))
    channel: Mapped[str] = mapped_column(String(20))  # template | subscribe
    client_msg_id: Mapped[str] = mapped_column(String(64))
    status: Mapped[DeliveryStatus] = mapped_column(
        str_enum(DeliveryStatus, "delivery_status"), default=DeliveryStatus.PENDING)
    attempts: Mapped[int] = mapped_column(default=0)
    errcode: Mapped[Optional[int]] = mapped_column()
    errmsg: Mapped[Optional[str]] = mapped_column(String(300))
    msgid: Mapped[Optional[str]] = mapped_column(String(64))
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[Optional[datetime]] = mapped_column()


class SubscribeGrant(db.Model):
    """A mini-program subscribe-message grant: one use per tap of "允许" by the user."""
    __tablename__ = "subscribe_grants"
    __table_args__ = (UniqueConstraint("identity_id", "template_id"), MYSQL_TABLE_ARGS)

    id: Mapped[int] = mapped_column(primary_key=True)
    identity_id: Mapped[int] = mapped_column(ForeignKey("wechat_identities.id"))
    template_id: Mapped[str] = mapped_column(String(64))
    remaining: Mapped[int] = mapped_column(default=0)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class AccountEvent(db.Model):
    """Audit of identity-changing actions: bind, unbind, rebind, QR log-in, password lockout."""
    __tablename__ = "account_events"
    __table_args__ = (Index("ix_account_events_account", "account_id", "created_at"), MYSQL_TABLE_ARGS)

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[Optional[int]] = mapped_column(ForeignKey("accounts.id"))
    identity_id: Mapped[Optional[int]] = mapped_column(ForeignKey("wechat_identities.id"))
    action: Mapped[str] = mapped_column(String(40))
    ip: Mapped[Optional[str]] = mapped_column(String(45))
    detail: Mapped[Optional[dict[str, Any]]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
