"""Issue 16: the database stopped, frozen and restarted under the app as deployed (gunicorn, its
own MariaDB and redis-server on free ports): JSON 503 SERVICE_UNAVAILABLE with Retry-After on
every route that needs it (an HTML 503 for desktop pages) within seconds, routes without the
database unaffected, and recovery with no restart of the app.
"""
from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
import requests
from flask_migrate import upgrade

from app import create_app
from app.api.auth import issue_token
from app.extensions import db
from tests import conftest as _conftest
from tests.conftest import World
from tests.factories import TEST_PASSWORD
from tests.fault_servers import Gunicorn, MariaDBServer, RedisServer, app_env, burst, fetch, wait_for
from tests.test_faults_redis import CONCURRENCY, THREADS, WORKER_CLASS, WORKERS

pytestmark = [pytest.mark.mysql, pytest.mark.committing]

# A frozen server: the pooled connection's ping waits DB_READ_TIMEOUT (3 s), then the breaker
# answers everyone at once. A stopped one refuses connections at once.
FROZEN_BOUND = 4.0
STOPPED_BOUND = 2.0


@dataclass
class Stack:
    mariadb: MariaDBServer
    redis: RedisServer
    server: Gunicorn
    token: str
    username: str


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    tmp = tmp_path_factory.mktemp("faults-db")
    mariadb = MariaDBServer(tmp / "mariadb").install().start()
    redis_server = RedisServer(tmp / "redis", aof=True).start()
    server = None
    try:
        mariadb.execute("CREATE DATABASE wq CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci")
        local = create_app(_conftest.test_config(mariadb.url()) | {"REDIS_URL": redis_server.url(),
                                                                   "JOBS_INLINE": False})
        with local.app_context():
            upgrade()
            world = World()
            db.session.commit()
            token, username = issue_token(world.student_account.id), world.hr.username
            db.engine.dispose()
        server = Gunicorn(app_env(tmp, mariadb.url(), redis_server.url()), tmp / "gunicorn.log",
                          workers=WORKERS, worker_class=WORKER_CLASS, threads=THREADS).start()
        yield Stack(mariadb, redis_server, server, token, username)
    finally:
        if server is not None:
            server.stop()
        redis_server.kill()
        mariadb.kill()


def _home(stack: Stack):
    return lambda: fetch(stack.server.base, "/api/v1/student/home", stack.token)


def _openapi(stack: Stack):
    return lambda: fetch(stack.server.base, "/api/v1/openapi.json")


def _recovered(stack: Stack) -> bool:
    return all(a.status == 200 for a in burst([_home(stack)] * 4))


def _web_login(stack: Stack) -> requests.Session:
    browser = requests.Session()
    form = browser.get(stack.server.base + "/login/password", timeout=10).text
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', form).group(1)
    done = browser.post(stack.server.base + "/login/password", timeout=10, data={
        "csrf_token": csrf, "username": stack.username, "password": TEST_PASSWORD})
    # an employer user lands on the workbench (through /login/done)
    assert done.status_code == 200 and done.url.endswith("/employer/"), done.text
    assert any("/login/done" in r.url for r in done.history), [r.url for r in done.history]
    return browser


def _assert_503s(answers, bound: float, what: str) -> None:
    for answer in answers:
        assert answer.status == 503 and answer.code == "SERVICE_UNAVAILABLE", (what, answer)
        assert answer.content_type.startswith("application/json") and answer.retry_after, (what, answer)
        assert answer.seconds < bound, (what, answer)


def test_database_stopped_then_restarted(stack: Stack):
    """With MariaDB shut down, does every request that needs it get a JSON 503 with Retry-After
    at once (a page an HTML one), while a route without the database answers as usual; and once
    MariaDB is back, does the same app serve again with no restart?"""
    burst([_home(stack)] * CONCURRENCY)
    browser = _web_login(stack)
    stack.mariadb.stop()
    try:
        answers = burst([_home(stack)] * CONCURRENCY + [_openapi(stack)] * 4)
        _assert_503s(answers[:CONCURRENCY], STOPPED_BOUND, "stopped")
        assert all(a.status == 200 and a.seconds < STOPPED_BOUND for a in answers[CONCURRENCY:]), answers
        page = browser.get(stack.server.base + "/login/done", timeout=10)
        assert page.status_code == 503 and page.headers["Content-Type"].startswith("text/html")
        assert "服务暂时不可用" in page.text and page.headers["Retry-After"]
        # A write as well (with its Idempotency-Key: no record can be kept either).
        write = fetch(stack.server.base, "/api/v1/student/invitations/1/accept", stack.token, method="POST",
                      json={"revision": 1, "confirm": True}, headers={"Idempotency-Key": "db-down-0001"})
        assert write.status == 503 and write.code == "SERVICE_UNAVAILABLE", write
    finally:
        stack.mariadb.start()
    wait_for(lambda: _recovered(stack), 15, "the app to use the restarted database", interval=0.2)
    assert browser.get(stack.server.base + "/login/done", timeout=10).status_code == 200


def test_database_frozen_under_16_concurrent_requests(stack: Stack):
    """With MariaDB frozen (SIGSTOP), do 16 requests at once all get a JSON 503 within seconds
    (not gunicorn's 30 s and its HTML 500), and does the app recover once it thaws?"""
    burst([_home(stack)] * CONCURRENCY)
    stack.mariadb.freeze()
    try:
        answers = burst([_home(stack)] * CONCURRENCY + [_openapi(stack)] * 4)
        _assert_503s(answers[:CONCURRENCY], FROZEN_BOUND, "frozen")
        assert all(a.status == 200 and a.seconds < FROZEN_BOUND for a in answers[CONCURRENCY:]), answers
        again = burst([_home(stack)] * CONCURRENCY)  # the breaker is open: at once
        _assert_503s(again, STOPPED_BOUND, "frozen, known down")
    finally:
        stack.mariadb.thaw()
    wait_for(lambda: _recovered(stack), 15, "the app to use the thawed database", interval=0.2)


def test_healthz_names_the_database(stack: Stack):
    """Does /healthz say which dependency is down, quickly, and recover with it?"""
    stack.mariadb.freeze()
    try:
        health = requests.get(stack.server.base + "/healthz", timeout=10)
        body = health.json()
        assert health.status_code == 503 and not body["database"]["ok"] and body["redis"]["ok"]
    finally:
        stack.mariadb.thaw()
    wait_for(lambda: requests.get(stack.server.base + "/healthz", timeout=10).status_code == 200, 15,
             "/healthz to recover", interval=0.2)

