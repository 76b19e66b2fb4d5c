"""Accounts the platform hands out: platform admins, reviewers with their scope, and the
administration of every log-in (disable, enable, password reset with a one-time password).

A reset password is random, shown once to the administrator and never stored in clear; the
account must choose its own password at its next web log-in (``must_change_password``).
"""
from __future__ import annotations

import secrets
import string
from dataclasses import dataclass

from sqlalchemy import func, or_, select
from sqlalchemy.orm import selectinload

from app.domain import school_admin as rules
from app.domain.actors import Actor
from app.domain.errors import Conflict, Forbidden, InvalidInput, NotFound
from app.extensions import db
from app.models import Account, College, Employer, Role, School
from app.services.accounts import hash_password, verify_password
from app.services.binding import audit
from app.services.employers import password_error
from app.services.organisation import _flush_unique, require_platform_admin, require_school_admin
from app.services.tokens import revoke_account_tokens
from app.services.unit import transactional

STAFF_ROLES = (Role.PLATFORM_ADMIN, Role.SCHOOL_REVIEWER, Role.COLLEGE_REVIEWER)
ROLE_LABELS = {Role.PLATFORM_ADMIN: "平台管理员", Role.SCHOOL_REVIEWER: "学校审核员（学校管理员）",
               Role.COLLEGE_REVIEWER: "学院审核员", Role.EMPLOYER_USER: "单位用户", Role.STUDENT: "毕业生"}
_ALPHABET = "".join(c for c in string.ascii_letters + string.digits if c not in "0Oo1lI")


def one_time_password() -> str:
    """12 characters from an unambiguous alphabet, with a letter and a digit (our password rule)."""
    while True:
        value = "".join(secrets.choice(_ALPHABET) for _ in range(12))
        if password_error(value) is None:
            return value


@dataclass
class Issued:
    """An account just created or reset, and the one-time password to hand over (None when the
    administrator chose the password)."""
    account: Account
    password: str | None


def _username(value: str) -> str:
    value = (value or "").strip()
    if not rules.USERNAME.match(value):
        message = "用户名应为3至50位字母、数字或 . _ @ -，以字母或数字开头"
        raise InvalidInput("VALIDATION_FAILED", message, {"username": message})
    return value


def _display_name(value: str) -> str:
    value = (value or "").strip()
    if not 2 <= len(value) <= 50:
        raise InvalidInput("VALIDATION_FAILED", "姓名应为2至50个字符", {"display_name": "应为2至50个字符"})
    return value


def _password(value: str | None) -> tuple[str, str | None, bool]:
    """(password, the one-time password to show, must change)."""
    if value is None:
        generated = one_time_password()
        return generated, generated, True
    if error := password_error(value):
        raise InvalidInput("VALIDATION_FAILED", error, {"password": error})
    return value, None, False


@transactional
def create_staff_account(actor: Actor, role: Role, username: str, display_name: str,
                         school_id: int | None = None, college_id: int | None = None,
                         password: str | None = None) -> Issued:
    """A platform admin, school reviewer (the school's administrator) or college reviewer.

    The platform admin creates any of them; a school's reviewers create reviewers of their own
    school. Without a password a one-time password is generated (changed at first log-in).
    """
    if role not in STAFF_ROLES:
        raise InvalidInput("VALIDATION_FAILED", "角色不正确", {"role": "角色不正确"})
    if role == Role.PLATFORM_ADMIN:
        require_platform_admin(actor)
        school_id = college_id = None
    else:
        if school_id is None and role == Role.COLLEGE_REVIEWER and college_id:
            college = db.session.get(College, college_id)  # the college names its school
            school_id = college.school_id if college else None
        if school_id is None:
            raise InvalidInput("VALIDATION_FAILED", "请选择学校", {"school_id": "必填"})
        require_school_admin(actor, school_id)
        if role == Role.SCHOOL_REVIEWER:
            college_id = None
        else:
            college = db.session.get(College, college_id) if college_id else None
            if college is None or college.school_id != school_id:
                raise InvalidInput("VALIDATION_FAILED", "请选择本校的学院",
                                   {"college_id": "请选择本校的学院"})
    plain, shown, must_change = _password(password)
    account = Account(role=role, username=_username(username), password_hash=hash_password(plain),
                      display_name=_display_name(display_name), school_id=school_id,
                      college_id=college_id, must_change_password=must_change)
    db.session.add(account)
    _flush_unique("USERNAME_TAKEN", "用户名已被使用", "username")
    audit("account_created", account.id, None, None, by=actor.account_id, role=role.value)
    return Issued(account, shown)


def _manageable(actor: Actor, account_id: int) -> Account:
    """An account the actor may administer: any for the platform admin; the reviewers of their
    own school for a school reviewer. Anything else reads as unknown."""
    account = db.session.get(Account, account_id)
    if account is None or account.username is None:
        raise NotFound("ACCOUNT_NOT_FOUND", "账号不存在")
    if rules.can_administer_platform(actor):
        return account
    if account.role in (Role.SCHOOL_REVIEWER, Role.COLLEGE_REVIEWER) and account.school_id is not None \
            and rules.can_administer_school(actor, account.school_id):
        return account
    raise NotFound("ACCOUNT_NOT_FOUND", "账号不存在")


@transactional
def set_active(actor: Actor, account_id: int, active: bool) -> Account:
    """Disable (the account's sessions and tokens stop working at their next request) or enable."""
    account = _manageable(actor, account_id)
    if account.id == actor.account_id and not active:
        raise Conflict("CANNOT_DISABLE_SELF", "不能停用自己的账号")
    if account.is_active != active:
        account.is_active = active
        if active:
            account.failed_logins, account.locked_until = 0, None
        audit("account_enabled" if active else "account_disabled", account.id, None, None,
              by=actor.account_id)
    if not active:
        _revoke_tokens(account.id)
    return account


@transactional
def reset_password(actor: Actor, account_id: int) -> Issued:
    """A new one-time password, shown once; the account must change it at its next log-in, and
    every token and lockout it had is cleared."""
    account = _manageable(actor, account_id)
    if account.id == actor.account_id:
        raise Conflict("RESET_OWN_PASSWORD", "请在“修改密码”中修改自己的密码")
    plain = one_time_password()
    account.password_hash = hash_password(plain)
    account.must_change_password = True
    account.failed_logins, account.locked_until = 0, None
    audit("password_reset", account.id, None, None, by=actor.account_id)
    _revoke_tokens(account.id)
    return Issued(account, plain)


@transactional
def change_own_password(actor: Actor, current: str, new: str, confirm: str) -> Account:
    """修改密码: the current password, then a new one twice (also what a reset forces)."""
    account = db.session.get(Account, actor.account_id)
    if account is None or account.username is None:
        raise NotFound("ACCOUNT_NOT_FOUND", "账号不存在")
    if not verify_password(account.password_hash, current or ""):
        raise InvalidInput("BAD_CREDENTIALS", "当前密码不正确", {"current": "当前密码不正确"})
    if error := password_error(new or ""):
        raise InvalidInput("VALIDATION_FAILED", error, {"new": error})
    if new != confirm:
        raise InvalidInput("VALIDATION_FAILED", "两次输入的新密码不一致", {"confirm": "两次输入不一致"})
    if new == current:
        raise InvalidInput("VALIDATION_FAILED", "新密码不能与当前密码相同", {"new": "不能与当前密码相同"})
    account.password_hash = hash_password(new)
    account.must_change_password = False
    audit("password_changed", account.id, None, None)
    return account


def _revoke_tokens(account_id: int) -> None:
    revoke_account_tokens(account_id)


# -- lists -----------------------------------------------------------------------------------------

PAGE_SIZE = 50


def staff_accounts(actor: Actor, school_id: int | None = None, query: str = "") -> list[Account]:
    """Reviewer and admin accounts the actor administers (their school's, or all for the admin)."""
    stmt = select(Account).where(Account.role.in_(STAFF_ROLES)).options(
        selectinload(Account.school), selectinload(Account.college))
    if not rules.can_administer_platform(actor):
        require_school_admin(actor, school_id or -1)
        stmt = stmt.where(Account.school_id == school_id)
    elif school_id:
        stmt = stmt.where(Account.school_id == school_id)
    if query.strip():
        like = f"%{query.strip()}%"
        stmt = stmt.where(or_(Account.username.like(like), Account.display_name.like(like)))
    return list(db.session.scalars(stmt.order_by(Account.school_id, Account.college_id, Account.id)
                                   .limit(500)))


def employer_accounts(actor: Actor, query: str = "", page: int = 1) -> tuple[list[Account], int]:
    """Employer users with their employer (the platform admin's 单位账号 list), 50 a page."""
    require_platform_admin(actor)
    stmt = select(Account).join(Employer, Employer.id == Account.employer_id).where(
        Account.role == Role.EMPLOYER_USER)
    if query.strip():
        like = f"%{query.strip()}%"
        stmt = stmt.where(or_(Account.username.like(like), Account.display_name.like(like),
                              Employer.name.like(like), Employer.credit_code == query.strip().upper()))
    total = db.session.scalar(select(func.count()).select_from(stmt.subquery()))
    rows = db.session.scalars(stmt.options(selectinload(Account.employer)).order_by(Account.id.desc())
                              .limit(PAGE_SIZE).offset((max(page, 1) - 1) * PAGE_SIZE)).all()
    return list(rows), total


def schools_for(actor: Actor) -> list[School]:
    stmt = select(School).order_by(School.code)
    if not rules.can_administer_platform(actor):
        stmt = stmt.where(School.id == actor.school_id)
    return list(db.session.scalars(stmt))


def ensure_role(role: str) -> Role:
    try:
        value = Role(role)
    except ValueError:
        raise InvalidInput("VALIDATION_FAILED", "角色不正确", {"role": "角色不正确"}) from None
    if value not in STAFF_ROLES:
        raise Forbidden("ROLE_NOT_ALLOWED", "只能创建审核员或管理员账号")
    return value
