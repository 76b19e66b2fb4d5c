"""Mini-program code2session and official-account web OAuth against the emulator over HTTP."""
from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from wechatpy.exceptions import WeChatOAuthException

from tests.wechat_fixtures import *  # noqa: F401,F403
from wechat.clients import official_oauth
from wechat.emulator import calls
from wechat.emulator.core import unionid_for
from wechat.exceptions import LoginCodeInvalid, LoginCodeUsed, RateLimited, WeChatBusy
from wechat.miniprogram import SessionInfo, code_to_session


def control(app, path: str, body: dict) -> None:
    assert app.test_client().post(f"/_emulator/control/{path}", json=body).status_code == 200


def test_code_to_session_returns_openid_unionid_and_a_hidden_session_key(live):
    """Does a dev code log in as its openid, with the unionid shared with the official account?"""
    info = code_to_session("dev:mp-lisi")
    assert isinstance(info, SessionInfo)
    assert info.openid == "mp-lisi" and info.unionid == unionid_for("oa-lisi")
    assert info.session_key and info.session_key not in repr(info)
    assert calls("stable_token") == 0  # code2session needs no access_token; none is fetched


def test_reused_code_is_refused_with_a_chinese_message(live):
    """Is the second use of the same wx.login code refused as 已被使用 (40163)?"""
    code_to_session("dev:mp-wangwu")
    with pytest.raises(LoginCodeUsed) as info:
        code_to_session("dev:mp-wangwu")
    assert info.value.errcode == 40163 and "已被使用" in info.value.message


@pytest.mark.parametrize("code", ["garbage", "dev:", "dev:bad openid!"])
def test_garbage_code_is_invalid(live, code):
    """Is a code WeChat never issued refused as 无效 (40029)?"""
    with pytest.raises(LoginCodeInvalid) as info:
        code_to_session(code)
    assert info.value.errcode == 40029 and "无效" in info.value.message


@pytest.mark.parametrize(("errcode", "error", "text"),
                         [(45011, RateLimited, "频率限制"), (-1, WeChatBusy, "系统繁忙")])
def test_rate_limit_and_busy_map_to_their_messages(live, errcode, error, text):
    """Do WeChat's rate limit and busy answers become errors a user can read?"""
    control(live, "fail", {"api": "jscode2session", "errcode": errcode, "times": 1})
    with pytest.raises(error) as info:
        code_to_session("dev:mp-zhaoliu")
    assert info.value.errcode == errcode and text in info.value.message and info.value.retryable


def test_web_oauth_round_trip(live):
    """Authorize page -> pick a user -> redirect with code and state -> token -> user info."""
    oauth = official_oauth("https://wq.example.edu.cn/wechat/oauth/callback?next=%2Fme",
                           scope="snsapi_userinfo", state="st-1")
    assert oauth.authorize_url.startswith(live.config["WECHAT"]["OPEN_BASE"] + "/connect/oauth2/")
    page = requests.get(oauth.authorize_url, timeout=5)
    assert page.status_code == 200 and "选择以哪个微信用户身份授权登录" in page.text

    url = urlsplit(oauth.authorize_url.split("#")[0])
    confirm = requests.get(f"{live.config['WECHAT']['OPEN_BASE']}/connect/oauth2/confirm?"
                           f"{url.query}&openid=oa-sunqi", allow_redirects=False, timeout=5)
    assert confirm.status_code == 302
    target = urlsplit(confirm.headers["Location"])
    assert target.netloc == "wq.example.edu.cn" and target.path == "/wechat/oauth/callback"
    query = parse_qs(target.query)
    assert query["state"] == ["st-1"] and query["next"] == ["/me"]

    token = oauth.fetch_access_token(query["code"][0])
    assert token["openid"] == "oa-sunqi" and token["unionid"] == unionid_for("mp-sunqi")
    assert oauth.get_user_info()["openid"] == "oa-sunqi"
    with pytest.raises(WeChatOAuthException) as info:
        oauth.fetch_access_token(query["code"][0])
    assert info.value.errcode == 40163


def test_snsapi_base_token_cannot_read_user_info(live):
    """Does a silent (snsapi_base) grant get 48001 from sns/userinfo, as on WeChat?"""
    oauth = official_oauth("https://wq.example.edu.cn/cb", scope="snsapi_base")
    query = urlsplit(oauth.authorize_url.split("#")[0]).query
    confirm = requests.get(f"{live.config['WECHAT']['OPEN_BASE']}/connect/oauth2/confirm?"
                           f"{query}&openid=oa-base", allow_redirects=False, timeout=5)
    code = parse_qs(urlsplit(confirm.headers["Location"]).query)["code"][0]
    oauth.fetch_access_token(code)
    with pytest.raises(WeChatOAuthException) as info:
        oauth.get_user_info()
    assert info.value.errcode == 48001
