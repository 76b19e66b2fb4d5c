"""Bearer tokens: opaque, stored in Redis with an expiry, revocable (API.md "Auth").

A token maps to a session: a bound account, or (after a mini-program log-in that is not bound
yet) just the WeChat identity, which may only bind.
"""
from __future__ import annotations

import functools
import json
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask import g, request

from app.domain.actors import Actor
from app.domain.errors import DomainError, Forbidden
from app.extensions import db, redis_ext
from app.models import Account

TOKEN_TTL = 7 * 24 * 3600
PREFIX = "wq:token:"


class Unauthenticated(DomainError):
    kind = "unauthenticated"

    def __init__(self) -> None:
        super().__init__("AUTH_REQUIRED", "登录已失效，请重新登录")


@dataclass
class TokenSession:
    account_id: int | None
    identity_id: int | None = None  # the WeChat identity that logged in
    data: dict[str, Any] | None = None


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
                                       payload.get("data"))
    return g.token_session


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
    return Actor.from_account(current_account())


def roles_required(*roles: str) -> Callable:
    """The view runs only for a logged-in, bound account of one of these roles (403 otherwise)."""

    def decorator(view: Callable) -> Callable:
        @functools.wraps(view)
        def wrapper(*args: Any, **kwargs: Any):
            account = current_account()
            if account.role.value not in roles:
                raise Forbidden("ROLE_NOT_ALLOWED", "当前账号无权使用该功能")
            return view(*args, **kwargs)

        wrapper.required_roles = roles  # read by the authorisation-matrix test
        return wrapper

    return decorator


def login_required(view: Callable) -> Callable:
    """Any bound, active account; checked before the body is validated."""

    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any):
        current_account()
        return view(*args, **kwargs)

    return wrapper
