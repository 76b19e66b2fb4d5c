"""The unit of work: a service function runs in one transaction and commits once.

Deadlocks (MySQL 1213) and lock-wait timeouts (1205) are retried with the whole function;
an optimistic version conflict becomes a 409 the caller can show.

``one_transaction(work, finish)`` widens the unit to a whole request: the @transactional
services ``work`` calls flush instead of committing, ``finish`` adds its own rows (the
Idempotency-Key record and the answer to replay), and one commit makes all of it durable
together — or none of it.
"""
from __future__ import annotations

import functools
import logging
import random
import time
from collections.abc import Callable
from contextvars import ContextVar
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
# Set while one_transaction runs: services flush and leave the commit to it.
_DEFERRED: ContextVar[bool] = ContextVar("wq_unit_deferred", default=False)


def _is_retryable(exc: OperationalError) -> bool:
    code = getattr(exc.orig, "args", [None])[0]
    return code in RETRYABLE_MYSQL_ERRORS or "database is locked" in str(exc.orig)


def transactional(fn: Callable[P, R]) -> Callable[P, R]:
    """Run fn, commit; roll back on any error; retry on deadlock."""

    @functools.wraps(fn)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        if _DEFERRED.get():  # part of a wider unit: it commits, and retries the whole of it
            try:
                result = fn(*args, **kwargs)
                db.session.flush()
                return result
            except StaleDataError as exc:
                db.session.rollback()
                raise Conflict("CONCURRENT_UPDATE", "该记录刚被其他操作修改，请刷新后重试") from exc
            except BaseException:
                db.session.rollback()
                raise
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


def one_transaction(work: Callable[[], R], finish: Callable[[R], None]) -> R:
    """Run ``work`` and then ``finish(result)`` in one transaction and commit once.

    Services called by ``work`` flush instead of committing; a deadlock or lock-wait timeout
    anywhere rolls everything back and runs both again (``work`` must be safe to repeat, as a
    client's retry would be). Any exception — ``finish`` may raise to refuse the result — rolls
    back the whole and propagates."""
    for attempt in range(1, MAX_ATTEMPTS + 1):
        token = _DEFERRED.set(True)
        try:
            result = work()
            finish(result)
            db.session.flush()
        except OperationalError as exc:
            db.session.rollback()
            if not _is_retryable(exc) or attempt == MAX_ATTEMPTS:
                raise
            log.info("retrying the request's transaction after %s (attempt %d)", exc.orig, attempt)
            time.sleep(random.uniform(0.005, 0.03) * attempt)  # jitter, as in transactional
            continue
        except StaleDataError as exc:
            db.session.rollback()
            raise Conflict("CONCURRENT_UPDATE", "该记录刚被其他操作修改，请刷新后重试") from exc
        except BaseException:
            db.session.rollback()
            raise
        finally:
            _DEFERRED.reset(token)
        try:
            db.session.commit()
        except BaseException:
            db.session.rollback()
            raise
        return result
    raise AssertionError("unreachable")
