"""Shared fixtures: one app per test session on the chosen backends, a rolled-back session per test.

Backends: SQLite + fakeredis by default; WQ_TEST_DATABASE_URL / WQ_TEST_REDIS_URL select
MariaDB and a real Redis (CI sets both). The schema is built by the Alembic migrations.
"""
from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from flask import Flask
from flask_migrate import upgrade
from sqlalchemy import MetaData, text

from app import create_app
from app.extensions import db, redis_ext

TEST_DATABASE_URL = os.environ.get("WQ_TEST_DATABASE_URL", "")
TEST_REDIS_URL = os.environ.get("WQ_TEST_REDIS_URL", "memory://")
# A fixed test key: Fernet keys are 32 url-safe base64 bytes.
TEST_PII_KEY = "d3EtdGVzdC1rZXktMDEyMzQ1Njc4OWFiY2RlZmdoaWo="


def test_config(database_url: str) -> dict:
    return {
        "TESTING": True,
        "DATABASE_URL": database_url,
        "REDIS_URL": TEST_REDIS_URL,
        "SECRET_KEY": "test-secret",
        "PII_KEYS": [TEST_PII_KEY],
        "PII_HASH_KEY": "test-hash-key",
        "JOBS_INLINE": True,
        "WTF_CSRF_ENABLED": True,
    }


def _drop_everything() -> None:
    """Start from an empty database so the migrations themselves build the schema."""
    meta = MetaData()
    meta.reflect(bind=db.engine)
    with db.engine.begin() as conn:
        if db.engine.dialect.name == "mysql":
            conn.execute(text("SET FOREIGN_KEY_CHECKS=0"))
        for table in reversed(meta.sorted_tables):
            conn.execute(text(f"DROP TABLE {conn.dialect.identifier_preparer.quote(table.name)}"))
        if db.engine.dialect.name == "mysql":
            conn.execute(text("SET FOREIGN_KEY_CHECKS=1"))


@pytest.fixture(scope="session")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    url = TEST_DATABASE_URL or f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}"
    app = create_app(test_config(url))
    with app.app_context():
        _drop_everything()
        upgrade()
    yield app
    with app.app_context():
        db.engine.dispose()


@pytest.fixture
def is_mysql(app: Flask) -> bool:
    return app.config["DATABASE_URL"].startswith("mysql")


@pytest.fixture
def redis_client(app: Flask):
    with app.app_context():
        redis_ext.client.flushdb()
        yield redis_ext.client


@pytest.fixture
def db_session(app: Flask, redis_client) -> Iterator:
    """A session inside an outer transaction: services' commits release savepoints, then all rolls back."""
    with app.app_context():
        connection = db.engine.connect()
        outer = connection.begin()
        original = db.session
        db.session = db._make_scoped_session(
            {"bind": connection, "join_transaction_mode": "create_savepoint"})
        try:
            yield db.session
        finally:
            db.session.remove()
            db.session = original
            outer.rollback()
            connection.close()


@pytest.fixture
def committing_db(app: Flask, redis_client) -> Iterator:
    """Real commits, for tests with several threads or processes; every table is emptied after."""
    with app.app_context():
        yield db
        db.session.remove()
        meta = db.metadata
        with db.engine.begin() as conn:
            if db.engine.dialect.name == "mysql":
                conn.execute(text("SET FOREIGN_KEY_CHECKS=0"))
            for table in reversed(meta.sorted_tables):
                conn.execute(table.delete())
            if db.engine.dialect.name == "mysql":
                conn.execute(text("SET FOREIGN_KEY_CHECKS=1"))


@pytest.fixture
def client(app: Flask, db_session):
    return app.test_client()


@pytest.fixture
def runner(app: Flask, db_session):
    return app.test_cli_runner()


def pytest_collection_modifyitems(config, items):
    if TEST_DATABASE_URL.startswith("mysql"):
        return
    skip = pytest.mark.skip(reason="needs WQ_TEST_DATABASE_URL pointing at MariaDB/MySQL")
    for item in items:
        if "mysql" in item.keywords:
            item.add_marker(skip)
