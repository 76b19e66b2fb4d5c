"""Issue 16: pushes held up by Redis go out once it is back, without waiting for the relay's
300 s lease — whether the enqueue after the commit failed (Redis frozen) or the queue itself was
lost (Redis restarted without persistence).

In-process tests pin the relay's rules; end-to-end tests run `flask worker` and `flask
scheduler` as deployed, on a redis-server of their own, with WeChat at the live emulator.
"""
from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from flask import Flask
from redis.exceptions import ConnectionError as RedisConnectionError
from sqlalchemy import select

from app import create_app
from app.clock import utcnow
from app.domain.actors import Actor
from app.extensions import db, redis_ext
from app.models import OutboxMessage, OutboxStatus, WechatApp, WechatIdentity
from app.services import invitations, outbox
from tests import conftest as _conftest
from tests.conftest import World
from tests.fault_servers import ROOT, RedisServer, app_env, wait_for
from tests.wechat_fixtures import *  # noqa: F401,F403
from wechat.emulator import sent_messages
from wechat.emulator.core import unionid_for

pytestmark = [pytest.mark.committing]

CATCH_UP = 30.0  # s from Redis being back to the message at WeChat (relay every 10 s)


def _producer(app: Flask, live_app: Flask, redis_url: str) -> Flask:
    """The web side: RQ queues on ``redis_url``, WeChat at the live emulator."""
    return create_app(_conftest.test_config(app.config["DATABASE_URL"]) | {
        "REDIS_URL": redis_url, "JOBS_INLINE": False,
        "WECHAT": {"EMULATOR": True, "API_BASE": live_app.config["WECHAT"]["API_BASE"]}})


def _world_following(producer: Flask, openid: str) -> World:
    world = World()
    db.session.add(WechatIdentity(
        app=WechatApp.OFFICIAL, appid=producer.config["WECHAT"]["OFFICIAL"]["APPID"], openid=openid,
        unionid=unionid_for(openid), account_id=world.student_account.id, follows=True))
    db.session.commit()
    return world


def _invite(world: World) -> int:
    result = invitations.send_invitations(Actor.from_account(world.hr), [world.student.id], World.terms())[0]
    assert result.ok, result
    return result.invitation_id


def _student_rows() -> list[OutboxMessage]:
    return db.session.scalars(select(OutboxMessage).execution_options(populate_existing=True)).all()


# -- the relay's rules, in-process ---------------------------------------------------------------


@pytest.fixture
def local(app: Flask, live_app: Flask, committing_db) -> Iterator[Flask]:
    producer = _producer(app, live_app, _conftest.TEST_REDIS_URL)
    with producer.app_context():
        redis_ext.client.flushdb()
        yield producer
    with producer.app_context():
        db.engine.dispose()


def test_a_failed_enqueue_gives_the_lease_back(local, monkeypatch):
    """When Redis refuses the enqueue after a commit, is the row due at once (not in 300 s),
    so the relay's next run — Redis being back — sends it?"""
    world = _world_following(local, "oa-failed-enqueue")

    def redis_down(_rows):
        raise RedisConnectionError("Redis is down")

    monkeypatch.setattr(outbox, "enqueue", redis_down)
    _invite(world)
    monkeypatch.undo()
    rows = _student_rows()
    assert rows and all(r.next_attempt_at <= utcnow() for r in rows), [r.next_attempt_at for r in rows]
    assert outbox.relay_due() == len(rows)
    assert redis_ext.queue("notifications").count >= 1


def test_a_lost_queue_is_noticed_at_the_next_run(local):
    """Jobs were queued, then Redis lost its data (a restart without persistence): does the
    relay's next run make the leased rows due and enqueue them again — and, while Redis keeps
    its data, leave leased rows alone?"""
    world = _world_following(local, "oa-lost-queue")
    assert outbox.relay_due() == 0  # the relay has looked once: its token is in Redis and the database
    _invite(world)
    rows = _student_rows()
    assert rows and all(r.next_attempt_at > utcnow() + timedelta(seconds=200) for r in rows)
    assert redis_ext.queue("notifications").count == 1
    assert outbox.relay_due() == 0  # queued, Redis intact: the lease holds
    redis_ext.client.flushdb()  # what a restart without persistence leaves
    assert outbox.relay_due() == len(rows)
    assert redis_ext.queue("notifications").count == 1
    assert outbox.relay_due() == 0  # once


# -- as deployed: worker and scheduler processes -----------------------------------------------


class Jobs:
    """`flask worker` and `flask scheduler` on the given Redis, logging to files."""

    def __init__(self, env: dict[str, str], logs: Path) -> None:
        self.env, self.logs, self.procs = env, logs, []

    def start(self) -> Jobs:
        for name, args in (("worker", ["worker", "-q", "notifications", "-q", "default", "-q", "low"]),
                           ("scheduler", ["scheduler"])):
            log = (self.logs / f"{name}.log").open("ab")
            self.procs.append((subprocess.Popen([sys.executable, "-m", "flask", *args], cwd=ROOT,
                                                env=self.env, stdout=log, stderr=subprocess.STDOUT), log))
        return self

    def stop(self) -> None:
        for proc, log in self.procs:
            proc.terminate()
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=10)
            log.close()
        self.procs = []

    def alive(self) -> bool:
        return all(proc.poll() is None for proc, _ in self.procs)


@pytest.fixture
def deployed(app: Flask, live, committing_db, tmp_path: Path):
    """A private redis-server (no persistence), the producer app on it, worker and scheduler."""
    redis_server = RedisServer(tmp_path / "redis", aof=False).start()
    producer = _producer(app, live, redis_server.url())
    env = app_env(tmp_path, app.config["DATABASE_URL"], redis_server.url(),
                  WQ_WECHAT__EMULATOR="true", WQ_WECHAT__API_BASE=live.config["WECHAT"]["API_BASE"])
    jobs = Jobs(env, tmp_path)
    try:
        yield redis_server, producer, jobs
    finally:
        jobs.stop()
        redis_server.kill()
        with producer.app_context():
            db.engine.dispose()


def _delivered(openid: str) -> bool:
    return bool(sent_messages(touser=openid))


def _relay_has_run(producer: Flask) -> bool:
    with producer.app_context():
        return redis_ext.client.get(outbox.MARKER_KEY) is not None


def test_redis_frozen_at_the_enqueue_then_back(deployed, live):
    """Redis freezes while an invitation commits (its enqueue times out): once Redis thaws, does
    the running worker and scheduler deliver the message within seconds, once?"""
    redis_server, producer, jobs = deployed
    jobs.start()
    wait_for(lambda: _relay_has_run(producer), 60, "the scheduler's first relay")
    with producer.app_context():
        world = _world_following(producer, "oa-frozen-enqueue")
        redis_server.freeze()
        try:
            started = time.monotonic()
            _invite(world)  # commits; the enqueue after it fails fast (0.5 s, then the breaker)
            assert time.monotonic() - started < 2.0
            assert all(r.status == OutboxStatus.PENDING for r in _student_rows())
        finally:
            redis_server.thaw()
    back = time.monotonic()
    wait_for(lambda: _delivered("oa-frozen-enqueue"), CATCH_UP, "the message after Redis thawed",
             interval=0.1)
    print(f"\ncatch-up after a frozen enqueue: {time.monotonic() - back:.1f} s")
    assert jobs.alive()
    wait_for(lambda: _rows(producer) == [OutboxStatus.SENT], 10, "the student's row SENT")
    assert len(sent_messages(touser="oa-frozen-enqueue")) == 1


def test_redis_restarted_without_persistence_loses_the_queue_not_the_message(deployed, live):
    """With the worker stopped, an invitation's job is queued; then Redis restarts empty (no
    persistence). Once the worker is back, does the message go out within seconds — not after
    the 300 s lease — and exactly once?"""
    redis_server, producer, jobs = deployed
    jobs.start()
    wait_for(lambda: _relay_has_run(producer), 60, "the scheduler's first relay")
    jobs.stop()
    with producer.app_context():
        world = _world_following(producer, "oa-lost-queue-e2e")
        _invite(world)
        assert redis_ext.queue("notifications").count == 1
    redis_server.restart()  # empty: the job is gone, the outbox row is not
    back = time.monotonic()
    jobs.start()
    wait_for(lambda: _delivered("oa-lost-queue-e2e"), CATCH_UP, "the message after Redis restarted",
             interval=0.1)
    print(f"\ncatch-up after a lost queue: {time.monotonic() - back:.1f} s")
    wait_for(lambda: _rows(producer) == [OutboxStatus.SENT], 10, "the student's row SENT")
    assert len(sent_messages(touser="oa-lost-queue-e2e")) == 1


def _rows(producer: Flask) -> list[OutboxStatus]:
    """The statuses of the student's outbox rows."""
    from app.models import Notification, RecipientType

    with producer.app_context():
        statuses = db.session.scalars(
            select(OutboxMessage.status).join(Notification, Notification.id == OutboxMessage.notification_id)
            .where(Notification.recipient_type == RecipientType.STUDENT)).all()
        db.session.rollback()
        return statuses
