"""Accounts: password hashing (argon2) and creation of log-ins for each role."""
from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerifyMismatchError

from app.extensions import db
from app.models import Account, Role

_hasher = PasswordHasher()


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    if not password_hash:
        return False
    try:
        return _hasher.verify(password_hash, password)
    except (VerifyMismatchError, InvalidHashError):
        return False


def create_login_account(role: Role, username: str, password: str, display_name: str,
                         **scope: int | None) -> Account:
    """A username/password account (employer user, reviewer, admin); the caller commits."""
    account = Account(role=role, username=username, password_hash=hash_password(password),
                      display_name=display_name, **scope)
    db.session.add(account)
    return account
