"""What the outbox relay remembers about the Redis it enqueues to (app/services/outbox.py)."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from app.clock import utcnow
from app.extensions import db
from app.models.base import MYSQL_TABLE_ARGS


class RelayMarker(db.Model):
    """The token the relay last wrote into Redis (key ``wq:outbox:marker``). Redis without it,
    while this row has one, lost its data — and with it every job that was queued: the relay
    then makes the rows those jobs were carrying due again at once, instead of after their lease."""
    __tablename__ = "relay_markers"
    __table_args__ = (MYSQL_TABLE_ARGS,)

    name: Mapped[str] = mapped_column(String(40), primary_key=True)  # "redis"
    token: Mapped[str] = mapped_column(String(64))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
