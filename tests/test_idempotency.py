"""Issue 16: Idempotency-Key records kept in the database with the write they answer for.

A record becomes `done` in the transaction that commits the write; a `running` record left by an
attempt that died expires in seconds (its lease), not a day; an attempt that outlived its lease
and lost the record rolls its own write back.
"""
from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from sqlalchemy import func, select

from app.clock import utcnow
from app.extensions import db
from app.models import FlowEntry, IdempotencyRecord, School
from app.services import idempotency
from app.services.unit import one_transaction
from tests.api_helpers import ApiClient, terms_json
from tests.factories import SchoolFactory


def _accept_path(world, client) -> str:
    hr = ApiClient(client, world.hr)
    sent = hr.post("/employer/invitations", {"student_ids": [world.student.id], "terms": terms_json()})
    return f"/student/invitations/{sent.get_json()['results'][0]['invitation_id']}/accept"


def _accepts() -> int:
    return db.session.scalar(select(func.count()).select_from(FlowEntry).where(FlowEntry.action == "accept"))


def test_a_stale_running_key_expires_in_seconds_not_a_day(world, client, app, monkeypatch):
    """An attempt dies after claiming its key and before committing (its record stays
    `running`): does a retry get 409 only while the lease lasts, then run — once — within
    IDEMPOTENCY_LEASE seconds?"""
    from app.services import responses

    student = ApiClient(client, world.student_account)
    path = _accept_path(world, client)
    body = {"revision": 1, "confirm": True}
    headers = {"Idempotency-Key": "died-before-commit-01"}
    accept = responses.accept_invitation

    def dies(*_args, **_kwargs):
        raise RuntimeError("the worker process is killed here")

    with time_machine.travel(utcnow(), tick=False) as clock:
        monkeypatch.setattr(responses, "accept_invitation", dies)
        monkeypatch.setattr(idempotency, "release", lambda _claim: None)  # a dead process releases nothing
        assert student.post(path, body, headers=headers).status_code == 500
        monkeypatch.setattr(responses, "accept_invitation", accept)
        busy = student.post(path, body, headers=headers)
        assert busy.status_code == 409 and busy.get_json()["error"]["code"] == "REQUEST_IN_PROGRESS"
        clock.shift(timedelta(seconds=app.config.get("IDEMPOTENCY_LEASE", idempotency.DEFAULT_LEASE) + 1))
        retried = student.post(path, body, headers=headers)
        assert retried.status_code == 200, retried.get_json()
        replay = student.post(path, body, headers=headers)
    assert replay.headers["Idempotent-Replayed"] == "true" and replay.get_json() == retried.get_json()
    assert _accepts() == 1
    record = db.session.scalars(select(IdempotencyRecord)).one()
    assert (record.state, record.status_code, record.lease_until) == ("done", 200, None)


def test_an_attempt_that_lost_its_claim_rolls_its_write_back(db_session):
    """If an attempt outlives its lease and a retry takes the record over, does the first
    attempt's write roll back when it tries to store its answer (so the write happens once)?"""
    with time_machine.travel(utcnow(), tick=False) as clock:
        first = idempotency.claim("7", "slow-attempt-0001", "h" * 64)
        clock.shift(timedelta(seconds=idempotency.DEFAULT_LEASE + 1))
        second = idempotency.claim("7", "slow-attempt-0001", "h" * 64)
        assert isinstance(second, idempotency.Claim) and second.owner != first.owner

        def work():
            return SchoolFactory(code="88001")

        with pytest.raises(idempotency.ClaimLost):
            one_transaction(work, lambda _school: idempotency.complete(first, 200, "{}"))
        assert db_session.scalar(select(School).where(School.code == "88001")) is None
        one_transaction(work, lambda _school: idempotency.complete(second, 200, '{"ok": true}'))
    assert db_session.scalar(select(School).where(School.code == "88001")) is not None
    stored = idempotency.claim("7", "slow-attempt-0001", "h" * 64)
    assert stored == idempotency.Stored(200, '{"ok": true}')


def test_the_answer_is_stored_only_with_its_write(db_session):
    """When the write's transaction fails, is no answer stored (the key stays claimable), and
    the same key on another request 422?"""
    claim = idempotency.claim("8", "write-fails-00001", "a" * 64)

    def work():
        SchoolFactory(code="88002")
        raise RuntimeError("the write failed")

    with pytest.raises(RuntimeError):
        one_transaction(work, lambda _r: idempotency.complete(claim, 200, "{}"))
    idempotency.release(claim)
    assert db_session.scalar(select(School).where(School.code == "88002")) is None
    assert db_session.scalar(select(func.count()).select_from(IdempotencyRecord)) == 0
    again = idempotency.claim("8", "write-fails-00001", "a" * 64)
    with pytest.raises(idempotency.KeyReused):
        idempotency.claim("8", "write-fails-00001", "b" * 64)
    assert isinstance(again, idempotency.Claim)


def test_records_are_forgotten_after_their_day(db_session):
    """Are records past IDEMPOTENCY_TTL swept, and a key then usable for a new request?"""
    claim = idempotency.claim("9", "old-key-00000001", "c" * 64)
    one_transaction(lambda: None, lambda _r: idempotency.complete(claim, 200, "{}"))
    later = utcnow() + timedelta(seconds=idempotency.DEFAULT_TTL + 1)
    assert idempotency.purge_expired(now=later) == 1
    assert isinstance(idempotency.claim("9", "old-key-00000001", "d" * 64, now=later), idempotency.Claim)
