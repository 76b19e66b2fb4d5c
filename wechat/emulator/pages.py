"""GET /_emulator/: what WeChat "delivered" — messages per user, SMS codes, QR codes to scan."""
from __future__ import annotations

import json
from collections import defaultdict
from datetime import datetime, timezone
from urllib.parse import urlencode

from flask import current_app, render_template, request, url_for

from app.clock import CHINA
from wechat.emulator.core import bp, calls, key, now, settings, store
from wechat.emulator.messages import sent_messages
from wechat.emulator.users import candidate_users, following

SMS_KEY = "wq:emu:sms"  # the SMS backend's dev sink: JSON {phone, code, at} per entry


def china_time(seconds: int | float | str | None) -> str:
    if seconds is None or seconds == "":
        return ""
    if isinstance(seconds, str):
        return seconds  # already formatted by whoever wrote it
    return datetime.fromtimestamp(seconds, timezone.utc).astimezone(CHINA).strftime("%m-%d %H:%M:%S")


def _sms_codes(limit: int = 50) -> list[dict]:
    entries = []
    for raw in store().lrange(SMS_KEY, 0, limit - 1):
        try:
            entry = json.loads(raw)
        except ValueError:
            continue
        if isinstance(entry, dict):
            entries.append(entry)
    return entries


def _live_qr_codes() -> list[dict]:
    codes = []
    for raw in store().zrangebyscore(key("qr_index"), now() + 1, "+inf"):
        ticket = raw.decode()
        info = store().get(key("qr", ticket))
        if info:
            codes.append({"ticket": ticket, **json.loads(info)})
    return codes


def _oauth_demo_url() -> str:
    """The app's own OAuth start page when it exists, else the emulator's authorize page."""
    rules = {rule.rule for rule in current_app.url_map.iter_rules()}
    if "/wechat/oauth/start" in rules:
        return "/wechat/oauth/start"
    query = {"appid": settings()["OFFICIAL"]["APPID"], "response_type": "code",
             "redirect_uri": url_for("wechat_emulator.index", _external=True),
             "scope": "snsapi_userinfo", "state": "emulator-demo"}
    return url_for("wechat_emulator.oauth_authorize") + "?" + urlencode(query) + "#wechat_redirect"


def _group_by_user(messages: list[dict]) -> dict[str, list[dict]]:
    grouped: dict[str, list[dict]] = defaultdict(list)
    for message in messages:
        grouped[message["touser"]].append(message)
    return dict(grouped)


@bp.get("/")
def index():
    """The emulator's home: pushed messages per user, SMS codes, live QR codes, demo links."""
    messages = sent_messages()
    if request.args.get("openid"):
        messages = [m for m in messages if m["touser"] == request.args["openid"]]
    users = candidate_users()
    for user in users:
        user["following"] = following(user["openid"])
    return render_template(
        "wechat_emulator/index.html", title="首页", by_user=_group_by_user(messages), sms=_sms_codes(),
        qr_codes=_live_qr_codes(), users=users, oauth_url=_oauth_demo_url(),
        received=request.args.get("code"), state=request.args.get("state"),
        settings=settings(), china_time=china_time,
        token_fetches=calls("stable_token") + calls("token"))
