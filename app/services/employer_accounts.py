"""账号管理 of an employer: its admin adds colleagues and resets their passwords; every user
changes their own password (seed 004 §10; issue 11)."""
from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from app.domain.actors import Actor
from app.domain.errors import Conflict, Forbidden, InvalidInput, NotFound
from app.extensions import db
from app.models import Account, Role
from app.services.accounts import create_login_account, hash_password, verify_password
from app.services.binding import audit
from app.services.employers import employer_of, password_error
from app.services.tokens import revoke_account_tokens
from app.services.unit import transactional

USERNAME_TAKEN = Conflict("USERNAME_TAKEN", "用户名已被使用，请换一个", {"username": "用户名已被使用"})


def _me(actor: Actor) -> Account:
    employer_of(actor)  # employer users only
    return db.session.get(Account, actor.account_id)


def _admin(actor: Actor) -> Account:
    me = _me(actor)
    if not me.employer_admin:
        raise Forbidden("EMPLOYER_ADMIN_REQUIRED", "只有本单位的管理员账号可以添加账号或重置密码")
    return me


def _colleague(actor: Actor, account_id: int) -> Account:
    employer_of(actor)
    account = db.session.get(Account, account_id, with_for_update=True)
    if account is None or account.role != Role.EMPLOYER_USER or account.employer_id != actor.employer_id:
        raise NotFound("ACCOUNT_NOT_FOUND", "账号不存在")
    return account


def _check_password(password: str, field: str) -> None:
    if error := password_error(password):
        raise InvalidInput("VALIDATION_FAILED", error, {field: error})


@transactional
def add_colleague(actor: Actor, username: str, display_name: str, password: str,
                  ip: str | None = None) -> Account:
    """A new user of the admin's employer, with a first password the admin hands over."""
    _admin(actor)
    _check_password(password, "password")
    if db.session.scalar(select(func.count()).select_from(Account).where(
            func.lower(Account.username) == username.lower())):
        raise USERNAME_TAKEN
    try:
        with db.session.begin_nested():
            account = create_login_account(Role.EMPLOYER_USER, username, password, display_name,
                                           employer_id=actor.employer_id)
    except IntegrityError as exc:  # a concurrent registration took the name
        raise USERNAME_TAKEN from exc
    audit("account_added", account.id, None, ip, by=actor.account_id)
    return account


def reset_password(actor: Actor, account_id: int, password: str, ip: str | None = None) -> Account:
    """The admin sets a colleague's new password; a lock from failed log-ins ends with it, and
    the colleague's phones are logged out (after the commit) so the old password's sessions end."""
    account = _reset_password(actor, account_id, password, ip)
    revoke_account_tokens(account.id)
    return account


@transactional
def _reset_password(actor: Actor, account_id: int, password: str, ip: str | None) -> Account:
    account = _colleague(actor, account_id)  # another employer's account is not found, admin or not
    _admin(actor)
    _check_password(password, "password")
    account.password_hash = hash_password(password)
    account.failed_logins, account.locked_until = 0, None
    audit("password_reset", account.id, None, ip, by=actor.account_id)
    return account


@transactional
def change_own_password(actor: Actor, old_password: str, new_password: str,
                        ip: str | None = None) -> Account:
    """修改密码: the current password, then the new one (not the same)."""
    me = db.session.get(Account, _me(actor).id, with_for_update=True)
    if not verify_password(me.password_hash, old_password):
        raise InvalidInput("BAD_CREDENTIALS", "当前密码不正确", {"old_password": "当前密码不正确"})
    _check_password(new_password, "new_password")
    if old_password == new_password:
        raise InvalidInput("VALIDATION_FAILED", "新密码不能与当前密码相同",
                           {"new_password": "新密码不能与当前密码相同"})
    me.password_hash = hash_password(new_password)
    audit("password_changed", me.id, None, ip)
    return me


@transactional
def set_colleague_active(actor: Actor, account_id: int, active: bool, ip: str | None = None) -> Account:
    """停用/启用 a colleague's log-in (the admin only; never the admin's own account). A disabled
    account's web sessions end on its next request (app/web/login.py reads is_active)."""
    account = _colleague(actor, account_id)
    me = _admin(actor)
    if account.id == me.id:
        raise InvalidInput("VALIDATION_FAILED", "不能停用自己的账号", {"account": "不能停用自己的账号"})
    if account.is_active != active:
        account.is_active = active
        audit("account_enabled" if active else "account_disabled", account.id, None, ip, by=actor.account_id)
    return account
