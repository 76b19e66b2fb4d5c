"""GET /healthz: is the database reachable, is Redis reachable."""
from __future__ import annotations

import time
from typing import Any, Callable

from flask import Blueprint, jsonify
from sqlalchemy import text

from app.extensions import db, redis_ext

bp = Blueprint("health", __name__)


def _probe(check: Callable[[], Any]) -> dict[str, Any]:
    started = time.perf_counter()
    try:
        check()
    except Exception as exc:  # any failure of the dependency is the answer, not a crash
        return {"ok": False, "error": type(exc).__name__}
    return {"ok": True, "ms": round((time.perf_counter() - started) * 1000, 2)}


@bp.get("/healthz")
def healthz():
    """Report the database and Redis; 503 when either is down."""
    database = _probe(lambda: db.session.execute(text("SELECT 1")))
    db.session.rollback()
    redis = _probe(lambda: redis_ext.client.ping())
    healthy = database["ok"] and redis["ok"]
    body = {"status": "ok" if healthy else "unavailable", "database": database, "redis": redis,
            "backend": {"database": db.engine.dialect.name,
                        "redis": "fakeredis" if "Fake" in type(redis_ext.client).__name__
                        else "redis"}}
    return jsonify(body), 200 if healthy else 503
