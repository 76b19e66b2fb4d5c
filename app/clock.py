"""The one source of "now". Stored datetimes are naive UTC; users see Asia/Shanghai.

Tests move time with time-machine instead of sleeping.
"""
from __future__ import annotations

from datetime import datetime, timezone
from zoneinfo import ZoneInfo

CHINA = ZoneInfo("Asia/Shanghai")


def utcnow() -> datetime:
    """Naive UTC, the form every DateTime column stores."""
    return datetime.now(timezone.utc).replace(tzinfo=None)


def to_china(value: datetime) -> datetime:
    """A stored naive-UTC datetime as aware Asia/Shanghai time."""
    return value.replace(tzinfo=timezone.utc).astimezone(CHINA)


def iso_china(value: datetime | None) -> str | None:
    """ISO 8601 with +08:00, as the API shows every timestamp."""
    return None if value is None else to_china(value).isoformat(timespec="seconds")
