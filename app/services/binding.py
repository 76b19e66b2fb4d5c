"""WeChat identities and the accounts they are bound to (SPEC §1: one identity ↔ one account).

- ``login_with_code``: mini-program wx.login → code2session → the identity (created on first
  use, linked through its unionid to the same person's bound official-account identity); the
  session_key is kept server-side, encrypted, in Redis.
- Student binding: four details that must match an approved student, then an SMS code to the
  phone on file, then email and mailing address; employer/reviewer binding by password.
- Binding an account that another identity of the same app holds is a rebind: allowed only
  with the proof just checked (SMS code or password); the old identity is unbound, the
  account's tokens are revoked, and it is audited.
"""
from __future__ import annotations

import functools
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from wechatpy.exceptions import WeChatClientException

from app.clock import utcnow
from app.domain.errors import Conflict, Forbidden, InvalidInput, RateLimited, Unavailable
from app.domain.identity import normalize_id_number
from app.extensions import db, redis_ext
from app.models import Account, AccountEvent, Role, School, SourceStatus, Student
from app.models.wechat import WechatApp, WechatIdentity
from app.pii import cipher, lookup_hash, mask_phone
from app.services import ratelimit, sms
from app.services.accounts import hash_password, verify_password
from app.services.tokens import TOKEN_TTL, revoke_account_tokens
from app.services.unit import transactional
from wechat import exceptions as wx_errors
from wechat.miniprogram import code_to_session
from wechat.settings import emulator_unreachable_hint

log = logging.getLogger("wq.binding")

SESSION_KEY_PREFIX = "wq:wxa:session-key:"
BIND_PURPOSE = "bind-student"
LOCK_AFTER = 5
LOCK_TIME = timedelta(minutes=15)
LOCKED_MESSAGE = "密码错误次数过多，账号已锁定15分钟，请稍后再试"
NOT_MATCHED = "信息核验未通过，请核对学校代码、学号、姓名和身份证号；如仍有问题请联系学校就业指导中心"


@dataclass
class LoginResult:
    identity: WechatIdentity
    account: Account | None


def audit(action: str, account_id: int | None, identity_id: int | None, ip: str | None,
          **detail) -> None:
    db.session.add(AccountEvent(action=action, account_id=account_id, identity_id=identity_id,
                                ip=(ip or "")[:45] or None, detail=detail or None))


@transactional
def record(action: str, account_id: int | None, identity_id: int | None, ip: str | None,
           **detail) -> None:
    """An account event on its own (a log-in the caller has already granted)."""
    audit(action, account_id, identity_id, ip, **detail)


# -- identities -------------------------------------------------------------------------------

def upsert_identity(app: WechatApp, appid: str, openid: str, unionid: str | None,
                    ip: str | None = None) -> WechatIdentity:
    """The identity of (appid, openid), created if new; an unbound one whose unionid belongs to
    a bound identity of the other app joins that account (the same person). Commits."""
    for attempt in (1, 2):
        identity = db.session.scalar(select(WechatIdentity).where(
            WechatIdentity.appid == appid, WechatIdentity.openid == openid))
        if identity is None:
            identity = WechatIdentity(app=app, appid=appid, openid=openid)
            db.session.add(identity)
        if unionid and identity.unionid != unionid:
            identity.unionid = unionid
        try:
            db.session.flush()
            _link_by_unionid(identity, ip)
            db.session.commit()
            return identity
        except IntegrityError:  # the same person's first two requests raced: read the winner
            db.session.rollback()
            if attempt == 2:
                raise
    raise AssertionError("unreachable")


def _link_by_unionid(identity: WechatIdentity, ip: str | None) -> None:
    if identity.account_id is not None or not identity.unionid:
        return
    sibling = db.session.scalar(select(WechatIdentity).where(
        WechatIdentity.unionid == identity.unionid, WechatIdentity.id != identity.id,
        WechatIdentity.account_id.is_not(None)).limit(1))
    if sibling is None:
        return
    taken = db.session.scalar(select(WechatIdentity.id).where(
        WechatIdentity.account_id == sibling.account_id, WechatIdentity.app == identity.app))
    if taken is None:  # the account has no identity of this app yet: no rebind without proof
        identity.account_id, identity.bound_at = sibling.account_id, utcnow()
        audit("link", sibling.account_id, identity.id, ip, via_identity=sibling.id)


def login_with_code(code: str, ip: str | None) -> LoginResult:
    """wx.login code → identity (+ its account); WeChat's refusals become DomainErrors.
    Limited per IP (WXA_LOGINS_PER_IP_MINUTE): each log-in costs a code2session call."""
    appid = current_app.config["WECHAT"]["MINIPROGRAM"]["APPID"]
    if not appid:  # not configured: do not call WeChat with empty credentials
        raise Unavailable("WECHAT_NOT_CONFIGURED", "小程序登录尚未开通，请联系管理员")
    if ip:
        per_minute = int(current_app.config.get("WXA_LOGINS_PER_IP_MINUTE", 60))
        ratelimit.hit([ratelimit.Limit("wxa-login-ip", ip, 60, per_minute)], "登录过于频繁，请稍后再试")
    try:
        info = code_to_session(code)
    except wx_errors.LoginCodeInvalid as exc:
        raise InvalidInput("WX_CODE_INVALID", exc.message, {"code": exc.message}) from exc
    except wx_errors.LoginCodeUsed as exc:
        message = exc.message
        if code.startswith("dev:") and current_app.config["WECHAT"].get("EMULATOR"):
            openid = code[4:].split(":", 1)[0]
            message = (f"登录凭证 code 已被使用：开发环境的 dev: code 只能使用一次，请换一个新的，"
                       f"例如 dev:{openid}:2（第二个冒号后可写任意内容，仍是同一个用户）")
        raise InvalidInput("WX_CODE_USED", message, {"code": message}) from exc
    except wx_errors.RateLimited as exc:
        raise RateLimited(60, exc.message, "WX_RATE_LIMITED") from exc
    except wx_errors.WeChatNetworkError as exc:  # unreachable: in development, say which emulator
        hint = emulator_unreachable_hint(current_app.config)
        raise Unavailable("WECHAT_UNAVAILABLE", hint or exc.message) from exc
    except wx_errors.WeChatError as exc:  # busy (-1), token: try again later
        raise Unavailable("WECHAT_UNAVAILABLE", exc.message) from exc
    except WeChatClientException as exc:  # a configuration problem (appid/secret): ours to fix
        log.error("code2session failed: %s %s", exc.errcode, exc.errmsg)
        raise Unavailable("WECHAT_UNAVAILABLE", "微信登录暂时不可用，请稍后再试") from exc
    identity = upsert_identity(WechatApp.MINIPROGRAM, appid, info.openid, info.unionid, ip)
    redis_ext.client.set(SESSION_KEY_PREFIX + str(identity.id), cipher().encrypt(info.session_key),
                         ex=TOKEN_TTL)
    account = db.session.get(Account, identity.account_id) if identity.account_id else None
    if account is not None and not account.is_active:
        raise Forbidden("ACCOUNT_DISABLED", "账号已停用，请联系学校就业指导中心")
    return LoginResult(identity, account)


def session_key_of(identity_id: int) -> str | None:
    """The mini-program session_key of an identity (for decrypting wx data); never sent out."""
    raw = redis_ext.client.get(SESSION_KEY_PREFIX + str(identity_id))
    return cipher().decrypt(raw.decode()) if raw else None


def unbound_identity(identity_id: int | None) -> WechatIdentity:
    """The caller's mini-program identity, which must not be bound yet."""
    identity = db.session.get(WechatIdentity, identity_id) if identity_id else None
    if identity is None or identity.app != WechatApp.MINIPROGRAM:
        raise Forbidden("WECHAT_LOGIN_REQUIRED", "请在微信小程序中登录后再绑定")
    if identity.account_id is not None:
        raise Conflict("ALREADY_BOUND", "该微信已绑定账号，如需更换请先解除绑定")
    return identity


# -- binding ----------------------------------------------------------------------------------

def _attempt_limits(identity_id: int, ip: str | None) -> list[ratelimit.Limit]:
    limits = [ratelimit.Limit("bind-fail-identity", str(identity_id), 3600, 5)]
    if ip:
        limits.append(ratelimit.Limit("bind-fail-ip", ip, 3600, 20))
    return limits


def start_student_binding(identity_id: int | None, school_code: str, student_no: str, name: str,
                          id_number: str, ip: str | None) -> str:
    """Match the four details against an approved student and text a code to the phone on
    file; the masked phone. A mismatch says the same whatever field was wrong."""
    identity = unbound_identity(identity_id)
    limits = _attempt_limits(identity.id, ip)
    ratelimit.check(limits, "核验失败次数过多，请1小时后再试")
    student = db.session.scalar(
        select(Student).join(School, School.id == Student.school_id).where(
            School.code == school_code.strip(), Student.student_no == student_no.strip(),
            Student.name == name.strip(),
            Student.id_number_hash == lookup_hash(normalize_id_number(id_number)),
            Student.source_status == SourceStatus.APPROVED))
    # Compared again in Python: MySQL's collation would also match other case or widths.
    if student is None or (student.name, student.student_no) != (name.strip(), student_no.strip()):
        ratelimit.count(limits)
        raise InvalidInput("STUDENT_NOT_MATCHED", NOT_MATCHED)
    if not student.phone:
        raise Conflict("NO_PHONE_ON_FILE", "学校未登记你的手机号，请联系学校就业指导中心补充后再绑定")
    sms.issue_code(BIND_PURPOSE, str(identity.id), student.phone, ip, {"student_id": student.id})
    return mask_phone(student.phone)


def confirm_student_binding(identity_id: int | None, sms_code: str, email: str, address: str,
                            ip: str | None) -> Account:
    """Check the SMS code, store email and address, create or reuse the student's account and
    bind it to this identity (a rebind, with the SMS as proof, if another identity held it)."""
    identity = unbound_identity(identity_id)
    data = sms.verify_code(BIND_PURPOSE, str(identity.id), sms_code)  # outside: no retry re-uses it
    account, rebound = _confirm_student_binding(identity.id, data["student_id"], email, address, ip)
    if rebound:
        revoke_account_tokens(account.id)  # after the commit: the old devices are logged out
    return account


@transactional
def _confirm_student_binding(identity_id: int, student_id: int, email: str, address: str,
                             ip: str | None) -> tuple[Account, bool]:
    identity = unbound_identity(identity_id)
    student = db.session.get(Student, student_id)
    if student is None or student.source_status != SourceStatus.APPROVED:
        raise InvalidInput("STUDENT_NOT_MATCHED", NOT_MATCHED)
    student.email, student.address = email.strip(), address.strip()
    account = db.session.scalar(select(Account).where(Account.student_id == student.id))
    if account is None:
        account = Account(role=Role.STUDENT, student_id=student.id, school_id=student.school_id,
                          display_name=student.name)
        db.session.add(account)
        db.session.flush()
    if not account.is_active:
        raise Forbidden("ACCOUNT_DISABLED", "账号已停用，请联系学校就业指导中心")
    return account, _bind(identity, account, ip, proof="sms")


def bind_login_account(identity_id: int | None, username: str, password: str,
                       ip: str | None) -> Account:
    """Bind a username/password account (employer user; reviewers too, for QR log-in)."""
    identity = unbound_identity(identity_id)
    account = verify_login(username, password, ip)  # commits its own failure counters
    account, rebound = _bind_by_password(identity.id, account.id, ip)
    if rebound:
        revoke_account_tokens(account.id)
    return account


@transactional
def _bind_by_password(identity_id: int, account_id: int, ip: str | None) -> tuple[Account, bool]:
    identity = unbound_identity(identity_id)
    account = db.session.get(Account, account_id)
    return account, _bind(identity, account, ip, proof="password")


def _bind(identity: WechatIdentity, account: Account, ip: str | None, proof: str) -> bool:
    """Bind; True when this was a rebind (another identity of the app held the account)."""
    held = list(db.session.scalars(select(WechatIdentity).where(
        WechatIdentity.account_id == account.id).with_for_update()))
    rebind = any(other.app == identity.app for other in held)
    if rebind:  # a new WeChat user takes the account: none of the old identities stay bound
        for other in held:
            other.account_id, other.bound_at = None, None
        db.session.flush()  # free the (account, app) slot before taking it
        audit("rebind", account.id, identity.id, ip, previous_identities=[o.id for o in held],
              proof=proof)
    identity.account_id, identity.bound_at = account.id, utcnow()
    try:
        db.session.flush()
    except IntegrityError as exc:
        raise Conflict("BIND_CONFLICT", "该账号正在被其他微信绑定，请稍后重试") from exc
    _link_siblings(identity, ip)
    audit("bind", account.id, identity.id, ip, app=identity.app.value, proof=proof)
    return rebind


# -- password log-in with lockout ---------------------------------------------------------------

@functools.cache
def _dummy_hash() -> str:
    return hash_password("not-a-real-password")


def _login_limits(username: str, ip: str | None) -> tuple[ratelimit.Limit, list[ratelimit.Limit]]:
    """Failures per user name (known or not: keyed by a hash of the name) and per IP."""
    name = lookup_hash("login:" + username.strip().lower())[:32]
    per_name = ratelimit.Limit("login-fail-name", name, int(LOCK_TIME.total_seconds()), LOCK_AFTER)
    return per_name, [ratelimit.Limit("login-fail-ip", ip, 3600, 50)] if ip else []


def verify_login(username: str, password: str, ip: str | None) -> Account:
    """The active account with this username and password; 5 failures in 15 minutes lock the
    name for 15 minutes. Unknown usernames and wrong passwords answer alike and take the same
    steps: failures are counted per name in Redis whether or not the name exists (so the lock
    says nothing about existence), with one password hash checked either way."""
    per_name, ip_limits = _login_limits(username, ip)
    ratelimit.check(ip_limits, "登录失败次数过多，请稍后再试")
    ratelimit.check([per_name], LOCKED_MESSAGE, code="ACCOUNT_LOCKED")
    account = db.session.scalar(select(Account).where(Account.username == username.strip()))
    known = account is not None and bool(account.password_hash)
    if not verify_password(account.password_hash if known else _dummy_hash(), password) or not known:
        db.session.rollback()
        ratelimit.count([per_name, *ip_limits])
        if ratelimit.remaining(per_name) <= 0:
            if known:
                _record_lockout(account.id, ip)
            raise RateLimited(ratelimit.retry_after(per_name), LOCKED_MESSAGE, "ACCOUNT_LOCKED")
        raise InvalidInput("BAD_CREDENTIALS", "用户名或密码错误")
    if not account.is_active:
        db.session.rollback()
        raise Forbidden("ACCOUNT_DISABLED", "账号已停用，请联系管理员")
    ratelimit.clear([per_name])
    now = utcnow()
    account.failed_logins, account.locked_until, account.last_login_at = 0, None, now
    db.session.commit()
    return account


@transactional
def _record_lockout(account_id: int, ip: str | None) -> None:
    """For the account's history: when and from where it was locked."""
    account = db.session.get(Account, account_id)
    account.failed_logins, account.locked_until = LOCK_AFTER, utcnow() + LOCK_TIME
    audit("lockout", account.id, None, ip)


def _link_siblings(identity: WechatIdentity, ip: str | None) -> None:
    """The same person's unbound identities of the other app (same unionid) join the account."""
    if not identity.unionid:
        return
    for sibling in list(db.session.scalars(select(WechatIdentity).where(
            WechatIdentity.unionid == identity.unionid, WechatIdentity.id != identity.id,
            WechatIdentity.account_id.is_(None)))):
        _link_by_unionid(sibling, ip)
        db.session.flush()


def unbind_account(account_id: int, ip: str | None) -> list[int]:
    """Unbind every WeChat identity of the account (else the unionid would re-link them) and
    log the account out of every device; the ids unbound."""
    unbound = _unbind(account_id, ip)
    revoke_account_tokens(account_id)
    return unbound


@transactional
def _unbind(account_id: int, ip: str | None) -> list[int]:
    identities = list(db.session.scalars(select(WechatIdentity).where(
        WechatIdentity.account_id == account_id).with_for_update()))
    if not identities:
        raise Conflict("NOT_BOUND", "该账号未绑定微信")
    db.session.execute(update(WechatIdentity).where(WechatIdentity.account_id == account_id)
                       .values(account_id=None, bound_at=None))
    audit("unbind", account_id, identities[0].id, ip, identities=[i.id for i in identities])
    return [i.id for i in identities]



LINK_FOLLOWER_JOB = "app.services.binding.link_follower"


def record_follow(appid: str, openid: str, follows: bool, at: datetime) -> None:
    """(Un)following of the official account, from the callback; the newest event wins. Commits,
    then a new follower's unionid is looked up by a job (link_follower)."""
    for attempt in (1, 2):
        identity = db.session.scalar(select(WechatIdentity).where(
            WechatIdentity.appid == appid, WechatIdentity.openid == openid))
        if identity is None:
            identity = WechatIdentity(app=WechatApp.OFFICIAL, appid=appid, openid=openid)
            db.session.add(identity)
        latest = max((t for t in (identity.followed_at, identity.unfollowed_at) if t), default=None)
        if latest is not None and at < latest:
            log.info("stale %s event for %s ignored", "subscribe" if follows else "unsubscribe",
                     openid)
            db.session.rollback()
            return
        identity.follows = follows
        if follows:
            identity.followed_at = at
        else:
            identity.unfollowed_at = at
        try:
            db.session.commit()
            break
        except IntegrityError:  # created concurrently by another event for the same openid
            db.session.rollback()
            if attempt == 2:
                raise
    if follows:
        redis_ext.queue("default").enqueue(LINK_FOLLOWER_JOB, appid, openid)


def link_follower(appid: str, openid: str) -> None:
    """A new follower of the official account (an RQ job after the callback): learn its unionid
    from user/info, so that a person already bound in the mini-program is the same account and
    template messages reach them."""
    from wechat.clients import official_client

    try:
        info = official_client().user.get(openid)
    except (WeChatClientException, wx_errors.WeChatError) as exc:
        log.warning("user/info for a new follower failed (%s); linking waits for their next visit", exc)
        return
    if info.get("unionid"):
        upsert_identity(WechatApp.OFFICIAL, appid, openid, info["unionid"])
