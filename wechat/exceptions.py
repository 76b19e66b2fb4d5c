"""WeChat errors: every failure of a WeChat call is a WeChatClientException with an errcode.

wechatpy raises WeChatClientException (APILimitedException for 45009) for errcodes; these
add the cases it lets through (network errors, token fetch) and give the mini-program login
errors a Chinese message a user can be shown.
"""
from __future__ import annotations

from wechatpy.exceptions import WeChatClientException

# Errcodes meaning "the access_token is wrong": refresh once and retry.
TOKEN_ERRCODES = frozenset({40001, 40014, 42001})


class WeChatError(WeChatClientException):
    """A WeChat call failed; ``errcode`` is WeChat's (None for network), ``message`` is Chinese."""

    message = "微信接口调用失败"

    def __init__(self, errcode: int | None, errmsg: str | None = None, **kwargs) -> None:
        super().__init__(errcode, errmsg or self.message, **kwargs)

    @property
    def retryable(self) -> bool:
        """Worth retrying later (busy, rate limit, network), as opposed to a bad request."""
        return self.errcode in (None, -1, 45009, 45011)


class WeChatNetworkError(WeChatError):
    """WeChat did not answer (timeout, connection refused, HTTP 5xx)."""

    message = "无法连接微信服务器，请稍后再试"

    def __init__(self, errmsg: str | None = None, **kwargs) -> None:
        super().__init__(None, errmsg, **kwargs)


class AccessTokenError(WeChatError):
    """The access_token could not be obtained (bad appid/secret, WeChat down, lock timeout)."""

    message = "获取微信 access_token 失败"


class LoginCodeError(WeChatError):
    """wx.login code rejected by code2session; ``message`` can be shown to the user."""

    message = "微信登录失败，请重试"


class LoginCodeInvalid(LoginCodeError):
    message = "登录凭证 code 无效，请重新登录"


class LoginCodeUsed(LoginCodeError):
    message = "登录凭证 code 已被使用，请重新登录"


class RateLimited(LoginCodeError):
    message = "频率限制，请稍后再试"


class WeChatBusy(LoginCodeError):
    message = "微信系统繁忙，请稍后再试"


LOGIN_ERRORS: dict[int, type[LoginCodeError]] = {
    40029: LoginCodeInvalid,
    40163: LoginCodeUsed,
    45011: RateLimited,
    -1: WeChatBusy,
}
