"""Test-only: issue a token for an account without WeChat. Registered only when TESTING is on,
and the configuration refuses TESTING in production."""
from __future__ import annotations

from flask import Blueprint, abort, current_app, jsonify, request

from app.api.auth import issue_token
from app.extensions import db
from app.models import Account

bp = Blueprint("api_testing", __name__, url_prefix="/api/v1/_test")


@bp.post("/token")
def token():
    """Log an account in by id (tests only)."""
    if not current_app.config["TESTING"] or current_app.config["ENV"] == "production":
        abort(404)
    account = db.session.get(Account, int((request.get_json(silent=True) or {}).get("account_id", 0)))
    if account is None:
        abort(404)
    return jsonify({"token": issue_token(account.id)})
