"""账号管理 writes: the employer's admin adds a colleague and resets a password; anyone changes
their own password."""
from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, StringConstraints
from spectree import Response
from typing_extensions import Annotated

from app.api import bp, spec
from app.api.auth import current_actor, roles_required
from app.api.conventions import idempotent
from app.api.employer_account import AccountOut, account_out
from app.api.schemas_common import ERRORS, Ok
from app.domain.terms import Text50
from app.services import employer_accounts

Password = Annotated[str, StringConstraints(min_length=1, max_length=128)]


def _ip() -> str | None:
    from flask import request

    return request.remote_addr


class ColleagueBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    username: Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^[A-Za-z0-9_.@-]{4,50}$")]
    display_name: Text50
    password: Password = Field(description="初始密码：至少8位，含字母和数字")


class ResetBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    password: Password


class ChangePasswordBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    old_password: Password
    new_password: Password


@bp.post("/employer/accounts")
@roles_required("employer_user")
@idempotent
@spec.validate(json=ColleagueBody, resp=Response(HTTP_200=AccountOut, **ERRORS), tags=["employer"])
def add_colleague(json: ColleagueBody):
    """添加账号 (the employer's admin only): a colleague's log-in with a first password."""
    account = employer_accounts.add_colleague(current_actor(), json.username, json.display_name,
                                              json.password, _ip())
    return account_out(account)


@bp.post("/employer/accounts/<int:account_id>/password")
@roles_required("employer_user")
@idempotent
@spec.validate(json=ResetBody, resp=Response(HTTP_200=AccountOut, **ERRORS), tags=["employer"])
def reset_password(account_id: int, json: ResetBody):
    """重置密码 of a colleague (the employer's admin only); a log-in lock ends with it."""
    return account_out(employer_accounts.reset_password(current_actor(), account_id, json.password, _ip()))


@bp.post("/employer/password")
@roles_required("employer_user")
@spec.validate(json=ChangePasswordBody, resp=Response(HTTP_200=Ok, **ERRORS), tags=["employer"])
def change_password(json: ChangePasswordBody):
    """修改密码: the current password, then the new one."""
    employer_accounts.change_own_password(current_actor(), json.old_password, json.new_password, _ip())
    return Ok()
