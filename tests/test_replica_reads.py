"""Lists and exports may read a MySQL replica: with DATABASE_REPLICA_URL set, the employer's list
and Excel export run their SELECTs on the replica's engine, while a detail and every write stay
on the primary (read-your-writes after an action)."""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from flask import Flask
from sqlalchemy import event

from app import create_app
from app.extensions import db
from tests import conftest as _conftest
from tests.api_helpers import ApiClient, terms_json
from tests.conftest import World

pytestmark = pytest.mark.committing


@pytest.fixture
def replicated(app: Flask, committing_db) -> Iterator[Flask]:
    """An app whose replica bind is a second engine on the same database (a replica in sync)."""
    url = app.config["DATABASE_URL"]
    second = create_app(_conftest.test_config(url) | {"DATABASE_REPLICA_URL": url})
    yield second
    with second.app_context():
        for engine in db.engines.values():
            engine.dispose()


@contextmanager
def statements_on(engine) -> Iterator[list[str]]:
    seen: list[str] = []

    def record(_conn, _cursor, statement, *_args):
        seen.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", record)


def test_lists_and_exports_read_the_replica_and_writes_the_primary(replicated):
    """Does the employer's list and export read through the replica engine, and the letter
    sent and its detail through the primary?"""
    with replicated.app_context():
        world = World()
        db.session.commit()
        primary, replica = db.engines[None], db.engines["replica"]
        assert primary is not replica
        client = replicated.test_client()
        hr = ApiClient(client, world.hr)
        with statements_on(primary) as on_primary, statements_on(replica) as on_replica:
            sent = hr.post("/employer/invitations", {"student_ids": [world.student.id], "terms": terms_json()})
        assert sent.status_code == 200 and sent.get_json()["sent"] == 1
        assert any(s.lstrip().upper().startswith("INSERT") for s in on_primary) and on_replica == []
        invitation_id = sent.get_json()["results"][0]["invitation_id"]

        with statements_on(primary) as on_primary, statements_on(replica) as on_replica:
            listed = hr.get("/employer/invitations")
        assert [i["id"] for i in listed.get_json()["items"]] == [invitation_id]
        assert len(on_replica) >= 2 and not any("FROM invitations" in s for s in on_primary)

        with statements_on(primary) as on_primary, statements_on(replica) as on_replica:
            exported = hr.get("/employer/invitations/export.xlsx")
        assert exported.status_code == 200 and exported.data[:2] == b"PK"
        assert any("FROM invitations" in s for s in on_replica)
        assert not any("FROM invitations" in s for s in on_primary)

        with statements_on(primary) as on_primary, statements_on(replica) as on_replica:
            detail = hr.get(f"/employer/invitations/{invitation_id}")
        assert detail.status_code == 200 and on_replica == []
        assert any("FROM invitations" in s for s in on_primary)
