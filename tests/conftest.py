"""Shared fixtures: one app per test session on the chosen backends, a rolled-back session per test.

Backends: SQLite + fakeredis by default; WQ_TEST_DATABASE_URL / WQ_TEST_REDIS_URL select
MariaDB and a real Redis (CI sets both). The schema is built by the Alembic migrations.
"""
from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from flask import Flask, g, has_app_context
from flask.testing import FlaskClient
from flask_migrate import upgrade
from sqlalchemy import MetaData, text

from app import create_app
from app.extensions import db, redis_ext

TEST_DATABASE_URL = os.environ.get("WQ_TEST_DATABASE_URL", "")
TEST_REDIS_URL = os.environ.get("WQ_TEST_REDIS_URL", "memory://")
# A fixed test key: Fernet keys are 32 url-safe base64 bytes.
TEST_PII_KEY = "d3EtdGVzdC1rZXktMDEyMzQ1Njc4OWFiY2RlZmdoaWo="


class FreshRequestClient(FlaskClient):
    """Each request starts with an empty ``g``, as it does in production. A test keeps an app
    context pushed (db_session), and Flask reuses a pushed context of the same app for the
    request, so without this the previous request's caller would still be in ``g``."""

    def open(self, *args, **kwargs):
        if has_app_context():
            for key in list(g):
                g.pop(key)
        return super().open(*args, **kwargs)


Flask.test_client_class = FreshRequestClient  # every app the tests build


def test_config(database_url: str) -> dict:
    return {
        "TESTING": True,
        "DATABASE_URL": database_url,
        "REDIS_URL": TEST_REDIS_URL,
        "SECRET_KEY": "test-secret",
        "PII_KEYS": [TEST_PII_KEY],
        "PII_HASH_KEY": "test-hash-key",
        "FLOW_LOG_KEY": "test-flow-log-key",
        "AGREEMENT_MAC_KEY": "test-agreement-mac-key",
        "JOBS_INLINE": True,
        # Render requests are recorded, not rendered after every commit (~0.25 s each): the
        # e-agreement tests switch it on (tests/test_agreement_documents.py, ``rendering``).
        "DOCUMENTS": {"ON_COMMIT": False},
        "WTF_CSRF_ENABLED": True,
        # Never the real WeChat from a test: a closed local port fails at once. Tests that
        # talk WeChat use the emulator (tests/wechat_fixtures.py).
        "WECHAT": {"API_BASE": "http://127.0.0.1:9", "MP_BASE": "http://127.0.0.1:9",
                   "OPEN_BASE": "http://127.0.0.1:9"},
    }


def _drop_everything() -> None:
    """Start from an empty database so the migrations themselves build the schema."""
    meta = MetaData()
    meta.reflect(bind=db.engine)
    mysql = db.engine.dialect.name == "mysql"
    with db.engine.begin() as conn:
        conn.execute(text("SET FOREIGN_KEY_CHECKS=0" if mysql else "PRAGMA foreign_keys=OFF"))
        for name in meta.tables:  # unsorted: reflected accounts/employers FKs form a cycle
            conn.execute(text(f"DROP TABLE {conn.dialect.identifier_preparer.quote(name)}"))
        conn.execute(text("SET FOREIGN_KEY_CHECKS=1" if mysql else "PRAGMA foreign_keys=ON"))


@pytest.fixture(scope="session")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    url = TEST_DATABASE_URL or f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}"
    app = create_app(test_config(url))
    with app.app_context():
        _drop_everything()
        upgrade()
        # Every letter's codes are checked against them; loaded once, kept by every test.
        from app.services.dictionaries import load_dictionaries

        load_dictionaries()
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
    """A session inside an outer transaction: services' commits release savepoints, then all rolls back.

    Flask-SQLAlchemy 3.1's Session.get_bind ignores a "bind" session option, so the default
    engine entry itself is pointed at the test's connection for the duration of the test.
    """
    with app.app_context():
        connection = db.engine.connect()
        outer = connection.begin()
        original_session, original_engine = db.session, db.engines[None]
        db.engines[None] = connection
        db.session = db._make_scoped_session({"join_transaction_mode": "create_savepoint"})
        try:
            yield db.session
        finally:
            db.session.remove()
            db.session = original_session
            db.engines[None] = original_engine
            outer.rollback()
            connection.close()


@pytest.fixture
def committing_db(app: Flask, redis_client) -> Iterator:
    """Real commits, for tests with several threads or processes; every table is emptied after."""
    with app.app_context():
        yield db
        db.session.remove()
        empty_tables()


def empty_tables() -> None:
    """Delete every row but the dictionaries (in the current app context's database); the shipped
    entries a test's admin edited come back as shipped."""
    meta = db.metadata
    with db.engine.begin() as conn:
        if db.engine.dialect.name == "mysql":
            conn.execute(text("SET FOREIGN_KEY_CHECKS=0"))
        # accounts ↔ employers point at each other (verified_by_id): break the cycle first.
        conn.execute(text("UPDATE employers SET verified_by_id = NULL"))
        edited = conn.execute(text("DELETE FROM dict_entries WHERE edited_at IS NOT NULL")).rowcount
        for table in reversed(meta.sorted_tables):
            if table.name != "dict_entries":  # loaded once per session (the app fixture)
                conn.execute(table.delete())
        if db.engine.dialect.name == "mysql":
            conn.execute(text("SET FOREIGN_KEY_CHECKS=1"))
    if edited:
        from app.services.dictionaries import load_dictionaries

        load_dictionaries()


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


class World:
    """A school with two colleges, students, a verified employer with two users, another
    employer, and reviewers — the cast most signing tests need."""

    def __init__(self) -> None:
        from app.domain.actors import Actor
        from app.models import ReviewLevels, Role
        from tests.factories import (AccountFactory, CollegeFactory, EmployerFactory,
                                     MajorFactory, SchoolFactory, StudentFactory)

        self.school = SchoolFactory(review_levels=ReviewLevels.COLLEGE_SCHOOL)
        self.college = CollegeFactory(school=self.school)
        self.other_college = CollegeFactory(school=self.school)
        self.major = MajorFactory(college=self.college)
        self.other_major = MajorFactory(college=self.other_college)
        self.student = StudentFactory(major=self.major)
        self.student2 = StudentFactory(major=self.major)
        self.other_college_student = StudentFactory(major=self.other_major)
        self.employer = EmployerFactory()
        self.other_employer = EmployerFactory()
        self.other_school = SchoolFactory()
        other_school_college = CollegeFactory(school=self.other_school)

        def account(role, **scope):
            return AccountFactory(role=role, **scope)

        self.student_account = account(Role.STUDENT, student_id=self.student.id,
                                       school_id=self.school.id, username=None, password_hash=None)
        self.student2_account = account(Role.STUDENT, student_id=self.student2.id,
                                        school_id=self.school.id, username=None, password_hash=None)
        self.hr = account(Role.EMPLOYER_USER, employer_id=self.employer.id)
        self.hr2 = account(Role.EMPLOYER_USER, employer_id=self.employer.id)
        self.other_hr = account(Role.EMPLOYER_USER, employer_id=self.other_employer.id)
        self.college_reviewer = account(Role.COLLEGE_REVIEWER, school_id=self.school.id,
                                        college_id=self.college.id)
        self.other_college_reviewer = account(Role.COLLEGE_REVIEWER, school_id=self.school.id,
                                              college_id=self.other_college.id)
        self.school_reviewer = account(Role.SCHOOL_REVIEWER, school_id=self.school.id)
        self.other_school_reviewer = account(Role.SCHOOL_REVIEWER, school_id=self.other_school.id)
        self.other_school_college_reviewer = account(
            Role.COLLEGE_REVIEWER, school_id=self.other_school.id, college_id=other_school_college.id)
        self.admin = account(Role.PLATFORM_ADMIN)
        self.actor = Actor.from_account
        from tests.factories import add_favorites

        for employer in (self.employer, self.other_employer):
            add_favorites(employer, self.student, self.student2, self.other_college_student)

    @staticmethod
    def terms(**overrides):
        from datetime import date

        from app.domain.terms import InvitationTerms

        data = {
            "job_category_code": "13", "position": "软件工程师", "feedback_days": 5,
            "probation_days": 60, "probation_salary": 8000, "regular_salary": 10000,
            "liquidated_damages": 3000, "report_place": "长沙市岳麓区", "report_deadline": date(2026, 7, 15),
            "work_region_code": "430104", "work_address": "长沙市岳麓区麓谷大道658号",
            "contact_name": "王经理", "contact_phone": "0731-88888888",
            "archive": {"archive_receiving": "employer", "archive_unit": "长沙星辰软件科技有限公司",
                        "archive_address": "长沙市岳麓区麓谷大道658号", "archive_postcode": "410205",
                        "archive_contact": "李老师", "archive_phone": "0731-88888889",
                        "hukou_receiving": "not_received"},
        }
        data.update(overrides)
        return InvitationTerms.model_validate(data)


@pytest.fixture
def world(db_session) -> World:
    world = World()
    # Releases the savepoint: a service's rollback later in the test cannot undo the cast
    # (the outer transaction still rolls everything back at the end).
    db_session.commit()
    return world


@pytest.fixture
def empty_favorites(world, db_session):
    """For tests that build the 签约发送列表 themselves (the world fixture fills it)."""
    from sqlalchemy import delete

    from app.models import Favorite

    db_session.execute(delete(Favorite))
    db_session.commit()  # a savepoint release: a later service rollback cannot bring them back


@pytest.fixture
def dicts(db_session):
    """The shipped code dictionaries (loaded once per session by the app fixture)."""
    from app.models import DictEntry

    assert db_session.query(DictEntry).count() > 1000


# The browser-test fixtures (tests/browser_fixtures.py), defined once for the whole session.
from tests.browser_fixtures import browser, live_server, live_world, page  # noqa: E402,F401
