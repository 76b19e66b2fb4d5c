"""Many rows' changes written with few statements: one UPDATE per set of equal changes (a
sweep's letters, a delivery batch's outbox rows mostly change alike)."""
from __future__ import annotations

from typing import Any

from sqlalchemy import Table

from app.extensions import db


def update_alike(table: Table, changes: list[tuple[int, dict[str, Any]]],
                 also: dict[str, Any] | None = None) -> None:
    """changes: (row id, {column: new value}); also: values every written row gets besides
    (a timestamp, a version bump as an SQL expression)."""
    groups: dict[str, tuple[dict[str, Any], list[int]]] = {}
    for row_id, values in changes:
        if values:
            groups.setdefault(repr(sorted(values.items())), (values, []))[1].append(row_id)
    for values, ids in groups.values():
        db.session.execute(table.update().where(table.c.id.in_(ids)).values(**values, **(also or {})))
