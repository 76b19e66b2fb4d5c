"""Keyset pages by id, newest first: the cursor is the last id seen (stable under inserts).
Shared by the JSON API and the desktop pages."""
from __future__ import annotations

import base64

from sqlalchemy import Select

from app.domain.errors import InvalidInput
from app.extensions import db

MAX_LIMIT = 100
MAX_CURSOR = 2**63 - 1  # ids are BIGINT


def encode_cursor(last_id: int) -> str:
    return base64.urlsafe_b64encode(str(last_id).encode()).decode().rstrip("=")


def decode_cursor(cursor: str | None) -> int | None:
    if not cursor:
        return None
    try:
        value = int(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode())
    except (ValueError, UnicodeDecodeError):
        raise InvalidInput("BAD_CURSOR", "分页参数无效", {"cursor": "分页参数无效"}) from None
    if not 1 <= value <= MAX_CURSOR:
        raise InvalidInput("BAD_CURSOR", "分页参数无效", {"cursor": "分页参数无效"})
    return value


def paginate(query: Select, id_column, cursor: str | None, limit: int) -> tuple[list, str | None]:
    """Newest first by id; the cursor is the last id seen (stable under inserts)."""
    if not 1 <= limit <= MAX_LIMIT:
        raise InvalidInput("BAD_LIMIT", f"每页条数应为1至{MAX_LIMIT}", {"limit": f"应为1至{MAX_LIMIT}"})
    after = decode_cursor(cursor)
    if after is not None:
        query = query.where(id_column < after)
    rows = db.session.execute(query.order_by(id_column.desc()).limit(limit + 1)).all()
    more = len(rows) > limit
    rows = rows[:limit]
    items = [r[0] if len(r) == 1 else r for r in rows]
    last_id = getattr(items[-1], "id", None) if items else None
    return items, encode_cursor(last_id) if more and last_id else None
