"""GET /cgi-bin/token and POST /cgi-bin/stable_token: access tokens that expire after 7200 s."""
from __future__ import annotations

import secrets

from flask import jsonify, request

from wechat.emulator.core import EmuError, api_call, bp, check_credentials, json_body, key, \
    load_json, now, save_json, store

TOKEN_SECONDS = 7200
# Redis keeps a token a day past its expiry so a call with it answers 42001, not 40001.
KEEP_SECONDS = TOKEN_SECONDS + 86400


def issue_token(appid: str) -> str:
    token = secrets.token_urlsafe(96)
    save_json(key("token", token), {"appid": appid, "expires_at": now() + TOKEN_SECONDS},
              KEEP_SECONDS)
    store().sadd(key("tokens", appid), token)
    return token


def invalidate_tokens(appid: str | None = None) -> int:
    """Forget every token (of one app): the next call with one answers 40001."""
    appids = [appid] if appid else [k.decode().rsplit(":", 1)[1]
                                    for k in store().scan_iter(key("tokens", "*"))]
    count = 0
    for one in appids:
        tokens = store().smembers(key("tokens", one))
        names = [key("token", t.decode()) for t in tokens]
        count += store().delete(*names, key("tokens", one), key("stable", one)) if names else 0
    return count


@bp.get("/cgi-bin/token")
def token():
    """The classic token: a new one on every call."""
    api_call("token", token=False)
    if request.args.get("grant_type") != "client_credential":
        raise EmuError(40002)
    appid = request.args.get("appid", "")
    check_credentials(appid, request.args.get("secret", ""), bad_secret=40001)
    return jsonify({"access_token": issue_token(appid), "expires_in": TOKEN_SECONDS})


@bp.post("/cgi-bin/stable_token")
def stable_token():
    """The stable token: the same one until it expires, unless force_refresh."""
    api_call("stable_token", token=False)
    body = json_body()
    if body.get("grant_type") != "client_credential":
        raise EmuError(40002)
    appid = str(body.get("appid", ""))
    check_credentials(appid, str(body.get("secret", "")))
    current = store().get(key("stable", appid))
    current = current.decode() if current else None
    info = load_json(key("token", current)) if current else None
    if info and info["expires_at"] > now() and body.get("force_refresh") is not True:
        return jsonify({"access_token": current, "expires_in": info["expires_at"] - now()})
    if current:
        store().delete(key("token", current))  # force_refresh invalidates the previous token
    fresh = issue_token(appid)
    store().set(key("stable", appid), fresh)
    return jsonify({"access_token": fresh, "expires_in": TOKEN_SECONDS})
