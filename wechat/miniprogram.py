"""Mini-program login: exchange a wx.login code for the user's openid (code2session)."""
from __future__ import annotations

from dataclasses import dataclass, field

from wechatpy.exceptions import WeChatClientException

from wechat.clients import miniprogram_client
from wechat.exceptions import LOGIN_ERRORS, LoginCodeError


@dataclass(frozen=True)
class SessionInfo:
    """Who logged in. ``session_key`` is a server-side secret: store it, never send it out."""

    openid: str
    unionid: str | None
    session_key: str = field(repr=False)


def code_to_session(code: str) -> SessionInfo:
    """Exchange a wx.login code; raises a LoginCodeError subclass with a Chinese ``message``."""
    if not code or len(code) > 128:
        raise LOGIN_ERRORS[40029](40029, "invalid code")
    try:
        result = miniprogram_client().wxa.code_to_session(code)
    except WeChatClientException as exc:
        error = LOGIN_ERRORS.get(exc.errcode)
        if error is None:
            raise
        raise error(exc.errcode, exc.errmsg, client=exc.client, request=exc.request,
                    response=exc.response) from exc
    if not result.get("openid") or not result.get("session_key"):
        raise LoginCodeError(None, "code2session 返回缺少 openid")
    return SessionInfo(openid=result["openid"], unionid=result.get("unionid") or None,
                       session_key=result["session_key"])
