"""Apps for gunicorn in the fault tests (``tests.fault_apps:<name>``), each the real app plus one
fault injected at a precise moment, named by environment variables (FAULTS_*, which the app's
own configuration ignores)."""
from __future__ import annotations

import os
import signal

from sqlalchemy import event
from sqlalchemy.orm import Session

from app import create_app

# The outbox's hook keeps the ids of the outbox rows a transaction inserted under this key.
NEW_OUTBOX_ROWS = "wq_outbox_new"


def _freeze_redis_after_a_write(session: Session) -> None:
    """Right after a transaction that created outbox rows (an event: a real write) commits, and
    before anything else runs — the outbox's enqueue, the answer — Redis stops (SIGSTOP)."""
    if session.info.get(NEW_OUTBOX_ROWS) and not session.in_nested_transaction():
        os.kill(int(os.environ["FAULTS_FREEZE_REDIS_PID"]), signal.SIGSTOP)


def commit_then_freeze():
    """gunicorn 'tests.fault_apps:commit_then_freeze()'."""
    app = create_app()
    event.listen(Session, "after_commit", _freeze_redis_after_a_write, insert=True)
    return app
