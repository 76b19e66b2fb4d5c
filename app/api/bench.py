"""The benchmark's baseline route (QUALITY.md): one primary-key SELECT through SQLAlchemy Core,
small JSON. Mounted only when the BENCH_ROUTES setting is on (`make bench` turns it on)."""
from __future__ import annotations

from flask import Blueprint, jsonify
from sqlalchemy import select

from app.extensions import db
from app.models import School

bp = Blueprint("api_bench", __name__, url_prefix="/api/v1/_bench")
_BY_ID = select(School.id, School.code, School.name).where(School.id == 1)


@bp.get("/baseline")
def baseline():
    """The denominator of every read and write bar: one row by primary key."""
    row = db.session.execute(_BY_ID).first()
    return jsonify({"id": row.id, "code": row.code, "name": row.name} if row else {})
