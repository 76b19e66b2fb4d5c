"""Reads that may be served by a MySQL replica: lists and exports (never what a decision rests on).

``with replica_reads(): …`` marks the current session; its plain SELECTs then go to the
"replica" bind when DATABASE_REPLICA_URL is configured (app/extensions.py RoutingSession), and to
the primary otherwise. A replica a few hundred milliseconds behind shows a list one step late;
detail pages, homes and every write keep reading the primary (read-your-writes after an action).
"""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from app.extensions import READ_REPLICA, db


@contextmanager
def replica_reads() -> Iterator[None]:
    session = db.session()
    before = session.info.get(READ_REPLICA)
    session.info[READ_REPLICA] = True
    try:
        yield
    finally:
        if before is None:
            session.info.pop(READ_REPLICA, None)
        else:
            session.info[READ_REPLICA] = before
