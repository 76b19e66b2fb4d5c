"""Shared pieces of the emulator: the blueprint, Redis keys, WeChat-shaped errors, checks.

All state lives in Redis under "wq:emu:" so every process of a dev deployment sees the same
tokens, codes and messages. Times come from app.clock, so tests move them with time_machine.
"""
from __future__ import annotations

import hashlib
import json
import re
import secrets
from typing import Any

from flask import Blueprint, current_app, jsonify, request
from redis import Redis

from app.extensions import redis_ext
from wechat.clock import epoch_now

bp = Blueprint("wechat_emulator", __name__, url_prefix="/_emulator", template_folder="templates",
               static_folder="static", static_url_path="/static")

PREFIX = "wq:emu:"
# Names accepted by /_emulator/control/fail.
APIS = ("token", "stable_token", "jscode2session", "oauth_access_token", "userinfo", "user_info",
        "template_send", "subscribe_send", "qrcode_create", "wxacode", "phonenumber")
ERRMSG = {
    -1: "system error",
    40001: "invalid credential, access_token is invalid or not latest",
    40002: "invalid grant_type",
    40003: "invalid openid",
    40013: "invalid appid",
    40029: "invalid code",
    40037: "invalid template_id",
    40053: "invalid action info",
    40125: "invalid appsecret",
    40163: "code been used",
    40166: "invalid weapp appid",
    40169: "invalid length for scene, or the data is not json string",
    41001: "access_token missing",
    42001: "access_token expired",
    43004: "require subscribe",
    45009: "reach max api daily quota limit",
    45011: "api minute-quota reach limit  mustslower  retry next minute",
    47001: "data format error",
    47003: "argument invalid!",
    48001: "api unauthorized",
}
OPENID_RE = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


class EmuError(Exception):
    """Answer the current call with WeChat's error body (HTTP 200, as WeChat does)."""

    def __init__(self, errcode: int, detail: str = "") -> None:
        super().__init__(errcode, detail)
        self.errcode = errcode
        self.errmsg = ERRMSG.get(errcode, "error") + (f" {detail}" if detail else "")


@bp.errorhandler(EmuError)
def _emu_error(exc: EmuError):
    rid = secrets.token_hex(4) + "-" + secrets.token_hex(4)
    return jsonify({"errcode": exc.errcode, "errmsg": f"{exc.errmsg} rid: {rid}"})


def store() -> Redis:
    return redis_ext.client


def key(*parts: Any) -> str:
    return PREFIX + ":".join(str(p) for p in parts)


def now() -> int:
    return epoch_now()


def settings() -> dict[str, Any]:
    return current_app.config["WECHAT"]


def app_kind(appid: str) -> str | None:
    """"official", "miniprogram" or None for an appid the emulator does not know."""
    for kind, name in (("official", "OFFICIAL"), ("miniprogram", "MINIPROGRAM")):
        if appid and settings()[name]["APPID"] == appid:
            return kind
    return None


def check_credentials(appid: str, secret: str, kind: str | None = None,
                      bad_secret: int = 40125) -> None:
    found = app_kind(appid)
    if found is None or (kind and found != kind):
        raise EmuError(40013)
    name = "OFFICIAL" if found == "official" else "MINIPROGRAM"
    if not secrets.compare_digest(settings()[name]["SECRET"].encode(), (secret or "").encode()):
        raise EmuError(bad_secret)


def unionid_for(openid: str) -> str:
    """The same person behind "oa-x" (official) and "mp-x" (mini-program) shares one unionid."""
    person = re.sub(r"^(oa|mp)-", "", openid)
    return "oemuU" + hashlib.sha256(person.encode()).hexdigest()[:23]


def remember_user(openid: str) -> None:
    store().zadd(key("users"), {openid: now()})


def json_body() -> dict[str, Any]:
    body = request.get_json(silent=True, force=True)
    if not isinstance(body, dict):
        raise EmuError(47001)
    return body


def save_json(name: str, value: Any, ttl: int | None = None) -> None:
    store().set(name, json.dumps(value, ensure_ascii=False), ex=ttl)


def load_json(name: str) -> Any:
    raw = store().get(name)
    return None if raw is None else json.loads(raw)


def api_call(api: str, token: bool = True) -> str | None:
    """Count the call, check its access_token, apply a programmed failure; the caller's appid.
    One round trip to Redis when no failure is programmed (the fan-out benchmark sends 10k)."""
    pipe = store().pipeline(transaction=False)
    pipe.hincrby(key("calls"), api, 1)
    pipe.get(key("token", request.args.get("access_token", "") or "-"))
    pipe.exists(key("fail", api, "left"))
    _, token_info, failure_programmed = pipe.execute()
    appid = token_appid(token_info) if token else None
    injected = _programmed_failure(api) if failure_programmed else None
    if injected is not None:
        raise EmuError(injected)
    return appid


def token_appid(info: bytes | None) -> str:
    """The appid an access_token was issued to (its record read by the caller): 41001 missing,
    40001 unknown, 42001 expired."""
    if not request.args.get("access_token", ""):
        raise EmuError(41001)
    if info is None:
        raise EmuError(40001)
    record = json.loads(info)
    if record["expires_at"] <= now():
        raise EmuError(42001)
    return record["appid"]


def program_failure(api: str, errcode: int, times: int) -> None:
    pipe = store().pipeline()
    pipe.set(key("fail", api, "errcode"), errcode)
    pipe.set(key("fail", api, "left"), times)
    pipe.execute()


def _programmed_failure(api: str) -> int | None:
    left = store().decr(key("fail", api, "left"))
    if left >= 0:
        errcode = store().get(key("fail", api, "errcode"))
        return int(errcode) if errcode is not None else -1
    store().delete(key("fail", api, "left"), key("fail", api, "errcode"))
    return None


def calls(api: str) -> int:
    """How many times an emulated API was called (tests and the page use it)."""
    return int(store().hget(key("calls"), api) or 0)
