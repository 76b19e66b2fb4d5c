"""The unit of work: a service function runs in one transaction and commits once.

Deadlocks (MySQL 1213) and lock-wait timeouts (1205) are retried with the whole function;
an optimistic version conflict becomes a 409 the caller can show.
"""
from __future__ import annotations

import functools
import logging
import random
import time
from collections.abc import Callable
from typing import ParamSpec, TypeVar

from sqlalchemy.exc import OperationalError
from sqlalchemy.orm.exc import StaleDataError

from app.domain.errors import Conflict, DomainError
from app.extensions import db

P = ParamSpec("P")
R = TypeVar("R")
log = logging.getLogger("wq.unit")

RETRYABLE_MYSQL_ERRORS = {1213, 1205}
MAX_ATTEMPTS = 5


def _is_retryable(exc: OperationalError) -> bool:
    code = getattr(exc.orig, "args", [None])[0]
    return code in RETRYABLE_MYSQL_ERRORS or "database is locked" in str(exc.orig)


def transactional(fn: Callable[P, R]) -> Callable[P, R]:
    """Run fn, commit; roll back on any error; retry on deadlock."""

    @functools.wraps(fn)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        for attempt in range(1, MAX_ATTEMPTS + 1):
            try:
                result = fn(*args, **kwargs)
                db.session.commit()
                return result
            except OperationalError as exc:
                db.session.rollback()
                if not _is_retryable(exc) or attempt == MAX_ATTEMPTS:
                    raise
                log.info("retrying %s after %s (attempt %d)", fn.__name__, exc.orig, attempt)
                # Jitter de-synchronises the retrying transactions; not a wait for time.
                time.sleep(random.uniform(0.005, 0.03) * attempt)
            except StaleDataError as exc:
                db.session.rollback()
                raise Conflict("CONCURRENT_UPDATE", "该记录刚被其他操作修改，请刷新后重试") from exc
            except DomainError:
                db.session.rollback()
                raise
            except Exception:
                db.session.rollback()
                raise
        raise AssertionError("unreachable")

    return wrapper
