"""Past one machine: two app processes (gunicorn, different ephemeral ports) on one database and
one Redis, as two hosts behind nginx would be. A QR log-in started on one and confirmed on the
other, an invitation sent through one and accepted through the other: nothing lives in a
process's memory that the other needs.

Needs a Redis server both processes reach (WQ_TEST_REDIS_URL=redis://…); the database is the
suite's (a SQLite file both open, or MariaDB).
"""
from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from flask import Flask

from app.api.auth import issue_token
from app.extensions import db
from app.models import WechatApp, WechatIdentity
from tests.api_helpers import terms_json
from tests.conftest import TEST_PII_KEY, TEST_REDIS_URL, World

pytestmark = [
    pytest.mark.committing,
    pytest.mark.skipif(not TEST_REDIS_URL.startswith(("redis://", "rediss://", "unix://")),
                       reason="needs a real Redis shared by both app processes (WQ_TEST_REDIS_URL)"),
]

ROOT = Path(__file__).resolve().parent.parent
GUNICORN = Path(sys.executable).with_name("gunicorn")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _serve(app: Flask, log: Path) -> tuple[subprocess.Popen, str]:
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("WQ_")}
    env.update({
        "WQ_DATABASE_URL": app.config["DATABASE_URL"], "WQ_REDIS_URL": TEST_REDIS_URL,
        "WQ_JOBS_INLINE": "false", "WQ_TESTING": "true", "WQ_SECRET_KEY": "test-secret",
        "WQ_PII_KEYS": f'["{TEST_PII_KEY}"]', "WQ_PII_HASH_KEY": "test-hash-key",
        "WQ_WECHAT__EMULATOR": "true", "WQ_WECHAT__API_BASE": "http://127.0.0.1:9",
    })
    with log.open("wb") as out:
        proc = subprocess.Popen([str(GUNICORN), "-w", "1", "-b", f"127.0.0.1:{port}", "wsgi:app"],
                                cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline and proc.poll() is None:  # a bounded poll of a starting server
        try:
            if requests.get(f"{base}/healthz", timeout=10).status_code == 200:
                return proc, base
        except requests.RequestException:
            pass
        time.sleep(0.1)
    _stop(proc)
    raise AssertionError(f"{base} did not start: {log.read_text()}")


def _stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)


@pytest.fixture
def two_hosts(app: Flask, committing_db, tmp_path) -> Iterator[tuple[str, str]]:
    procs = []
    try:
        for name in ("a", "b"):
            procs.append(_serve(app, tmp_path / f"host-{name}.log"))
        yield procs[0][1], procs[1][1]
    finally:
        for proc, _ in procs:
            _stop(proc)


def test_a_qr_log_in_an_invitation_and_an_acceptance_cross_two_app_processes(app, two_hosts):
    """Does a desktop that asked host A for a QR code get logged in when the phone confirms on
    host B, and does a letter sent through A reach the student and get accepted through B?"""
    host_a, host_b = two_hosts
    with app.app_context():
        world = World()
        identity = WechatIdentity(app=WechatApp.MINIPROGRAM, appid="wxemu0miniprog001", openid="mp-two-hosts",
                                  account_id=world.student_account.id)
        db.session.add(identity)
        db.session.commit()
        phone = {"Authorization": f"Bearer {issue_token(world.student_account.id, identity.id)}"}
        hr = {"Authorization": f"Bearer {issue_token(world.hr.id)}"}
        student_id, student_name = world.student.id, world.student_account.display_name

    desktop = requests.Session()  # the browser, always on host A
    page = desktop.get(f"{host_a}/login", timeout=10)
    csrf = re.search(r'name="csrf-token" content="([^"]+)"', page.text).group(1)
    ticket = desktop.post(f"{host_a}/login/qr", json={"via": "local"}, headers={"X-CSRFToken": csrf},
                          timeout=10).json()
    assert desktop.get(f"{host_a}{ticket['poll_url']}", timeout=10).json()["state"] == "pending"

    scanned = requests.post(f"{host_b}/api/v1/auth/qr/{ticket['ticket']}/scan", headers=phone, timeout=10)
    assert scanned.status_code == 200, scanned.text
    assert desktop.get(f"{host_a}{ticket['poll_url']}", timeout=10).json()["state"] == "scanned"
    confirmed = requests.post(f"{host_b}/api/v1/auth/qr/{ticket['ticket']}/confirm", json={"confirm": True},
                              headers=phone, timeout=10)
    assert confirmed.status_code == 200, confirmed.text
    status = desktop.get(f"{host_a}{ticket['poll_url']}", timeout=10).json()
    assert status["state"] == "confirmed"
    done = desktop.get(f"{host_a}{status['redirect']}", timeout=10)
    assert done.status_code == 200 and student_name in done.text

    sent = requests.post(f"{host_a}/api/v1/employer/invitations", headers=hr, timeout=30,
                         json={"student_ids": [student_id], "terms": terms_json()})
    assert sent.status_code == 200 and sent.json()["sent"] == 1, sent.text
    invitation_id = sent.json()["results"][0]["invitation_id"]
    seen = requests.get(f"{host_b}/api/v1/student/invitations?status=open", headers=phone, timeout=10).json()
    assert [i["id"] for i in seen["items"]] == [invitation_id]
    accepted = requests.post(f"{host_b}/api/v1/student/invitations/{invitation_id}/accept", headers=phone,
                             json={"revision": 1, "confirm": True}, timeout=30)
    assert accepted.status_code == 200, accepted.text
    detail = requests.get(f"{host_a}/api/v1/employer/invitations/{invitation_id}", headers=hr, timeout=10).json()
    assert detail["state"] == "college_review"
    assert [entry["action"] for entry in detail["flow"]] == ["invite", "accept"]
