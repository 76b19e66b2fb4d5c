"""Shared column helpers for the models."""
from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import Enum
from sqlalchemy.orm import Mapped, mapped_column

from app.clock import utcnow

# Table options for MySQL/MariaDB: 4-byte UTF-8 so every Chinese name fits; ignored elsewhere.
MYSQL_TABLE_ARGS = {"mysql_charset": "utf8mb4", "mysql_collate": "utf8mb4_unicode_ci",
                    "mysql_engine": "InnoDB"}


def str_enum(enum_cls: type[enum.Enum], name: str) -> Enum:
    """A VARCHAR + CHECK enum: portable, and a new value needs no ALTER TYPE."""
    return Enum(enum_cls, name=name, native_enum=False, create_constraint=True,
                values_callable=lambda members: [m.value for m in members],
                validate_strings=True, length=32)


def enum_of(name: str, states: tuple[str, ...]) -> type[enum.Enum]:
    """A str enum whose members are a domain's state constants (INVITED = "invited", …)."""
    return enum.Enum(name, {state.upper(): state for state in states}, type=str)


def sql_in(states) -> str:
    """A SQL list of state literals for a CHECK constraint built from the domain's constants."""
    return ", ".join(f"'{s}'" for s in sorted(states))


class TimestampMixin:
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
