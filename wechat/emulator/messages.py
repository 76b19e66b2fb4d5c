"""Template messages (official account) and subscribe messages (mini-program), recorded."""
from __future__ import annotations

import json
import re
from datetime import datetime, timedelta, timezone
from typing import Any

from flask import jsonify

from wechat.emulator.core import OPENID_RE, EmuError, api_call, bp, json_body, key, now, settings, store
from wechat.emulator.users import follow_key

KEEP_MESSAGES = 1000
# New-style template/subscribe field types and their length limits (characters).
FIELD_LIMITS = {"thing": 20, "character_string": 32, "number": 32, "letter": 32, "symbol": 5,
                "phone_number": 17, "car_number": 8, "name": 10, "phrase": 5, "amount": 32,
                "time": 32, "date": 32, "const": 20}
FIELD_RE = re.compile(r"^([a-z_]+?)(\d+)$")


def _check_common(body: dict[str, Any]) -> None:
    touser = body.get("touser")
    if not isinstance(touser, str) or not OPENID_RE.match(touser):
        raise EmuError(40003)
    template_id = body.get("template_id")
    if not isinstance(template_id, str) or not 0 < len(template_id) <= 64:
        raise EmuError(40037)
    known = {t.get("template_id") for t in settings()["TEMPLATES"].values() if isinstance(t, dict)}
    if known and template_id not in known:
        raise EmuError(40037)
    _check_data(body.get("data"))


def _check_data(data: Any) -> None:
    """47003 for anything WeChat would refuse in ``data``."""
    if not isinstance(data, dict) or not data:
        raise EmuError(47003, "data is empty")
    for name, item in data.items():
        value = item.get("value") if isinstance(item, dict) else None
        if not isinstance(value, str) or not value.strip():
            raise EmuError(47003, f"data.{name}.value is empty")
        match = FIELD_RE.match(name)
        limit = FIELD_LIMITS.get(match.group(1), 200) if match else 200
        if len(value) > limit:
            raise EmuError(47003, f"data.{name}.value exceeds {limit} characters")


def _record(kind: str, appid: str | None, body: dict[str, Any], seen: str | None = None,
            **extra: Any) -> int:
    """Number the message and keep it (and, for a client_msg_id, the number it got): two round
    trips."""
    msgid = 2_000_000_000 + store().incr(key("msgid"))
    entry = {"kind": kind, "msgid": msgid, "appid": appid, "touser": body["touser"],
             "template_id": body["template_id"], "data": body["data"], "at": now(), **extra}
    pipe = store().pipeline(transaction=False)  # a concurrent LPUSH between these two harms nothing
    pipe.lpush(key("messages"), json.dumps(entry, ensure_ascii=False))
    pipe.ltrim(key("messages"), 0, KEEP_MESSAGES - 1)
    pipe.zadd(key("users"), {body["touser"]: now()})  # remember_user, in the same round trip
    if seen:
        pipe.set(seen, msgid, ex=600)
    pipe.execute()
    return msgid


def _within_daily_quota(appid: str | None) -> bool:
    day = (datetime.fromtimestamp(now(), timezone.utc) + timedelta(hours=8)).strftime("%Y%m%d")
    name = key("quota", appid, day)
    pipe = store().pipeline(transaction=False)
    pipe.incr(name)
    pipe.expire(name, 2 * 86400)
    used, _ = pipe.execute()
    return used <= int(settings()["MESSAGE_DAILY_QUOTA"])


@bp.post("/cgi-bin/message/template/send")
def template_send():
    """Official-account template message: validated like WeChat, recorded, answered with msgid."""
    appid = api_call("template_send")
    body = json_body()
    _check_common(body)
    mini = body.get("miniprogram")
    if mini is not None:
        if not isinstance(mini, dict) or mini.get("appid") != settings()["MINIPROGRAM"]["APPID"]:
            raise EmuError(40166)
    if body.get("url") is not None and not isinstance(body["url"], str):
        raise EmuError(47001)
    client_msg_id = body.get("client_msg_id")
    seen = key("client-msg", body["touser"], client_msg_id) if client_msg_id else None
    pipe = store().pipeline(transaction=False)  # following() and the first msgid: one round trip
    pipe.hget(follow_key(), body["touser"])
    pipe.get(seen or key("client-msg", "-"))
    follows, first = pipe.execute()
    if follows == b"0":  # following() is False
        raise EmuError(43004)
    if seen and first is not None:
        # WeChat de-duplicates a repeated client_msg_id: the first msgid, nothing sent again.
        return jsonify({"errcode": 0, "errmsg": "ok", "msgid": int(first)})
    if not _within_daily_quota(appid):
        raise EmuError(45009)
    msgid = _record("template", appid, body, seen, url=body.get("url"), miniprogram=mini,
                    client_msg_id=client_msg_id)
    return jsonify({"errcode": 0, "errmsg": "ok", "msgid": msgid})


@bp.post("/cgi-bin/message/subscribe/send")
def subscribe_send():
    """Mini-program subscribe message: validated, recorded with its target page."""
    appid = api_call("subscribe_send")
    body = json_body()
    _check_common(body)
    if body.get("page") is not None and not isinstance(body["page"], str):
        raise EmuError(47001)
    if body.get("miniprogram_state", "formal") not in ("developer", "trial", "formal"):
        raise EmuError(47003, "miniprogram_state invalid")
    msgid = _record("subscribe", appid, body, page=body.get("page"))
    return jsonify({"errcode": 0, "errmsg": "ok", "msgid": msgid})


def sent_messages(touser: str | None = None, kind: str | None = None) -> list[dict[str, Any]]:
    """Recorded messages, newest first (for the emulator page and for tests)."""
    entries = [json.loads(raw) for raw in store().lrange(key("messages"), 0, -1)]
    return [e for e in entries
            if (touser is None or e["touser"] == touser) and (kind is None or e["kind"] == kind)]
