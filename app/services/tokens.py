"""The bearer-token store (API.md "Auth"): opaque tokens in Redis with an expiry, revocable.

A token maps to a session: a bound account, or (after a mini-program log-in that is not bound
yet) just the WeChat identity, which may only bind. Its Redis value also carries a snapshot of
its account (role, scope, display name, active flag), written back on first use and refreshed
from the database once older than ACCOUNT_SNAPSHOT_TTL, so a request authenticates with one
Redis GET and no SQL. Role and scope never change for an account; logging out everywhere
deletes the tokens with their snapshots. The API reads the header (app/api/auth.py); binding,
unbinding and account administration issue and revoke here.
"""
from __future__ import annotations

import json
import secrets
import time
from dataclasses import dataclass
from typing import Any

from redis.exceptions import RedisError

from app.extensions import db, redis_ext
from app.models import Account

TOKEN_TTL = 7 * 24 * 3600
PREFIX = "wq:token:"
ACCOUNT_SNAPSHOT_TTL = 300  # s a token's cached account may lag the accounts row
SNAPSHOT_FIELDS = ("role", "display_name", "school_id", "college_id", "employer_id", "student_id")


@dataclass
class TokenSession:
    token: str
    account_id: int | None
    identity_id: int | None = None  # the WeChat identity that logged in
    data: dict[str, Any] | None = None
    account: dict[str, Any] | None = None  # the cached snapshot (see the module docstring)
    raw: dict[str, Any] | None = None


def _account_key(account_id: int) -> str:
    return f"wq:account-tokens:{account_id}"


def issue_token(account_id: int | None, identity_id: int | None = None, **data: Any) -> str:
    token = secrets.token_urlsafe(32)
    payload = {"account_id": account_id, "identity_id": identity_id, "data": data}
    redis_ext.client.set(PREFIX + token, json.dumps(payload), ex=TOKEN_TTL)
    if account_id:
        redis_ext.client.sadd(_account_key(account_id), token)
        redis_ext.client.expire(_account_key(account_id), TOKEN_TTL)
    return token


def revoke_token(token: str) -> None:
    redis_ext.client.delete(PREFIX + token)


def revoke_account_tokens(account_id: int) -> None:
    """Log an account out everywhere (unbind, deactivation, a password reset)."""
    tokens = redis_ext.client.smembers(_account_key(account_id))
    if tokens:
        redis_ext.client.delete(*[PREFIX + t.decode() for t in tokens])
    redis_ext.client.delete(_account_key(account_id))


def session_of(token: str) -> TokenSession | None:
    """The session a token stands for, or None when it is unknown or expired."""
    raw = redis_ext.client.get(PREFIX + token)
    if raw is None:
        return None
    payload = json.loads(raw)
    return TokenSession(token, payload["account_id"], payload.get("identity_id"), payload.get("data"),
                        payload.get("account"), payload)


def snapshot_of(account: Account) -> dict[str, Any]:
    values = {name: getattr(account, name) for name in SNAPSHOT_FIELDS}
    values["role"] = account.role.value
    return {"id": account.id, "is_active": account.is_active, "at": time.time(), **values}


def fresh_snapshot(session: TokenSession) -> dict[str, Any] | None:
    """The session's account snapshot, re-read from the database when missing or stale; None
    when the account no longer exists."""
    cached = session.account
    if cached and cached.get("id") == session.account_id \
            and time.time() - float(cached.get("at", 0)) < ACCOUNT_SNAPSHOT_TTL:
        return cached
    account = db.session.get(Account, session.account_id)
    if account is None:
        return None
    snapshot = snapshot_of(account)
    try:  # keep the token's expiry; a failed write only costs the next request a SELECT
        redis_ext.client.set(PREFIX + session.token,
                             json.dumps({**(session.raw or {}), "account": snapshot}), keepttl=True, xx=True)
    except RedisError:
        pass
    session.account = snapshot
    return snapshot
