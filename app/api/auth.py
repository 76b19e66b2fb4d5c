"""Bearer tokens: opaque, stored in Redis with an expiry, revocable (API.md "Auth").

A token maps to a session: a bound account, or (after a mini-program log-in that is not bound
yet) just the WeChat identity, which may only bind.

The token's Redis value also carries a snapshot of its account (role, scope, display name,
active flag), written back on first use and refreshed from the database once it is older than
ACCOUNT_SNAPSHOT_TTL: a request authenticates with one Redis GET and no SQL. Role and scope
never change for an account; logging out everywhere deletes the tokens with their snapshots.
"""
from __future__ import annotations

import functools
import json
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask import g, request
from redis.exceptions import RedisError

from app.domain.actors import Actor
from app.domain.errors import DomainError, Forbidden
from app.extensions import db, redis_ext
from app.models import Account

TOKEN_TTL = 7 * 24 * 3600
PREFIX = "wq:token:"
ACCOUNT_SNAPSHOT_TTL = 300  # s a token's cached account may lag the accounts row
_SNAPSHOT_FIELDS = ("role", "display_name", "school_id", "college_id", "employer_id", "student_id")


class Unauthenticated(DomainError):
    kind = "unauthenticated"

    def __init__(self) -> None:
        super().__init__("AUTH_REQUIRED", "登录已失效，请重新登录")


@dataclass
class TokenSession:
    account_id: int | None
    identity_id: int | None = None  # the WeChat identity that logged in
    data: dict[str, Any] | None = None
    account: dict[str, Any] | None = None  # the cached snapshot (see the module docstring)
    raw: dict[str, Any] | None = None


def issue_token(account_id: int | None, identity_id: int | None = None, **data: Any) -> str:
    token = secrets.token_urlsafe(32)
    payload = {"account_id": account_id, "identity_id": identity_id, "data": data}
    redis_ext.client.set(PREFIX + token, json.dumps(payload), ex=TOKEN_TTL)
    if account_id:
        redis_ext.client.sadd(f"wq:account-tokens:{account_id}", token)
        redis_ext.client.expire(f"wq:account-tokens:{account_id}", TOKEN_TTL)
    return token


def revoke_token(token: str) -> None:
    redis_ext.client.delete(PREFIX + token)


def revoke_account_tokens(account_id: int) -> None:
    """Log an account out everywhere (unbind, deactivation)."""
    key = f"wq:account-tokens:{account_id}"
    tokens = redis_ext.client.smembers(key)
    if tokens:
        redis_ext.client.delete(*[PREFIX + t.decode() for t in tokens])
    redis_ext.client.delete(key)


def _bearer() -> str | None:
    header = request.headers.get("Authorization", "")
    if header.startswith("Bearer ") and 20 <= len(header) <= 200:
        return header[7:].strip()
    return None


def current_session() -> TokenSession:
    if "token_session" not in g:
        token = _bearer()
        raw = redis_ext.client.get(PREFIX + token) if token else None
        if raw is None:
            raise Unauthenticated()
        payload = json.loads(raw)
        g.token = token
        g.token_session = TokenSession(payload["account_id"], payload.get("identity_id"),
                                       payload.get("data"), payload.get("account"), payload)
    return g.token_session


def _snapshot(account: Account) -> dict[str, Any]:
    values = {name: getattr(account, name) for name in _SNAPSHOT_FIELDS}
    values["role"] = account.role.value
    return {"id": account.id, "is_active": account.is_active, "at": time.time(), **values}


def _fresh_snapshot(session: TokenSession) -> dict[str, Any]:
    """The session's account snapshot, re-read from the database when missing or stale."""
    cached = session.account
    if cached and cached.get("id") == session.account_id \
            and time.time() - float(cached.get("at", 0)) < ACCOUNT_SNAPSHOT_TTL:
        return cached
    account = db.session.get(Account, session.account_id)
    if account is None:
        raise Forbidden("BINDING_REQUIRED", "请先绑定账号")
    snapshot = _snapshot(account)
    try:  # keep the token's expiry; a failed write only costs the next request a SELECT
        redis_ext.client.set(PREFIX + g.token, json.dumps({**(session.raw or {}), "account": snapshot}),
                             keepttl=True, xx=True)
    except RedisError:
        pass
    session.account = snapshot
    return snapshot


def current_account() -> Account:
    if "account" not in g:
        session = current_session()
        account = db.session.get(Account, session.account_id) if session.account_id else None
        if account is None:
            raise Forbidden("BINDING_REQUIRED", "请先绑定账号")
        if not account.is_active:
            raise Unauthenticated()
        g.account = account
    return g.account


def current_actor() -> Actor:
    """Who is calling, from the token's cached account: no SQL on the hot path."""
    if "actor" not in g:
        session = current_session()
        if not session.account_id:
            raise Forbidden("BINDING_REQUIRED", "请先绑定账号")
        snapshot = _fresh_snapshot(session)
        if not snapshot["is_active"]:
            raise Unauthenticated()
        g.actor = Actor(account_id=snapshot["id"], **{k: snapshot[k] for k in _SNAPSHOT_FIELDS})
    return g.actor


def roles_required(*roles: str) -> Callable:
    """The view runs only for a logged-in, bound account of one of these roles (403 otherwise)."""

    def decorator(view: Callable) -> Callable:
        @functools.wraps(view)
        def wrapper(*args: Any, **kwargs: Any):
            if current_actor().role not in roles:
                raise Forbidden("ROLE_NOT_ALLOWED", "当前账号无权使用该功能")
            return view(*args, **kwargs)

        wrapper.required_roles = roles  # read by the authorisation-matrix test
        return wrapper

    return decorator


def login_required(view: Callable) -> Callable:
    """Any bound, active account; checked before the body is validated."""

    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any):
        current_actor()
        return view(*args, **kwargs)

    return wrapper
