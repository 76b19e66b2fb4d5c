"""A real RQ worker process killed (SIGKILL) in the middle of a delivery: the outbox relay and a
new worker deliver the message exactly once.

Needs a Redis server shared by this process and the workers (WQ_TEST_REDIS_URL=redis://…);
runs on SQLite (a file both processes open) or MariaDB. Waits are bounded polls of state.
"""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from flask import Flask
from rq.registry import StartedJobRegistry
from sqlalchemy import select

from app import create_app
from app.extensions import db, redis_ext
from app.models import Delivery, DeliveryStatus, OutboxMessage, OutboxStatus, WechatApp, WechatIdentity
from app.services.outbox import relay_due
from tests.api_helpers import ApiClient, terms_json
from tests import conftest as _conftest
from tests.conftest import TEST_PII_KEY, TEST_REDIS_URL, World
from tests.wechat_fixtures import *  # noqa: F401,F403
from wechat.emulator import sent_messages
from wechat.emulator.core import unionid_for

pytestmark = [
    pytest.mark.committing,
    pytest.mark.skipif(not TEST_REDIS_URL.startswith(("redis://", "rediss://", "unix://")),
                       reason="needs a real Redis shared with worker processes (WQ_TEST_REDIS_URL)"),
]

ROOT = Path(__file__).resolve().parent.parent
PAUSED = "wq:test:delivery-worker-paused"
SEND_LEASE = 5  # s: the killed worker's claim, after which another worker may send

# Worker A: a SimpleWorker whose delivery stops after committing its claim, before calling
# WeChat, and tells the test so: the moment a SIGKILL does the most damage.
WORKER_A = f"""
import time
from rq import SimpleWorker
from app import create_app
from app.extensions import redis_ext
from app.services import delivery

def hold(claimed, *_args):
    redis_ext.client.set({PAUSED!r}, claimed.id)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:  # until SIGKILL
        time.sleep(0.05)

delivery.send_one = hold
app = create_app()
with app.app_context():
    SimpleWorker([redis_ext.queue("notifications")], connection=redis_ext.client).work(burst=True)
"""


def wait_for(check: Callable[[], object], timeout: float, what: str) -> object:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = check()
        if result:
            return result
        time.sleep(0.05)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


@pytest.fixture(scope="module")
def producer(app: Flask, live_app: Flask) -> Iterator[Flask]:
    """The web side: real RQ queues on the shared Redis, WeChat at the live emulator."""
    web = create_app(_conftest.test_config(app.config["DATABASE_URL"]) | {
        "JOBS_INLINE": False,
        "WECHAT": {"EMULATOR": True, "API_BASE": live_app.config["WECHAT"]["API_BASE"]}})
    yield web
    with web.app_context():
        db.engine.dispose()


@pytest.fixture
def worker_env(app: Flask, live_app: Flask) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("WQ_")}
    env.update({
        "FLASK_APP": "wsgi.py", "PYTHONUNBUFFERED": "1",
        "WQ_DATABASE_URL": app.config["DATABASE_URL"], "WQ_REDIS_URL": TEST_REDIS_URL,
        "WQ_JOBS_INLINE": "false", "WQ_SECRET_KEY": "test-secret",
        "WQ_PII_KEYS": f'["{TEST_PII_KEY}"]', "WQ_PII_HASH_KEY": "test-hash-key",
        "WQ_WECHAT__EMULATOR": "true", "WQ_WECHAT__API_BASE": live_app.config["WECHAT"]["API_BASE"],
    })
    return env


def test_killed_worker_mid_delivery_leads_to_exactly_one_message(
        committing_db, live, producer, worker_env, tmp_path):
    """If the worker sending an invitation's message is SIGKILLed after claiming it, does the
    relay hand it to a new worker once the claim's lease passes, with exactly one message at
    WeChat and one delivery recorded as sent?"""
    with producer.app_context():
        world = World()
        db.session.add(WechatIdentity(
            app=WechatApp.OFFICIAL, appid=producer.config["WECHAT"]["OFFICIAL"]["APPID"],
            openid="oa-killed", unionid=unionid_for("oa-killed"),
            account_id=world.student_account.id, follows=True))
        db.session.commit()
        hr = ApiClient(producer.test_client(), world.hr)
        sent = hr.post("/employer/invitations", {"student_ids": [world.student.id],
                                                 "terms": terms_json()})
        assert sent.status_code == 200 and sent.get_json()["sent"] == 1, sent.get_json()
        assert redis_ext.queue("notifications").count == 1  # enqueued after the commit

    log_a = (tmp_path / "worker-a.log").open("wb")
    worker_a = subprocess.Popen(
        [sys.executable, "-c", WORKER_A], cwd=ROOT, stdout=log_a, stderr=subprocess.STDOUT,
        env=worker_env | {"WQ_DELIVERY__SEND_LEASE": str(SEND_LEASE)})
    try:
        wait_for(lambda: redis_ext.client.get(PAUSED) or worker_a.poll() is not None, 60,
                 "worker A to claim the delivery")
        assert worker_a.poll() is None, (tmp_path / "worker-a.log").read_text()
        os.kill(worker_a.pid, signal.SIGKILL)
        assert worker_a.wait(timeout=10) == -signal.SIGKILL
    finally:
        if worker_a.poll() is None:
            worker_a.kill()
            worker_a.wait(timeout=10)
        log_a.close()

    with producer.app_context():
        [claimed] = db.session.scalars(select(Delivery)).all()
        assert claimed.status == DeliveryStatus.PENDING and claimed.attempts == 1
        claim_id = claimed.client_msg_id
        assert sent_messages(touser="oa-killed") == []
        # RQ keeps the dead worker's job as started and will not run it again.
        assert redis_ext.queue("notifications").count == 0
        assert len(StartedJobRegistry(queue=redis_ext.queue("notifications"))) == 1
        db.session.rollback()

        assert relay_due() == 0  # worker A's claim is still within its lease
        wait_for(relay_due, SEND_LEASE + 30, "the relay to re-enqueue the row")

    worker_b = subprocess.run(
        [sys.executable, "-m", "flask", "worker", "--burst", "-q", "notifications"], cwd=ROOT,
        env=worker_env, capture_output=True, text=True, timeout=120)
    assert worker_b.returncode == 0, worker_b.stdout + worker_b.stderr

    with producer.app_context():
        [message] = sent_messages(touser="oa-killed")
        [delivery] = db.session.scalars(select(Delivery)).all()
        assert delivery.status == DeliveryStatus.SENT and delivery.attempts == 2
        assert delivery.client_msg_id == claim_id
        assert delivery.msgid == str(message["msgid"])
        outbox = db.session.scalars(select(OutboxMessage)).one()
        assert outbox.status == OutboxStatus.SENT
        assert relay_due() == 0
        db.session.rollback()
