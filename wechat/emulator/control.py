"""/_emulator/control/*: program failures, invalidate tokens, push events, reset."""
from __future__ import annotations

from typing import Any

from flask import jsonify, request

from wechat.emulator.core import APIS, OPENID_RE, PREFIX, bp, program_failure, store
from wechat.emulator.push import deliver, push_event, text_xml
from wechat.emulator.tokens import invalidate_tokens

EVENTS = ("subscribe", "unsubscribe", "SCAN")


def _body() -> dict[str, Any]:
    body = request.get_json(silent=True)
    return body if isinstance(body, dict) else {}


def _bad(message: str):
    return jsonify({"ok": False, "error": message}), 400


@bp.post("/control/fail")
def control_fail():
    """{"api": "template_send", "errcode": 45009, "times": N}: the next N calls fail."""
    body = _body()
    api, errcode, times = body.get("api"), body.get("errcode"), body.get("times", 1)
    if api not in APIS:
        return _bad(f"api 必须是 {', '.join(APIS)} 之一")
    if not isinstance(errcode, int) or isinstance(errcode, bool) or errcode == 0:
        return _bad("errcode 必须是非零整数")
    if not isinstance(times, int) or not 0 <= times <= 10000:
        return _bad("times 必须是 0–10000 的整数")
    program_failure(api, errcode, times)
    return jsonify({"ok": True, "api": api, "errcode": errcode, "times": times})


@bp.post("/control/invalidate-tokens")
def control_invalidate_tokens():
    """{"appid": optional}: every access_token issued so far answers 40001 from now on."""
    appid = _body().get("appid")
    return jsonify({"ok": True, "invalidated": invalidate_tokens(appid if appid else None)})


@bp.post("/control/simulate-event")
def control_simulate_event():
    """{"openid", "event": subscribe|unsubscribe|SCAN, "event_key"} or {"openid", "text"}.

    Builds WeChat's XML, encrypts and signs it, POSTs it to /wechat/callback in-process and
    returns what was sent (so a test can replay it) and what the callback answered.
    """
    body = _body()
    openid = body.get("openid")
    if not isinstance(openid, str) or not OPENID_RE.match(openid):
        return _bad("openid 不合法")
    if isinstance(body.get("text"), str) and body["text"]:
        result = deliver(text_xml(openid, body["text"]), openid)
    elif body.get("event") in EVENTS:
        event_key = body.get("event_key")
        if event_key is not None and not isinstance(event_key, str):
            return _bad("event_key 必须是字符串")
        if body["event"] == "SCAN" and not event_key:
            return _bad("SCAN 事件需要 event_key（场景值）")
        result = push_event(openid, body["event"], event_key, body.get("ticket"))
    else:
        return _bad(f"event 必须是 {', '.join(EVENTS)} 之一，或给出 text")
    return jsonify({"ok": result["status"] == 200, **result})


@bp.post("/control/reset")
def control_reset():
    """Forget all emulator state (tokens, codes, messages, failures, followers)."""
    names = list(store().scan_iter(PREFIX + "*"))
    if names:
        store().delete(*names)
    return jsonify({"ok": True, "deleted": len(names)})
