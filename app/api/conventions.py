"""Mobile conventions: cursor pagination, ETag/304, Idempotency-Key (API.md "Conventions")."""
from __future__ import annotations

import base64
import functools
import hashlib
import json
from collections.abc import Callable
from typing import Any

from flask import Response, g, request
from sqlalchemy import Select

from app.domain.errors import DomainError, InvalidInput
from app.extensions import db, redis_ext

MAX_LIMIT = 100
IDEMPOTENCY_TTL = 24 * 3600


def encode_cursor(last_id: int) -> str:
    return base64.urlsafe_b64encode(str(last_id).encode()).decode().rstrip("=")


def decode_cursor(cursor: str | None) -> int | None:
    if not cursor:
        return None
    try:
        value = int(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode())
    except (ValueError, UnicodeDecodeError):
        raise InvalidInput("BAD_CURSOR", "分页参数无效", {"cursor": "分页参数无效"}) from None
    if value < 1:
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


def etag_response(response: Response) -> Response:
    """Weak ETag on successful JSON GETs; 304 when the client already has it."""
    if request.method != "GET" or response.status_code != 200 or not response.is_json:
        return response
    response.add_etag(weak=True)
    response.headers["Cache-Control"] = "private, no-cache"
    return response.make_conditional(request)


class Unprocessable(DomainError):
    kind = "unprocessable"


def idempotent(view: Callable) -> Callable:
    """With an Idempotency-Key header, a repeat returns the first result; the same key with
    another body is 422, a repeat while the first is still running is 409."""

    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any):
        key = request.headers.get("Idempotency-Key")
        if not key:
            return view(*args, **kwargs)
        if not 8 <= len(key) <= 100:
            raise InvalidInput("BAD_IDEMPOTENCY_KEY", "Idempotency-Key 应为8至100个字符")
        from app.api.auth import current_session

        caller = current_session().account_id or f"s{g.get('token', '')[:12]}"
        # The method, path and query string are part of the request: the same key on another is 422.
        body_hash = hashlib.sha256(request.method.encode() + request.full_path.encode() + b"\n"
                                   + request.get_data()).hexdigest()
        store_key = f"wq:idem:{caller}:{key}"
        client = redis_ext.client
        if not client.set(store_key, json.dumps({"state": "running", "hash": body_hash}),
                          nx=True, ex=IDEMPOTENCY_TTL):
            stored = json.loads(client.get(store_key) or "{}")
            if stored.get("hash") != body_hash:
                raise Unprocessable("IDEMPOTENCY_KEY_REUSED", "该 Idempotency-Key 已用于另一个请求")
            if stored.get("state") == "running":
                from app.domain.errors import Conflict

                raise Conflict("REQUEST_IN_PROGRESS", "相同的请求正在处理中，请稍候")
            replay = Response(stored["body"], status=stored["status"], mimetype="application/json")
            replay.headers["Idempotent-Replayed"] = "true"
            return replay
        try:
            response = _as_response(view(*args, **kwargs))
        except Exception:
            client.delete(store_key)  # a failed attempt may be retried with the same key
            raise
        if response.status_code < 500:
            client.set(store_key, json.dumps({"state": "done", "hash": body_hash,
                                              "status": response.status_code,
                                              "body": response.get_data(as_text=True)}),
                       ex=IDEMPOTENCY_TTL)
        else:
            client.delete(store_key)
        return response

    return wrapper


def _as_response(result: Any) -> Response:
    from flask import make_response

    return make_response(result)
