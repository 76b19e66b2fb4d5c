"""Benchmarks: `make bench` (never part of `make test`). Results go to bench-results/*.json.

The session deploys the app as README says (gunicorn on an ephemeral port), the WeChat emulator
in a gunicorn of its own, against MariaDB (WQ_BENCH_DATABASE_URL, the `flask bench-data` set,
built first when missing or used up) and Redis (WQ_BENCH_REDIS_URL).
"""
from __future__ import annotations

import subprocess
from collections.abc import Iterator

import pytest
from flask import Flask
from sqlalchemy import text

from app import create_app
from app.extensions import db, redis_ext
from tests.bench import harness

# Open letters the write benchmarks consume per run; below this the data set is rebuilt.
MIN_OPEN_INVITATIONS = 20_000


def pytest_collection_modifyitems(config, items):
    for item in items:
        item.add_marker(pytest.mark.bench)


def _open_invitations(app: Flask) -> int:
    with app.app_context():
        try:
            return db.session.execute(text(
                "SELECT COUNT(*) FROM invitations WHERE state = 'invited' AND deadline_at > UTC_TIMESTAMP()"
                " AND student_id NOT IN (SELECT student_id FROM active_destinations)")).scalar()
        except Exception:  # noqa: BLE001 — no schema yet
            db.session.rollback()
            return 0
        finally:
            db.session.remove()


def _create_database(url: str) -> None:
    """CREATE DATABASE IF NOT EXISTS (utf8mb4), through the server without a default schema."""
    from sqlalchemy import create_engine
    from sqlalchemy.engine import make_url

    target = make_url(url)
    engine = create_engine(target.set(database=""))
    with engine.begin() as conn:
        conn.execute(text(f"CREATE DATABASE IF NOT EXISTS `{target.database}`"
                          " CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"))
    engine.dispose()


# Read by the hot paths; loaded into the buffer pool before measuring (a deployment's working
# set is warm; a cold one measures the disk, not the code).
WARM_TABLES = ("invitations", "invitation_revisions", "notifications", "students", "accounts",
               "employers", "flow_entries", "terminations", "active_destinations", "schools",
               "colleges", "majors", "favorites", "dict_entries", "wechat_identities")


def warm_buffer_pool() -> None:
    """Read every page of the hot tables and their indexes once (MySQL/MariaDB/TiDB syntax);
    the server's buffer pool and the data size are recorded with each result."""
    from sqlalchemy import inspect

    inspector = inspect(db.engine)
    with db.engine.connect() as conn:
        for table in WARM_TABLES:
            conn.execute(text(f"CHECKSUM TABLE {table}"))  # every row: the clustered index
            for index in inspector.get_indexes(table):
                conn.execute(text(f"SELECT COUNT(*) FROM {table} FORCE INDEX ({index['name']})"))
        sizes = conn.execute(text(
            "SELECT @@innodb_buffer_pool_size, SUM(data_length + index_length) FROM information_schema.tables"
            " WHERE table_schema = DATABASE()")).one()
    harness.SERVER.update(buffer_pool_mb=int(sizes[0]) // 2**20, data_mb=int(sizes[1] or 0) // 2**20)


@pytest.fixture(scope="session")
def emulator_port() -> int:
    return harness.free_port()


@pytest.fixture(scope="session")
def bench_app(emulator_port: int) -> Iterator[Flask]:
    """An in-process app on the bench database and Redis: tokens, setup and checks."""
    for url in (harness.DATABASE_URL, harness.SCRATCH_DATABASE_URL):
        _create_database(url)
    app = create_app(harness.app_overrides(
        api_base=f"http://127.0.0.1:{emulator_port}/_emulator"))
    flask = str(harness.VENV_BIN / "flask")
    if _open_invitations(app) < MIN_OPEN_INVITATIONS:
        subprocess.run([flask, "bench-data", "--reset"], cwd=harness.ROOT, env=harness.app_env(),
                       check=True, timeout=1800)
    else:  # a data set built before the latest migrations gets them (indexes), and the dictionaries
        for command in (["db", "upgrade"], ["load-dicts"]):
            subprocess.run([flask, *command], cwd=harness.ROOT, env=harness.app_env(), check=True,
                           timeout=1800)
    with app.app_context():
        redis_ext.client.flushdb()
        warm_buffer_pool()
    yield app
    with app.app_context():
        db.engine.dispose()


@pytest.fixture(scope="session")
def deployment(bench_app: Flask, emulator_port: int) -> Iterator[harness.Deployment]:
    """gunicorn serving the app, and the emulator served apart; stopped at the end by pid."""
    deploy = harness.Deployment()
    emulator_base = f"http://127.0.0.1:{emulator_port}/_emulator"
    env = harness.app_env(WQ_WECHAT__API_BASE=emulator_base)
    try:
        emulator = deploy.gunicorn("emulator", emulator_port, env, ["-w", "2", "-k", "gthread", "--threads", "8"])
        harness.wait_http(f"http://127.0.0.1:{emulator_port}/healthz", proc=emulator)
        port = harness.free_port()
        web = deploy.gunicorn("web", port, env)
        deploy.base_url = f"http://127.0.0.1:{port}"
        deploy.emulator_base = emulator_base
        harness.wait_http(f"{deploy.base_url}/healthz", proc=web)
        yield deploy
    finally:
        deploy.stop()
