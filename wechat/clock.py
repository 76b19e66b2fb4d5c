"""WeChat speaks Unix seconds and shows China time. Stored datetimes are naive UTC (as in
app.clock, which the wechat package must not import); time-machine moves these in tests too."""
from __future__ import annotations

from datetime import datetime, timezone
from zoneinfo import ZoneInfo

CHINA = ZoneInfo("Asia/Shanghai")


def epoch_now() -> int:
    return int(datetime.now(timezone.utc).timestamp())


def from_epoch(seconds: int) -> datetime:
    """Naive UTC, the form the database stores."""
    return datetime.fromtimestamp(seconds, timezone.utc).replace(tzinfo=None)


def to_china(value: datetime) -> datetime:
    """A stored naive-UTC datetime as aware Asia/Shanghai time."""
    return value.replace(tzinfo=timezone.utc).astimezone(CHINA)
