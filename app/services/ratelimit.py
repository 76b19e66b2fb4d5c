"""The one rate-limit mechanism of the app: moving windows on Redis, from the `limits` library.

Every limit of the platform (SMS codes, student lookups, registration, uploads, QR tickets,
log-in failures) is a ``Limit`` — at most ``limit`` events in any ``window`` seconds for one
subject — checked with ``hit`` (count and enforce), ``check`` (enforce only) or ``count``
(record only, e.g. a failed attempt). A moving window keeps the time of each event, so "1 a
minute" means no two events less than 60 s apart, across any minute boundary.

The storage is the app's own Redis client, so it follows REDIS_URL: a Redis server in
production (shared by every process and host), the in-process fakeredis of the embedded default.
Event times come from ``time.time()``, which tests move with time_machine.
"""
from __future__ import annotations

import math
import time
from dataclasses import dataclass

from flask import current_app
from limits import RateLimitItemPerSecond
from limits.storage import RedisStorage
from limits.strategies import MovingWindowRateLimiter

from app.domain.errors import RateLimited
from app.extensions import redis_ext

KEY_PREFIX = "wq:rl"


@dataclass(frozen=True)
class Limit:
    """At most ``limit`` events in any ``window`` seconds for one subject (cost 1 each)."""

    name: str
    subject: str | int
    window: int
    limit: int

    @property
    def item(self) -> RateLimitItemPerSecond:
        return RateLimitItemPerSecond(self.limit, self.window, namespace=self.name)

    @property
    def identifiers(self) -> tuple[str, ...]:
        return (str(self.subject),)


def _limiter() -> MovingWindowRateLimiter:
    """One limiter per app, on the app's Redis client (its pool, timeouts and server)."""
    limiter = current_app.extensions.get("wq_ratelimit")
    if limiter is None:
        client = redis_ext.client
        storage = RedisStorage("redis://", connection_pool=client.connection_pool,
                               key_prefix=KEY_PREFIX)
        limiter = MovingWindowRateLimiter(storage)
        current_app.extensions["wq_ratelimit"] = limiter
    return limiter


def retry_after(limit: Limit) -> int:
    """Seconds (rounded up) until the oldest event in the window leaves it."""
    stats = _limiter().get_window_stats(limit.item, *limit.identifiers)
    return max(1, math.ceil(round(stats.reset_time - time.time(), 3)))  # no float noise


def remaining(limit: Limit) -> int:
    return _limiter().get_window_stats(limit.item, *limit.identifiers).remaining


def check(limits: list[Limit], message: str = "操作过于频繁，请稍后再试", *, cost: int = 1,
          code: str = "RATE_LIMITED") -> None:
    """RateLimited when ``cost`` more events would not fit in one of the limits (nothing counted)."""
    limiter = _limiter()
    over = [limit for limit in limits if not limiter.test(limit.item, *limit.identifiers, cost=cost)]
    if over:
        raise RateLimited(max(retry_after(limit) for limit in over), message, code)


def hit(limits: list[Limit], message: str = "操作过于频繁，请稍后再试", *, cost: int = 1,
        code: str = "RATE_LIMITED") -> None:
    """Count ``cost`` events against every limit, or none when one of them is used up.

    All are tested first, then counted strictest-first, so a request that loses a race to a
    concurrent one is refused on its first (tightest) window and uses up nothing else.
    """
    check(limits, message, cost=cost, code=code)
    limiter = _limiter()
    for limit in sorted(limits, key=lambda item: item.window / item.limit):
        if not limiter.hit(limit.item, *limit.identifiers, cost=cost):
            raise RateLimited(retry_after(limit), message, code)


def count(limits: list[Limit], *, cost: int = 1) -> None:
    """Record events (e.g. a failed attempt) without enforcing; a full window stays full."""
    limiter = _limiter()
    for limit in limits:
        limiter.hit(limit.item, *limit.identifiers, cost=cost)


def clear(limits: list[Limit]) -> None:
    """Forget the events of these limits (e.g. failures, after a successful log-in)."""
    limiter = _limiter()
    for limit in limits:
        limiter.clear(limit.item, *limit.identifiers)
