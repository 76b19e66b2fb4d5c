"""Mini-program code2session and official-account web OAuth (authorize page, token, userinfo)."""
from __future__ import annotations

import base64
import secrets
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from flask import jsonify, redirect, render_template, request

from wechat.emulator.core import OPENID_RE, EmuError, api_call, app_kind, bp, check_credentials, \
    key, load_json, now, remember_user, save_json, store, unionid_for
from wechat.emulator.users import candidate_users, following

CODE_SECONDS = 300
SNS_TOKEN_SECONDS = 7200


def consume_code(namespace: str, code: str) -> None:
    """Codes are single-use: the second exchange of the same code answers 40163."""
    if not store().set(key("used", namespace, code), 1, nx=True, ex=86400):
        raise EmuError(40163)


@bp.get("/sns/jscode2session")
def jscode2session():
    """wx.login code -> openid: "dev:<openid>" (or "dev:<openid>:<anything>", to log the same
    user in again) works once; anything else is 40029."""
    api_call("jscode2session", token=False)
    appid = request.args.get("appid", "")
    check_credentials(appid, request.args.get("secret", ""), kind="miniprogram")
    if request.args.get("grant_type") != "authorization_code":
        raise EmuError(40002)
    code = request.args.get("js_code", "")
    openid = code[4:].split(":", 1)[0] if code.startswith("dev:") else ""
    if not OPENID_RE.match(openid):
        raise EmuError(40029)
    consume_code("jscode", code)
    remember_user(openid)
    session_key = base64.b64encode(secrets.token_bytes(16)).decode()
    return jsonify({"openid": openid, "session_key": session_key, "unionid": unionid_for(openid)})


def _authorize_problem(args) -> str | None:
    if app_kind(args.get("appid", "")) != "official":
        return "10016：appid 参数错误（不是已配置的公众号）"
    if urlsplit(args.get("redirect_uri", "")).scheme not in ("http", "https"):
        return "10003：redirect_uri 参数错误"
    if args.get("response_type") != "code":
        return "10004：response_type 参数错误"
    if args.get("scope") not in ("snsapi_base", "snsapi_userinfo"):
        return "10005：scope 参数错误"
    return None


@bp.get("/connect/oauth2/authorize")
def oauth_authorize():
    """The page WeChat shows in its browser; here the tester picks who is "using WeChat"."""
    problem = _authorize_problem(request.args)
    if problem:
        return render_template("wechat_emulator/message.html", title="授权失败", text=problem), 400
    return render_template("wechat_emulator/pick_user.html", title="模拟微信网页授权",
                           action="wechat_emulator.oauth_confirm", hidden=request.args.to_dict(),
                           users=candidate_users(), intro="选择以哪个微信用户身份授权登录：")


@bp.get("/connect/oauth2/confirm")
def oauth_confirm():
    """Issue a code for the chosen openid and send the browser back with code and state."""
    problem = _authorize_problem(request.args)
    openid = request.args.get("openid", "").strip()
    if problem or not OPENID_RE.match(openid):
        text = problem or "openid 只能包含字母、数字、下划线和减号（1–64 位）"
        return render_template("wechat_emulator/message.html", title="授权失败", text=text), 400
    code = secrets.token_urlsafe(24)
    save_json(key("oauth_code", code), {"appid": request.args["appid"], "openid": openid,
                                        "scope": request.args["scope"]}, CODE_SECONDS)
    remember_user(openid)
    parts = urlsplit(request.args["redirect_uri"])
    query = parse_qsl(parts.query) + [("code", code), ("state", request.args.get("state", ""))]
    return redirect(urlunsplit(parts._replace(query=urlencode(query), fragment="")))


@bp.get("/sns/oauth2/access_token")
def oauth_access_token():
    """code -> web access_token + openid (+ unionid)."""
    api_call("oauth_access_token", token=False)
    appid = request.args.get("appid", "")
    check_credentials(appid, request.args.get("secret", ""), kind="official")
    if request.args.get("grant_type") != "authorization_code":
        raise EmuError(40002)
    code = request.args.get("code", "")
    grant = load_json(key("oauth_code", code)) if code else None
    if grant is None or grant["appid"] != appid:
        if code and store().exists(key("used", "oauth", code)):
            raise EmuError(40163)
        raise EmuError(40029)
    consume_code("oauth", code)
    store().delete(key("oauth_code", code))
    token = secrets.token_urlsafe(64)
    save_json(key("sns_token", token), {"openid": grant["openid"], "scope": grant["scope"],
                                        "expires_at": now() + SNS_TOKEN_SECONDS},
              SNS_TOKEN_SECONDS + 86400)
    return jsonify({"access_token": token, "expires_in": SNS_TOKEN_SECONDS,
                    "refresh_token": secrets.token_urlsafe(64), "openid": grant["openid"],
                    "scope": grant["scope"], "is_snapshotuser": 0,
                    "unionid": unionid_for(grant["openid"])})


@bp.get("/sns/userinfo")
def userinfo():
    """Profile of the user behind a web access_token (snsapi_userinfo scope only)."""
    api_call("userinfo", token=False)
    token = request.args.get("access_token", "")
    if not token:
        raise EmuError(41001)
    grant = load_json(key("sns_token", token))
    if grant is None:
        raise EmuError(40001)
    if grant["expires_at"] <= now():
        raise EmuError(42001)
    if request.args.get("openid") != grant["openid"]:
        raise EmuError(40003)
    if grant["scope"] != "snsapi_userinfo":
        raise EmuError(48001)
    openid = grant["openid"]
    return jsonify({"openid": openid, "nickname": f"模拟用户{openid[-4:]}", "sex": 0,
                    "province": "", "city": "", "country": "", "headimgurl": "", "privilege": [],
                    "unionid": unionid_for(openid)})


@bp.get("/cgi-bin/user/info")
def user_info():
    """Official-account user info by openid: whether they follow, and the unionid."""
    appid = api_call("user_info")
    openid = request.args.get("openid", "")
    if app_kind(appid or "") != "official":
        raise EmuError(48001)
    if not OPENID_RE.match(openid):
        raise EmuError(40003)
    if not following(openid):
        return jsonify({"subscribe": 0, "openid": openid})
    followed_at = store().zscore(key("users"), openid)
    return jsonify({"subscribe": 1, "openid": openid, "language": "zh_CN",
                    "subscribe_time": int(followed_at or now()), "unionid": unionid_for(openid),
                    "remark": "", "groupid": 0, "tagid_list": [],
                    "subscribe_scene": "ADD_SCENE_QR_CODE", "qr_scene": 0, "qr_scene_str": ""})
