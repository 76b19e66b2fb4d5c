"""Idempotency-Key records: a repeated request gets the first answer, never a second write.

The record lives in the database with the write it answers for (app.models.idempotency):

1. ``claim`` commits a ``running`` record with a short lease (IDEMPOTENCY_LEASE seconds) for
   this attempt — or says what to answer instead: the stored answer (replay), 422 for the same
   key on another request, 409 while another attempt holds a live lease.
2. The request runs in ``unit.one_transaction``; its ``finish`` is ``complete``, which turns the
   record ``done`` with the answer **in the transaction that commits the write**. So a committed
   write always has its answer stored, and an answer is stored only for a committed write —
   whatever fails after the commit (Redis, the network), a retry replays it.
3. An attempt that fails before committing ``release``s its claim; if it cannot (the database
   went away, the process died) the lease simply passes and the next attempt takes over, seconds
   later. ``complete`` checks the attempt still owns the record, so an attempt that outlived its
   lease and lost it to a retry rolls its write back instead of writing twice.

Records are kept IDEMPOTENCY_TTL (24 h) and then swept (``purge_expired``).
"""
from __future__ import annotations

import hashlib
import logging
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError

from app.clock import utcnow
from app.domain.errors import Conflict, DomainError
from app.extensions import db
from app.models.idempotency import DONE, RUNNING, IdempotencyRecord

log = logging.getLogger("wq.idempotency")

DEFAULT_LEASE = 30  # s; above any request's run time (gunicorn kills a worker at 30 s)
DEFAULT_TTL = 24 * 3600


class KeyReused(DomainError):
    kind = "unprocessable"

    def __init__(self) -> None:
        super().__init__("IDEMPOTENCY_KEY_REUSED", "该 Idempotency-Key 已用于另一个请求")


class InProgress(Conflict):
    def __init__(self) -> None:
        super().__init__("REQUEST_IN_PROGRESS", "相同的请求正在处理中，请稍候")


class ClaimLost(Exception):
    """This attempt's lease passed and another attempt took the record over."""


@dataclass(frozen=True)
class Claim:
    id: int
    owner: str


@dataclass(frozen=True)
class Stored:
    status: int
    body: str


def key_hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def _settings() -> tuple[timedelta, timedelta]:
    config = current_app.config
    return (timedelta(seconds=float(config.get("IDEMPOTENCY_LEASE", DEFAULT_LEASE))),
            timedelta(seconds=float(config.get("IDEMPOTENCY_TTL", DEFAULT_TTL))))


def _find(caller: str, hashed_key: str) -> IdempotencyRecord | None:
    return db.session.scalar(select(IdempotencyRecord).where(
        IdempotencyRecord.caller == caller, IdempotencyRecord.key_hash == hashed_key)
        .execution_options(populate_existing=True))


def claim(caller: str, key: str, request_hash: str, now: datetime | None = None) -> Claim | Stored:
    """This attempt's claim on (caller, key), committed; or the stored answer to replay.
    KeyReused (422) for the key on another request, InProgress (409) while an attempt runs."""
    lease, ttl = _settings()
    hashed = key_hash(key)
    for _ in range(3):
        now = now or utcnow()
        owner = secrets.token_hex(16)
        row = _find(caller, hashed)
        if row is None:
            record = IdempotencyRecord(
                caller=caller, key_hash=hashed, request_hash=request_hash, state=RUNNING,
                owner=owner, lease_until=now + lease, created_at=now, expires_at=now + ttl)
            db.session.add(record)
            try:
                db.session.flush()
            except IntegrityError:  # a twin inserted it first: look again
                db.session.rollback()
                continue
            new_claim = Claim(record.id, owner)
            db.session.commit()
            return new_claim
        expired = row.expires_at <= now
        if not expired and row.request_hash != request_hash:
            db.session.rollback()
            raise KeyReused()
        if not expired and row.state == DONE:
            stored = Stored(row.status_code, row.body)
            db.session.rollback()
            return stored
        if not expired and row.lease_until > now:
            db.session.rollback()
            raise InProgress()
        # An attempt that died before committing (or a record past its day): take it over.
        taken = db.session.execute(
            update(IdempotencyRecord)
            .where(IdempotencyRecord.id == row.id, IdempotencyRecord.owner == row.owner,
                   IdempotencyRecord.state == row.state)
            .values(request_hash=request_hash, state=RUNNING, owner=owner, lease_until=now + lease,
                    status_code=None, body=None, created_at=now if expired else row.created_at,
                    expires_at=now + ttl if expired else row.expires_at)
            .execution_options(synchronize_session=False))
        if taken.rowcount == 1:
            db.session.commit()
            if not expired:
                log.info("idempotency: record %s taken over after its lease passed", row.id)
            return Claim(row.id, owner)
        db.session.rollback()
    raise InProgress()


def complete(claim: Claim, status: int, body: str) -> None:
    """Store the answer — call inside the transaction of the write (unit.one_transaction)."""
    done = db.session.execute(
        update(IdempotencyRecord)
        .where(IdempotencyRecord.id == claim.id, IdempotencyRecord.owner == claim.owner,
               IdempotencyRecord.state == RUNNING)
        .values(state=DONE, lease_until=None, status_code=status, body=body)
        .execution_options(synchronize_session=False))
    if done.rowcount != 1:
        raise ClaimLost()


def stored_answer(caller: str, key: str) -> Stored | None:
    """The answer another attempt stored for (caller, key), if it has."""
    row = _find(caller, key_hash(key))
    db.session.rollback()
    if row is None or row.state != DONE:
        return None
    return Stored(row.status_code, row.body)


def release(claim: Claim) -> None:
    """Give the key back after a failed attempt, so a retry runs at once. Best effort: if the
    database cannot be reached now, the lease passes in seconds and does the same."""
    try:
        db.session.rollback()
        db.session.execute(delete(IdempotencyRecord).where(
            IdempotencyRecord.id == claim.id, IdempotencyRecord.owner == claim.owner,
            IdempotencyRecord.state == RUNNING))
        db.session.commit()
    except Exception as exc:  # noqa: BLE001 — the lease is the fallback
        db.session.rollback()
        log.warning("idempotency: could not release record %s (%s); its lease will pass",
                    claim.id, type(exc).__name__)


def purge_expired(now: datetime | None = None, batch_size: int = 1000) -> int:
    """Delete records past their day, in bounded batches; the number deleted."""
    now = now or utcnow()
    total = 0
    while True:
        ids = db.session.scalars(select(IdempotencyRecord.id).where(
            IdempotencyRecord.expires_at <= now).limit(batch_size)).all()
        if not ids:
            db.session.rollback()
            return total
        db.session.execute(delete(IdempotencyRecord).where(IdempotencyRecord.id.in_(ids),
                                                           IdempotencyRecord.expires_at <= now))
        db.session.commit()
        total += len(ids)
