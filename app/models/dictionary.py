"""Code dictionaries (unit nature, industry, job category, region, …), loaded from app/data/dicts."""
from __future__ import annotations

from datetime import datetime
from typing import Any, Optional

from sqlalchemy import JSON, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import db
from app.models.base import MYSQL_TABLE_ARGS, TimestampMixin


class DictEntry(TimestampMixin, db.Model):
    __tablename__ = "dict_entries"
    __table_args__ = (UniqueConstraint("kind", "code"), MYSQL_TABLE_ARGS)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(40))
    code: Mapped[str] = mapped_column(String(20))
    name: Mapped[str] = mapped_column(String(100))
    parent_code: Mapped[Optional[str]] = mapped_column(String(20))
    sort_order: Mapped[int] = mapped_column(default=0)
    extra: Mapped[Optional[dict[str, Any]]] = mapped_column(JSON)
    is_active: Mapped[bool] = mapped_column(default=True)
    # Set when the platform admin added or edited the entry: load-dicts then leaves it alone.
    edited_at: Mapped[Optional[datetime]] = mapped_column()
    edited_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("accounts.id"))
