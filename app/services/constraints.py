"""Database refusals by constraint name (the metadata naming convention gives every name).

The database is the last word on the invariants that matter under concurrency; this module
turns its refusal of a named constraint into the conflict a user understands, and lets every
other refusal through as the error it is.
"""
from __future__ import annotations

import re
from typing import Any, NoReturn

from sqlalchemy import PrimaryKeyConstraint, UniqueConstraint
from sqlalchemy.exc import IntegrityError

from app.domain.errors import Conflict
from app.extensions import db

CONFLICTS = {
    "pk_active_destinations": ("ALREADY_SIGNED", "你已有有效的毕业去向，不能再与其他单位签约"),
    "uq_invitations_open_pair": ("DUPLICATE_OPEN_INVITATION", "你单位对该学生已有未结束的邀约，不能重复邀请"),
    "uq_terminations_in_flight_invitation_id": ("TERMINATION_IN_FLIGHT", "该协议已有进行中的解约申请"),
    "uq_other_destinations_open_student_id": ("DESTINATION_EXISTS", "你已有一条未注销的去向登记，请在该登记上修改"),
    "uq_paper_terminations_in_flight_agreement_id": ("TERMINATION_IN_FLIGHT", "该协议已有进行中的解约申请"),
    "uq_paper_agreements_open_student_id": ("PAPER_IN_PROGRESS",
                                            "你已有一份未完成的线下签约协议书，一次只能录入一份"),
}

_MYSQL_KEY = re.compile(r"for key '([^']+)'")  # 1062 Duplicate entry 'x' for key 'name' ('table.name')
_MYSQL_CHECK = re.compile(r"CONSTRAINT [`'\"]?([\w]+)[`'\"]? failed")  # 4025 / 3819
_SQLITE_UNIQUE = re.compile(r"UNIQUE constraint failed: ([\w., ]+)")
_SQLITE_CHECK = re.compile(r"CHECK constraint failed: (\w+)")
_STATEMENT_TABLE = re.compile(r"^\s*(?:INSERT\s+INTO|UPDATE)\s+[`\"]?(\w+)", re.IGNORECASE)


def violated_constraint(exc: IntegrityError) -> str | None:
    """The name of the constraint the database refused, or None when it does not say."""
    message = str(exc.orig)
    if match := _MYSQL_KEY.search(message):
        key = match.group(1).rsplit(".", 1)[-1]
        if key != "PRIMARY":
            return key
        table = _STATEMENT_TABLE.match(exc.statement or "")
        return f"pk_{table.group(1)}" if table else None
    if match := _SQLITE_UNIQUE.search(message):
        columns = [c.strip().split(".") for c in match.group(1).split(",")]
        return _named_by_columns(columns[0][0], {c[1] for c in columns})
    if match := _MYSQL_CHECK.search(message) or _SQLITE_CHECK.search(message):
        return match.group(1)
    return None


def _named_by_columns(table_name: str, columns: set[str]) -> str | None:
    table = db.metadata.tables.get(table_name)
    if table is None:
        return None
    for constraint in table.constraints:
        if isinstance(constraint, (UniqueConstraint, PrimaryKeyConstraint)) and \
                {c.name for c in constraint.columns} == columns:
            return str(constraint.name)
    return None


def flush_or_conflict() -> None:
    """Flush, turning the refusal of a known constraint into its conflict."""
    try:
        db.session.flush()
    except IntegrityError as exc:
        _raise_known(exc)


def execute_or_conflict(statement: Any, params: Any = None) -> Any:
    """Execute (a bulk INSERT), turning the refusal of a known constraint into its conflict."""
    try:
        return db.session.execute(statement, params)
    except IntegrityError as exc:
        _raise_known(exc)


def _raise_known(exc: IntegrityError) -> NoReturn:
    known = CONFLICTS.get(violated_constraint(exc) or "")
    if known is None:
        raise exc
    raise Conflict(*known) from exc
