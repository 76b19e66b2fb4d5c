"""Auth and identity endpoints (API.md): mini-program log-in, binding, unbinding, log-out, and
the phone side of desktop QR log-in."""
from __future__ import annotations

import functools
import re
from collections.abc import Callable
from typing import Any, Optional

from flask import g, request
from pydantic import BaseModel, Field, field_validator
from spectree import Response

from app.api import bp, spec
from app.api.auth import current_account, current_session, issue_token, revoke_token
from app.api.conventions import idempotent
from app.api.schemas_common import ERRORS, Ok
from app.domain.errors import Forbidden
from app.domain.identity import id_number_error
from app.extensions import db
from app.models import Account, Role
from app.models.wechat import WechatApp, WechatIdentity
from app.pii import mask_phone
from app.services import binding, qrlogin

EMAIL_RE = re.compile(r"^[^@\s]{1,64}@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$")


class WxaLoginBody(BaseModel):
    code: str = Field(min_length=1, max_length=128, description="wx.login() 返回的 code")


class Profile(BaseModel):
    account_id: int
    display_name: str
    school: Optional[str] = None
    student_no: Optional[str] = None
    phone_masked: Optional[str] = None
    employer: Optional[str] = None
    college: Optional[str] = None  # college reviewers: their college


class LoginResult(BaseModel):
    token: str
    bound: bool
    role: Optional[str] = None
    profile: Optional[Profile] = None


class BindStudentBody(BaseModel):
    school_code: str = Field(pattern=r"^\d{5}$", description="学校代码（5位）")
    student_no: str = Field(min_length=1, max_length=30)
    name: str = Field(min_length=1, max_length=50)
    id_number: str = Field(min_length=18, max_length=18)

    @field_validator("id_number")
    @classmethod
    def _id_number(cls, value: str) -> str:
        problem = id_number_error(value)
        if problem:
            raise ValueError(problem)
        return value


class BindStudentStarted(BaseModel):
    phone_masked: str


class BindStudentConfirmBody(BaseModel):
    sms_code: str = Field(pattern=r"^\d{6}$", description="短信验证码（6位数字）")
    email: str = Field(max_length=120)
    address: str = Field(min_length=5, max_length=200, description="通讯地址")

    @field_validator("email")
    @classmethod
    def _email(cls, value: str) -> str:
        if not EMAIL_RE.match(value.strip()):
            raise ValueError("邮箱格式不正确")
        return value.strip()


class BindEmployerBody(BaseModel):
    username: str = Field(min_length=1, max_length=50)
    password: str = Field(min_length=1, max_length=128)


class QrDesktop(BaseModel):
    """The desktop that asked to log in: check it is yours before confirming."""
    ip: str
    browser: str
    requested_at: str
    expires_in: int


class QrScanResult(BaseModel):
    state: str
    desktop: QrDesktop
    account_name: str


class QrConfirmBody(BaseModel):
    confirm: bool = Field(default=True, description="true 确认登录；false 取消")


class QrConfirmResult(BaseModel):
    state: str


def _requires(bound: bool) -> Callable:
    """Authentication before validation: a live token (bound to an account if ``bound``); a
    token of a deactivated account is 401 whatever the route."""
    def decorator(view: Callable) -> Callable:
        @functools.wraps(view)
        def wrapper(*args: Any, **kwargs: Any):
            if bound or current_session().account_id is not None:
                current_account()
            return view(*args, **kwargs)

        return wrapper

    return decorator


def _ip() -> str | None:
    return request.remote_addr


def _profile(account: Account) -> Profile:
    profile = Profile(account_id=account.id, display_name=account.display_name)
    if account.role == Role.STUDENT and account.student is not None:
        student = account.student
        profile.school, profile.student_no = student.school.name, student.student_no
        profile.phone_masked = mask_phone(student.phone)
    elif account.role == Role.EMPLOYER_USER and account.employer is not None:
        profile.employer = account.employer.name
    elif account.role in (Role.COLLEGE_REVIEWER, Role.SCHOOL_REVIEWER):
        profile.school = account.school.name
        profile.college = account.college.name if account.college is not None else None
    return profile


def _logged_in(account: Account, identity_id: int) -> LoginResult:
    """Replace the caller's token with one that carries the account."""
    current_session()
    revoke_token(g.token)  # the unbound token may only bind: it ends here
    token = issue_token(account.id, identity_id)
    return LoginResult(token=token, bound=True, role=account.role.value, profile=_profile(account))


@bp.post("/auth/wxa-login")
@spec.validate(json=WxaLoginBody, resp=Response(HTTP_200=LoginResult, **ERRORS), tags=["auth"])
def wxa_login(json: WxaLoginBody):
    """Mini-program log-in: code2session; an unbound token may only bind."""
    result = binding.login_with_code(json.code, _ip())
    account = result.account
    token = issue_token(account.id if account else None, result.identity.id)
    if account is None:
        return LoginResult(token=token, bound=False)
    return LoginResult(token=token, bound=True, role=account.role.value, profile=_profile(account))


@bp.post("/auth/bind/student")
@_requires(bound=False)
@idempotent  # a repeat after a lost answer gets the first one, not the 1-a-minute 429
@spec.validate(json=BindStudentBody, resp=Response(HTTP_200=BindStudentStarted, **ERRORS),
               tags=["auth"])
def bind_student(json: BindStudentBody):
    """Check the student's details and text a code to the phone the school has on file."""
    session = current_session()
    phone = binding.start_student_binding(session.identity_id, json.school_code, json.student_no,
                                          json.name, json.id_number, _ip())
    return BindStudentStarted(phone_masked=phone)


@bp.post("/auth/bind/student/confirm")
@_requires(bound=False)
@spec.validate(json=BindStudentConfirmBody, resp=Response(HTTP_200=LoginResult, **ERRORS),
               tags=["auth"])
def bind_student_confirm(json: BindStudentConfirmBody):
    """The SMS code, email and mailing address: binds the student account; a new token."""
    session = current_session()
    account = binding.confirm_student_binding(session.identity_id, json.sms_code, json.email,
                                              json.address, _ip())
    return _logged_in(account, session.identity_id)


@bp.post("/auth/bind/employer")
@_requires(bound=False)
@spec.validate(json=BindEmployerBody, resp=Response(HTTP_200=LoginResult, **ERRORS), tags=["auth"])
def bind_employer(json: BindEmployerBody):
    """Bind an employer user (or reviewer) account by username and password; a new token."""
    session = current_session()
    account = binding.bind_login_account(session.identity_id, json.username, json.password, _ip())
    return _logged_in(account, session.identity_id)


@bp.post("/auth/unbind")
@_requires(bound=True)
@spec.validate(resp=Response(HTTP_200=Ok, **ERRORS), tags=["auth"])
def unbind():
    """Unbind this account's WeChat and log it out everywhere."""
    account = current_account()
    binding.unbind_account(account.id, _ip())
    return Ok()


@bp.post("/auth/logout")
@_requires(bound=False)
@spec.validate(resp=Response(HTTP_200=Ok, **ERRORS), tags=["auth"])
def logout():
    """End this token."""
    current_session()
    revoke_token(g.token)
    return Ok()


def _scanner() -> tuple[Account, int]:
    """The bound account and the mini-program identity of the caller."""
    account = current_account()
    identity_id = current_session().identity_id
    identity = db.session.get(WechatIdentity, identity_id) if identity_id else None
    if identity is None or identity.app != WechatApp.MINIPROGRAM or identity.account_id != account.id:
        raise Forbidden("WECHAT_LOGIN_REQUIRED", "请在微信小程序中登录后扫码")
    return account, identity.id


@bp.post("/auth/qr/<ticket>/scan")
@_requires(bound=True)
@spec.validate(resp=Response(HTTP_200=QrScanResult, **ERRORS), tags=["auth"])
def qr_scan(ticket: str):
    """The mini-program scanned a desktop log-in code: show which desktop is asking."""
    account, identity_id = _scanner()
    scanned = qrlogin.scan(ticket, identity_id, "miniprogram")
    return QrScanResult(state=scanned["state"], desktop=QrDesktop(**qrlogin.desktop_view(scanned)),
                        account_name=account.display_name)


@bp.post("/auth/qr/<ticket>/confirm")
@_requires(bound=True)
@spec.validate(json=QrConfirmBody, resp=Response(HTTP_200=QrConfirmResult, **ERRORS), tags=["auth"])
def qr_confirm(ticket: str, json: QrConfirmBody):
    """Confirm (or cancel) the desktop log-in after checking the desktop's details."""
    account, identity_id = _scanner()
    if not json.confirm:
        qrlogin.cancel(ticket, identity_id)
        return QrConfirmResult(state="cancelled")
    qrlogin.confirm(ticket, identity_id, account.id)
    binding.record("qr_confirm", account.id, identity_id, _ip(), via="miniprogram")
    return QrConfirmResult(state="confirmed")
