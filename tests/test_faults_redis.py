"""Issue 16: Redis frozen, killed or restarted under the app as deployed (gunicorn, its own
redis-server on a free port): every answer a JSON 503 within 2 s, routes that never touch Redis
unaffected, recovery with no restart, and no committed write turned into a failure.

Each test runs its own redis-server (tests/fault_servers.py); the database is the suite's.
"""
from __future__ import annotations

import re
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests
from flask import Flask
from sqlalchemy import func, select

from app import create_app
from app.api.auth import issue_token
from app.extensions import Breaker, db
from app.models import FlowEntry, IdempotencyRecord, Invitation, InvitationState, OutboxMessage
from tests import conftest as _conftest
from tests.conftest import World, empty_tables
from tests.factories import TEST_PASSWORD
from tests.fault_servers import Gunicorn, RedisServer, app_env, burst, fetch, wait_for

pytestmark = [pytest.mark.committing]

BOUND = 2.0  # s: every answer while Redis is frozen or dead (QUALITY.md "Faults")
CONCURRENCY = 16
WORKER_CLASS, WORKERS, THREADS = "sync", 4, 1  # as README's production section deploys it


# -- the breaker on its own (an injected clock: no waiting) ---------------------------------------


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_breaker_fails_fast_then_lets_one_probe_through():
    """Once a failure opened it, are calls refused until the cooldown passes, is exactly one
    probe then let through, and does the probe's success close it (its failure re-open it)?"""
    clock = FakeClock()
    breaker = Breaker("Redis test", cooldown=2, clock=clock)
    assert breaker.allow() and not breaker.is_open
    breaker.failure()
    assert breaker.is_open and not breaker.allow() and breaker.retry_after() == 2
    clock.now += 2.5
    assert breaker.allow()  # this thread probes …
    assert breaker.allow()  # … for its whole call (connect, then send)

    import threading

    others: list[bool] = []
    thread = threading.Thread(target=lambda: others.append(breaker.allow()))
    thread.start()
    thread.join()
    assert others == [False]  # everyone else still fails fast during the probe
    breaker.failure()  # the probe failed
    assert not breaker.allow()
    clock.now += 2.5
    assert breaker.allow()
    breaker.success()
    assert not breaker.is_open and breaker.trips == 1


# -- the deployed app -----------------------------------------------------------------------------


@dataclass
class Stack:
    redis: RedisServer
    server: Gunicorn
    local: Flask  # the test's own app on the same database and Redis (data, tokens)
    student_token: str
    hr_username: str
    invitation_id: int


def _make_world(local: Flask) -> tuple[str, str, int]:
    from app.domain.actors import Actor
    from app.services import invitations

    with local.app_context():
        world = World()
        db.session.commit()
        result = invitations.send_invitations(Actor.from_account(world.hr), [world.student.id],
                                              World.terms())[0]
        assert result.ok, result
        token = issue_token(world.student_account.id)
        return token, world.hr.username, result.invitation_id


@pytest.fixture(scope="module")
def stack(app: Flask, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    tmp = tmp_path_factory.mktemp("faults-redis")
    redis_server = RedisServer(tmp / "redis", aof=True).start()
    url = app.config["DATABASE_URL"]
    local = create_app(_conftest.test_config(url) | {"REDIS_URL": redis_server.url(), "JOBS_INLINE": False})
    server = None
    try:
        token, hr_username, invitation_id = _make_world(local)
        server = Gunicorn(app_env(tmp, url, redis_server.url()), tmp / "gunicorn.log", workers=WORKERS,
                          worker_class=WORKER_CLASS, threads=THREADS).start()
        yield Stack(redis_server, server, local, token, hr_username, invitation_id)
    finally:
        if server is not None:
            server.stop()
        redis_server.kill()
        with local.app_context():
            db.engine.dispose()
        with app.app_context():
            empty_tables()


def _web_login(stack: Stack) -> requests.Session:
    """A desktop browser logged in with a password (its session record lives in Redis)."""
    browser = requests.Session()
    form = browser.get(stack.server.base + "/login/password", timeout=10).text
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', form).group(1)
    done = browser.post(stack.server.base + "/login/password", timeout=10, data={
        "csrf_token": csrf, "username": stack.hr_username, "password": TEST_PASSWORD})
    # an employer user lands on the workbench (through /login/done)
    assert done.status_code == 200 and done.url.endswith("/employer/"), done.text
    assert any("/login/done" in r.url for r in done.history), [r.url for r in done.history]
    return browser


def _home(stack: Stack):
    return lambda: fetch(stack.server.base, "/api/v1/student/home", stack.student_token)


def _openapi(stack: Stack):
    return lambda: fetch(stack.server.base, "/api/v1/openapi.json")


def _warm(stack: Stack) -> None:
    """Every worker thread has answered and holds pooled connections."""
    answers = burst([_home(stack)] * CONCURRENCY)
    assert {a.status for a in answers} == {200}, answers


def _assert_fast_503s(answers, what: str) -> None:
    for answer in answers:
        assert answer.status == 503 and answer.code == "SERVICE_UNAVAILABLE", (what, answer)
        assert answer.content_type.startswith("application/json") and answer.retry_after, (what, answer)
        assert answer.seconds < BOUND, (what, answer)


def _recovered(stack: Stack) -> bool:
    return all(a.status == 200 for a in burst([_home(stack)] * 4))


def test_frozen_redis_under_16_concurrent_requests(stack: Stack):
    """With Redis frozen (SIGSTOP) and 16 requests at once that need it, is every answer a JSON
    503 SERVICE_UNAVAILABLE with Retry-After within 2 s; does a route that never touches Redis
    answer as usual meanwhile; does a desktop page get an HTML 503; and does the service come
    back by itself once Redis does?"""
    _warm(stack)
    browser = _web_login(stack)
    stack.redis.freeze()
    try:
        answers = burst([_home(stack)] * CONCURRENCY + [_openapi(stack)] * 4)
        _assert_fast_503s(answers[:CONCURRENCY], "frozen")
        for answer in answers[CONCURRENCY:]:
            assert answer.status == 200 and answer.seconds < BOUND, answer
        calm = fetch(stack.server.base, "/api/v1/openapi.json")  # no queue behind Redis calls
        assert calm.status == 200 and calm.seconds < 0.5, calm
        page = browser.get(stack.server.base + "/login/done", timeout=10)
        assert page.status_code == 503 and page.headers["Content-Type"].startswith("text/html")
        assert "服务暂时不可用" in page.text and page.headers["Retry-After"]
        style = browser.get(stack.server.base + "/static/css/login.css", timeout=10)  # the page's own
        assert style.status_code == 200 and style.elapsed.total_seconds() < BOUND
        health = fetch(stack.server.base, "/healthz")
        assert health.status == 503 and health.seconds < BOUND, health
    finally:
        stack.redis.thaw()
    wait_for(lambda: _recovered(stack), 10, "the app to use Redis again", interval=0.2)
    assert browser.get(stack.server.base + "/login/done", timeout=10).status_code == 200


def test_killed_redis_under_16_concurrent_requests_and_its_restart(stack: Stack):
    """With Redis killed, is every answer a fast JSON 503 while routes without Redis still work,
    and once it is restarted (AOF, as README requires) is everyone still logged in?"""
    _warm(stack)
    stack.redis.kill()
    try:
        answers = burst([_home(stack)] * CONCURRENCY + [_openapi(stack)] * 4)
        _assert_fast_503s(answers[:CONCURRENCY], "killed")
        assert all(a.status == 200 and a.seconds < BOUND for a in answers[CONCURRENCY:]), answers
    finally:
        stack.redis.start()
    # The token outlived the restart (appendonly): the same request succeeds again.
    wait_for(lambda: _recovered(stack), 10, "the app to use the restarted Redis", interval=0.2)
    assert requests.get(stack.server.base + "/healthz", timeout=10).json()["redis"]["aof"] is True


def test_redis_lost_without_persistence_logs_out_but_never_fails(app: Flask, committing_db, tmp_path):
    """What a Redis without persistence costs when it restarts: the token is gone, so the phone
    hears 401 AUTH_REQUIRED (and logs in again) — never a 500 or a 503 — while everything in the
    database (the account, its letters) is intact."""
    redis_server = RedisServer(tmp_path / "redis", aof=False).start()
    local = create_app(_conftest.test_config(app.config["DATABASE_URL"]) | {"REDIS_URL": redis_server.url()})
    try:
        with local.app_context():
            world = World()
            db.session.commit()
            token = issue_token(world.student_account.id)
            client = local.test_client()
            headers = {"Authorization": f"Bearer {token}"}
            assert client.get("/api/v1/student/home", headers=headers).status_code == 200
            redis_server.restart()
            lost = client.get("/api/v1/student/home", headers=headers)
            assert lost.status_code == 401 and lost.get_json()["error"]["code"] == "AUTH_REQUIRED"
            assert client.get("/healthz").get_json()["redis"]["aof"] is False  # what /healthz warns of
            fresh = issue_token(world.student_account.id)  # what a new wx.login leads to
            again = client.get("/api/v1/student/home", headers={"Authorization": f"Bearer {fresh}"})
            assert again.status_code == 200
    finally:
        redis_server.kill()
        with local.app_context():
            db.engine.dispose()


def test_redis_frozen_between_commit_and_answer(app: Flask, committing_db, tmp_path: Path):
    """Redis freezes right after an acceptance commits and before the answer is sent (the
    outbox's enqueue is the next thing to touch it): does the student still get the success,
    and a retry with the same Idempotency-Key the saved answer — never a day-long 409?"""
    redis_server = RedisServer(tmp_path / "redis", aof=True).start()
    url = app.config["DATABASE_URL"]
    local = create_app(_conftest.test_config(url) | {"REDIS_URL": redis_server.url(), "JOBS_INLINE": False})
    server = None
    try:
        token, _hr, invitation_id = _make_world(local)
        env = app_env(tmp_path, url, redis_server.url(), FAULTS_FREEZE_REDIS_PID=str(redis_server.proc.pid))
        server = Gunicorn(env, tmp_path / "gunicorn.log", workers=1, worker_class=WORKER_CLASS,
                          threads=THREADS, app="tests.fault_apps:commit_then_freeze()").start()
        accept = f"/api/v1/student/invitations/{invitation_id}/accept"
        headers = {"Idempotency-Key": "accept-after-commit-0001"}
        body = {"revision": 1, "confirm": True}
        started = time.monotonic()
        first = requests.post(server.base + accept, json=body, timeout=30,
                              headers={**headers, "Authorization": f"Bearer {token}"})
        took = time.monotonic() - started
        assert redis_server.frozen or _is_stopped(redis_server), "the fault never fired"
        redis_server.frozen = True
        assert first.status_code == 200, first.text
        assert first.json()["state"] == InvitationState.COLLEGE_REVIEW.value and took < BOUND, took
        redis_server.thaw()
        again = requests.post(server.base + accept, json=body, timeout=30,
                              headers={**headers, "Authorization": f"Bearer {token}"})
        assert again.status_code == 200 and again.headers.get("Idempotent-Replayed") == "true"
        assert again.json() == first.json()
        with local.app_context():
            assert db.session.scalar(select(Invitation.state).where(Invitation.id == invitation_id)) \
                == InvitationState.COLLEGE_REVIEW
            assert db.session.scalar(select(func.count()).select_from(FlowEntry).where(
                FlowEntry.subject_id == invitation_id, FlowEntry.action == "accept")) == 1
            record = db.session.scalars(select(IdempotencyRecord)).one()
            assert record.state == "done" and record.status_code == 200
            # The student's notification waits in the outbox for the relay (its enqueue failed).
            assert db.session.scalar(select(func.count()).select_from(OutboxMessage)) >= 2
    finally:
        if server is not None:
            server.stop()
        redis_server.kill()
        with local.app_context():
            db.engine.dispose()


def _is_stopped(server: RedisServer) -> bool:
    """Is the process in state T (stopped by a signal)?"""
    with open(f"/proc/{server.proc.pid}/stat") as stat:
        return stat.read().split(") ", 1)[1].startswith("T")

