"""WeChat speaks Unix seconds; read them from app.clock so time_machine moves them in tests."""
from __future__ import annotations

from datetime import datetime, timezone

from app.clock import utcnow


def epoch_now() -> int:
    return int(utcnow().replace(tzinfo=timezone.utc).timestamp())


def from_epoch(seconds: int) -> datetime:
    """Naive UTC, the form the database stores."""
    return datetime.fromtimestamp(seconds, timezone.utc).replace(tzinfo=None)
