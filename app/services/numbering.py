"""协议书编号: unique and gap-free per (kind, cohort, school), never reused."""
from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.dialects import mysql, sqlite

from app.domain.signing import agreement_number
from app.extensions import db
from app.models import AgreementCounter, School


def _insert_ignore(values: dict):
    table = AgreementCounter.__table__
    if db.session.get_bind().dialect.name == "mysql":
        return mysql.insert(table).values(**values).prefix_with("IGNORE")
    return sqlite.insert(table).values(**values).on_conflict_do_nothing()


def next_agreement_no(kind: int, cohort: int, school: School) -> str:
    """Take the next number inside the caller's transaction.

    The counter is bumped with a single UPDATE (an exclusive row lock straight away, so no
    shared-to-exclusive upgrade); a rollback of the approval returns the number, hence no gaps.
    The first use of a counter races on INSERT IGNORE and may deadlock once: the unit of work
    retries MySQL 1213.
    """
    key = {"kind": kind, "cohort": cohort, "school_id": school.id}
    db.session.execute(_insert_ignore({**key, "last_seq": 0}))
    db.session.execute(update(AgreementCounter).filter_by(**key)
                       .values(last_seq=AgreementCounter.last_seq + 1))
    seq = db.session.scalar(select(AgreementCounter.last_seq).filter_by(**key))
    return agreement_number(kind, cohort, school.code, seq)
