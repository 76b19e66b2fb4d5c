"""Fixtures for the WeChat tests: an app with the emulator on, a live server, signing helpers.

Import them with ``from tests.wechat_fixtures import *  # noqa: F401,F403``.
"""
from __future__ import annotations

import hashlib
import threading
from collections.abc import Iterator

import pytest
from flask import Flask
from werkzeug.serving import make_server

from devapp import create_app
from app.extensions import db
from tests import conftest as _conftest
from wechat import hooks
from wechat.clients import reset_clients

__all__ = ["emu_app", "emu", "live_app", "live", "scan_calls", "sign", "wx"]


def _emulator_app(app: Flask, **wechat) -> Flask:
    """A second app on the session's database and Redis, with the emulator mounted."""
    config = _conftest.test_config(app.config["DATABASE_URL"])
    return create_app(config | {"WECHAT": {"EMULATOR": True, **wechat}})


@pytest.fixture(scope="session")
def emu_app(app: Flask) -> Iterator[Flask]:
    """The emulator app for in-process tests. It shares the session app's engine, so the
    savepoint connection of ``db_session`` (matched by engine) also serves its requests."""
    emu = _emulator_app(app, API_BASE="http://emulator.invalid/_emulator")
    with emu.app_context():
        db.engine.dispose()
    with app.app_context():
        db._app_engines[emu] = db.engines  # Flask-SQLAlchemy keeps engines per app here
    yield emu


@pytest.fixture
def emu(emu_app: Flask, db_session):
    """Test client of the emulator app; DB work lands in the rolled-back db_session."""
    with emu_app.app_context():
        yield emu_app.test_client()


@pytest.fixture(scope="session")
def live_app(app: Flask) -> Iterator[Flask]:
    """The emulator app served over real HTTP on 127.0.0.1 (random port) in a thread."""
    live = _emulator_app(app)
    server = make_server("127.0.0.1", 0, live, threaded=True)
    base = f"http://127.0.0.1:{server.server_port}/_emulator"
    live.config["WECHAT"].update(API_BASE=base, MP_BASE=base, OPEN_BASE=base)
    thread = threading.Thread(target=server.serve_forever, name="live-emulator", daemon=True)
    thread.start()
    yield live
    server.shutdown()
    thread.join(timeout=5)
    server.server_close()
    with live.app_context():
        db.engine.dispose()


@pytest.fixture
def live(live_app: Flask, redis_client) -> Iterator[Flask]:
    """Inside the live app's context with empty Redis and fresh clients (no database use)."""
    with live_app.app_context():
        reset_clients()
        yield live_app
        reset_clients()


@pytest.fixture
def wx(emu_app: Flask, live_app: Flask, db_session, redis_client):
    """The emulator-enabled app (in-process, on the test's rolled-back session), calling WeChat
    at the live emulator server over HTTP."""
    saved = dict(emu_app.config["WECHAT"])
    base = live_app.config["WECHAT"]["API_BASE"]
    emu_app.config["WECHAT"].update(API_BASE=base, MP_BASE=base, OPEN_BASE=base)
    with emu_app.app_context():
        reset_clients()
        yield emu_app.test_client()
        reset_clients()
    emu_app.config["WECHAT"].update(saved)


@pytest.fixture
def scan_calls() -> Iterator[list[tuple[str, str]]]:
    """Registers a scan hook for the test; the list collects (scene, openid) per call."""
    seen: list[tuple[str, str]] = []

    def record(scene: str, openid: str) -> None:
        seen.append((scene, openid))

    hooks.on_scan(record)
    yield seen
    hooks.remove(record)


def sign(token: str, timestamp: str, nonce: str) -> str:
    """WeChat's callback signature: sha1 of the sorted token, timestamp and nonce."""
    return hashlib.sha1("".join(sorted([token, timestamp, nonce])).encode()).hexdigest()
