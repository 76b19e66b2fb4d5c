"""协议书编号: unique and gap-free per (kind, cohort, school), never reused."""
from __future__ import annotations

from sqlalchemy import Engine, select, update
from sqlalchemy.dialects import mysql, sqlite

from app.domain.signing import agreement_number
from app.extensions import db
from app.models import AgreementCounter, School


def next_agreement_no(kind: int, cohort: int, school: School) -> str:
    """Take the next number inside the caller's transaction.

    The counter row is bumped with a single UPDATE, which takes its exclusive lock at once:
    concurrent approvals queue on it instead of deadlocking, and a rollback of the approval
    returns the number, so the sequence has no gaps.
    """
    key = {"kind": kind, "cohort": cohort, "school_id": school.id}
    exists = db.session.scalar(select(AgreementCounter.last_seq).filter_by(**key))
    if exists is None:
        _create_counter(key)
    db.session.execute(update(AgreementCounter).filter_by(**key)
                       .values(last_seq=AgreementCounter.last_seq + 1))
    seq = db.session.scalar(select(AgreementCounter.last_seq).filter_by(**key))
    return agreement_number(kind, cohort, school.code, seq)


def _create_counter(key: dict) -> None:
    """Create a missing counter row (last_seq 0) outside the approving transaction on MySQL.

    Inside it, racing INSERTs on a missing key hold shared and gap locks that the UPDATE then
    has to upgrade — the deadlock measured on MariaDB. Committed on its own connection, the
    row simply exists for everyone. SQLite has one writer (and a session bound to a single
    connection has no other), so there the row is made in place.
    """
    bind = db.session.get_bind()
    if bind.dialect.name == "mysql":
        statement = mysql.insert(AgreementCounter.__table__).values(**key, last_seq=0).prefix_with("IGNORE")
    else:
        statement = sqlite.insert(AgreementCounter.__table__).values(**key, last_seq=0)\
            .on_conflict_do_nothing()
    if bind.dialect.name == "mysql" and isinstance(bind, Engine):
        with bind.begin() as connection:
            connection.execute(statement)
    else:
        db.session.execute(statement)
