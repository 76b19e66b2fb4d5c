"""Idempotency-Key records (API.md "Conventions"), kept in the database with the writes they
answer for: a request's record becomes ``done`` in the very transaction that commits its write,
so the two can never disagree."""
from __future__ import annotations

from datetime import datetime
from typing import Optional

from sqlalchemy import CheckConstraint, Index, SmallInteger, String, Text, UniqueConstraint
from sqlalchemy.dialects import mysql
from sqlalchemy.orm import Mapped, mapped_column

from app.clock import utcnow
from app.extensions import db
from app.models.base import MYSQL_TABLE_ARGS

RUNNING, DONE = "running", "done"


class IdempotencyRecord(db.Model):
    """One (caller, Idempotency-Key): ``running`` while an attempt holds its lease, then ``done``
    with the answer to replay. A running record whose lease has passed belongs to an attempt
    that died before committing: the next attempt takes it over."""
    __tablename__ = "idempotency_keys"
    __table_args__ = (
        UniqueConstraint("caller", "key_hash"),
        Index("ix_idempotency_keys_expires", "expires_at"),
        CheckConstraint(f"state IN ('{RUNNING}', '{DONE}')", name="state"),
        CheckConstraint(f"(state = '{DONE}') = (status_code IS NOT NULL AND body IS NOT NULL)",
                        name="done_has_answer"),
        CheckConstraint(f"(state = '{RUNNING}') = (lease_until IS NOT NULL)", name="running_has_lease"),
        MYSQL_TABLE_ARGS,
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    caller: Mapped[str] = mapped_column(String(40))  # account id, or "s" + token prefix
    key_hash: Mapped[str] = mapped_column(String(64))  # SHA-256 of the key: exact, any collation
    request_hash: Mapped[str] = mapped_column(String(64))  # method, path, query and body
    state: Mapped[str] = mapped_column(String(10), default=RUNNING)
    owner: Mapped[str] = mapped_column(String(32))  # the attempt holding (or that finished) it
    lease_until: Mapped[Optional[datetime]] = mapped_column()
    status_code: Mapped[Optional[int]] = mapped_column(SmallInteger)
    body: Mapped[Optional[str]] = mapped_column(Text().with_variant(mysql.MEDIUMTEXT(), "mysql"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime] = mapped_column()
