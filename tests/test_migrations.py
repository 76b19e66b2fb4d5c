"""The schema is built only by the migrations: one head, and down-then-up works on both backends."""
from __future__ import annotations

import uuid

import pytest
from alembic.script import ScriptDirectory
from flask_migrate import downgrade, upgrade
from sqlalchemy import create_engine, inspect, text

from app import create_app
from tests.conftest import TEST_DATABASE_URL
from tests.conftest import test_config as make_config


def test_single_head(app):
    """Do the migrations have exactly one head (no forgotten merge)?"""
    with app.app_context():
        config = app.extensions["migrate"].migrate.get_config()
    assert len(ScriptDirectory.from_config(config).get_heads()) == 1


@pytest.fixture
def scratch_url(tmp_path):
    """An empty database of the backend under test, dropped afterwards."""
    if not TEST_DATABASE_URL.startswith("mysql"):
        yield f"sqlite:///{tmp_path / 'scratch.db'}"
        return
    name = f"wq_mig_{uuid.uuid4().hex[:8]}"
    server = create_engine(TEST_DATABASE_URL.rsplit("/", 1)[0] + "/?charset=utf8mb4")
    with server.begin() as conn:
        conn.execute(text(f"CREATE DATABASE {name} CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"))
    try:
        yield TEST_DATABASE_URL.rsplit("/", 1)[0] + f"/{name}?charset=utf8mb4"
    finally:
        with server.begin() as conn:
            conn.execute(text(f"DROP DATABASE {name}"))
        server.dispose()


def test_upgrade_downgrade_upgrade(scratch_url):
    """Can the schema be built, removed completely, and built again?"""
    from app.extensions import db

    app = create_app(make_config(scratch_url))
    with app.app_context():
        upgrade()
        tables = set(inspect(db.engine).get_table_names())
        assert {"students", "invitations", "flow_entries", "outbox_messages"} <= tables
        downgrade(revision="base")
        assert set(inspect(db.engine).get_table_names()) <= {"alembic_version"}
        upgrade()
        assert set(inspect(db.engine).get_table_names()) == tables
        if db.engine.dialect.name == "mysql":
            charset = db.session.execute(text(
                "SELECT CCSA.character_set_name FROM information_schema.TABLES T "
                "JOIN information_schema.COLLATION_CHARACTER_SET_APPLICABILITY CCSA "
                "ON CCSA.collation_name = T.table_collation "
                "WHERE T.table_schema = DATABASE() AND T.table_name = 'students'")).scalar()
            assert charset == "utf8mb4"
        db.session.remove()
        db.engine.dispose()
