"""Who is calling the API: the bearer token of the Authorization header (API.md "Auth").

The token store itself (issue, revoke, the cached account snapshot) is app/services/tokens.py;
this module reads the header, keeps the caller for the request in ``g`` and offers the role
decorators the views use.
"""
from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from flask import g, request

from app.domain.actors import Actor
from app.domain.errors import DomainError, Forbidden
from app.extensions import db
from app.models import Account
from app.services.tokens import (  # noqa: F401
    SNAPSHOT_FIELDS,
    TokenSession,
    fresh_snapshot,
    issue_token,
    revoke_account_tokens,
    revoke_token,
    session_of,
)


class Unauthenticated(DomainError):
    kind = "unauthenticated"

    def __init__(self) -> None:
        super().__init__("AUTH_REQUIRED", "登录已失效，请重新登录")


def _bearer() -> str | None:
    header = request.headers.get("Authorization", "")
    if header.startswith("Bearer ") and 20 <= len(header) <= 200:
        return header[7:].strip()
    return None


def current_session() -> TokenSession:
    if "token_session" not in g:
        token = _bearer()
        session = session_of(token) if token else None
        if session is None:
            raise Unauthenticated()
        g.token = token
        g.token_session = session
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
    """Who is calling, from the token's cached account: no SQL on the hot path."""
    if "actor" not in g:
        session = current_session()
        if not session.account_id:
            raise Forbidden("BINDING_REQUIRED", "请先绑定账号")
        snapshot = fresh_snapshot(session)
        if snapshot is None:
            raise Forbidden("BINDING_REQUIRED", "请先绑定账号")
        if not snapshot["is_active"]:
            raise Unauthenticated()
        g.actor = Actor(account_id=snapshot["id"], **{k: snapshot[k] for k in SNAPSHOT_FIELDS})
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
