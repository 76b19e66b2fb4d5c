"""The outbox relay: what the database owes WeChat becomes RQ jobs, once, after commit.

Two ways a row reaches ``app.services.delivery.deliver_batch`` (through the RQ job
``app.jobs.delivery.deliver_batch``, named by its import path: services never import jobs):

- promptly: a session hook collects the OutboxMessage rows an event's transaction inserted and,
  once that transaction has committed, enqueues them in batches of ``JOB_BATCH`` rows per job
  ("notifications" queue; low-priority events on "low"), all in one pipelined round trip. With inline queues (embedded defaults, tests) the job runs
  right there, in a fresh app context. A failure here is logged and never reaches the user's
  request: the row is still in the database.
- eventually: ``relay_due`` (every 30 s from the scheduler, or ``flask relay-outbox``) enqueues
  every PENDING row whose ``next_attempt_at`` has come. That covers a Redis restart (the queue
  is gone, the outbox is not), a killed worker (RQ parks its job in a registry and never retries
  it) and deferred deliveries coming due.

Leases instead of job bookkeeping: a row that is handed to RQ gets ``next_attempt_at = now +
RUN_LEASE`` first (a compare-and-set on the old value, so two relays never both take it), and
a running job moves it to its deliveries' own due times. A row whose job vanished comes due
again when its lease passes.
"""
from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from flask import current_app, has_app_context
from rq import Queue
from rq.job import Job, JobStatus
from sqlalchemy import event, select, update
from sqlalchemy.orm import Session

from app.clock import utcnow
from app.domain.events import LOW
from app.extensions import db, redis_ext
from app.models import OutboxMessage, OutboxStatus
from app.services.delivery import config, enabled

log = logging.getLogger("wq.outbox")

_NEW_ROWS = "wq_outbox_new"  # session.info key: {outbox id: priority} flushed in this transaction
JOB_TIMEOUT = 300
JOB = "app.jobs.delivery.deliver_batch"
RESULT_TTL = 0  # the outcome is in the database; keep nothing in Redis
FAILURE_TTL = 7 * 86400


def queue_name(priority: int) -> str:
    name = "low" if priority >= LOW else "notifications"
    return name if name in current_app.config["RQ_QUEUES"] else "default"


def enqueue(rows: Iterable[tuple[int, int]]) -> int:
    """One ``deliver_batch`` job per JOB_BATCH (outbox id, priority) rows of a queue; one round
    trip for them all. Call only after the rows are committed. Returns the rows enqueued."""
    size = max(int(config()["JOB_BATCH"]), 1)
    by_queue: dict[str, list[int]] = {}
    for outbox_id, priority in rows:
        by_queue.setdefault(queue_name(priority), []).append(outbox_id)
    options: dict[str, Any] = {"timeout": JOB_TIMEOUT, "result_ttl": RESULT_TTL,
                               "failure_ttl": FAILURE_TTL}
    count = 0
    for name, ids in by_queue.items():
        queue = redis_ext.queue(name)
        batches = [ids[i:i + size] for i in range(0, len(ids), size)]
        if queue.is_async:
            queue.enqueue_many([Queue.prepare_data(
                JOB, (batch,), description=f"deliver outbox #{batch[0]}…#{batch[-1]} ({len(batch)})",
                **options) for batch in batches])
        else:
            for batch in batches:
                job = queue.enqueue_call(JOB, args=(batch,), description=f"deliver outbox {batch}",
                                         **options)
                if job.get_status(refresh=False) == JobStatus.FAILED:  # RQ caught it: say so
                    log.error("inline delivery of outbox #%s failed:\n%s",
                              ", #".join(map(str, batch)), _exc_string(job))
        count += len(ids)
    return count


def _exc_string(job: Job) -> str:
    try:
        result = job.latest_result()
    except Exception:  # noqa: BLE001 — only for the log line
        return "?"
    return (result.exc_string if result else None) or "?"


# -- the relay --------------------------------------------------------------------------------


def claim_due(limit: int | None = None, now: datetime | None = None) -> list[tuple[int, int]]:
    """Lease the due PENDING rows to the caller (committed); others' concurrent claims lose."""
    cfg = config()
    now = now or utcnow()
    limit = int(limit or cfg["RELAY_BATCH"])
    due = db.session.execute(
        select(OutboxMessage.id, OutboxMessage.next_attempt_at, OutboxMessage.priority)
        .where(OutboxMessage.status == OutboxStatus.PENDING, OutboxMessage.next_attempt_at <= now)
        .order_by(OutboxMessage.priority, OutboxMessage.next_attempt_at, OutboxMessage.id)
        .limit(limit)).all()
    lease = now + timedelta(seconds=float(cfg["RUN_LEASE"]))
    claimed = []
    for outbox_id, seen, priority in due:
        result = db.session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id == outbox_id, OutboxMessage.status == OutboxStatus.PENDING,
                   OutboxMessage.next_attempt_at == seen)
            .values(next_attempt_at=lease).execution_options(synchronize_session=False))
        if result.rowcount == 1:
            claimed.append((outbox_id, priority))
    db.session.commit()
    return claimed


def relay_due(limit: int | None = None) -> int:
    """Enqueue what is due; the number of rows enqueued. Idempotent: run it as often as you like."""
    if not enabled():
        log.debug("outbox relay: no WeChat app configured; rows wait")
        return 0
    try:
        claimed = claim_due(limit)
    except BaseException:
        db.session.rollback()
        raise
    if not claimed:
        return 0
    try:
        count = enqueue(claimed)
    except Exception:  # Redis down: the leases pass and a later run takes them again
        log.exception("outbox relay: could not enqueue %d rows", len(claimed))
        return 0
    log.info("outbox relay: enqueued %d deliveries", count)
    return count


# -- enqueue on commit ------------------------------------------------------------------------


def _active() -> bool:
    return has_app_context() and bool(config()["ON_COMMIT"]) and enabled()


def _lease_new_rows(session: Session, _flush_context: Any, _instances: Any) -> None:
    """New rows belong to the on-commit job first; the relay takes them only if it never ran."""
    if not _active():
        return
    lease = None
    for obj in session.new:
        if isinstance(obj, OutboxMessage) and obj.next_attempt_at is None:
            lease = lease or utcnow() + timedelta(seconds=float(config()["RUN_LEASE"]))
            obj.next_attempt_at = lease


def first_due(now: datetime) -> datetime:
    """next_attempt_at of a new row: leased to its on-commit job when those run, else due now."""
    return now + timedelta(seconds=float(config()["RUN_LEASE"])) if _active() else now


def enqueue_after_commit(rows: dict[int, int]) -> None:
    """Rows inserted in bulk (no ORM flush saw them): enqueue them when this transaction commits."""
    db.session().info.setdefault(_NEW_ROWS, {}).update(rows)


def _collect(session: Session, _flush_context: Any) -> None:
    for obj in session.new:
        if isinstance(obj, OutboxMessage) and obj.id is not None:
            session.info.setdefault(_NEW_ROWS, {})[obj.id] = obj.priority


def _forget(session: Session, previous_transaction: Any) -> None:
    if previous_transaction.parent is None:  # the whole transaction rolled back
        session.info.pop(_NEW_ROWS, None)


def _enqueue_committed(session: Session) -> None:
    if session.in_nested_transaction():  # a savepoint released: the rows are not committed yet
        return
    rows = session.info.pop(_NEW_ROWS, None)
    if not rows or not _active():
        return
    app = current_app._get_current_object()
    try:
        if app.config["JOBS_INLINE"]:
            # This session cannot run SQL inside after_commit: the job gets its own context
            # (Flask-SQLAlchemy scopes sessions by app context).
            with app.app_context():
                enqueue(rows.items())
        else:
            enqueue(rows.items())
    except Exception:  # never the user's problem: the relay sends these later
        log.exception("outbox: could not enqueue %d rows after commit; the relay will", len(rows))


def install() -> None:
    """Register the session hooks (once per process; every app decides through its config)."""
    if event.contains(Session, "after_commit", _enqueue_committed):
        return
    event.listen(Session, "before_flush", _lease_new_rows)
    event.listen(Session, "after_flush", _collect)
    event.listen(Session, "after_soft_rollback", _forget)
    event.listen(Session, "after_commit", _enqueue_committed)
