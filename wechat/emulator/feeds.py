"""/_emulator/api/*: what the emulator "delivered", as JSON, for scripts and tests.

- ``GET /_emulator/api/sms?phone=<11 digits>`` or ``?openid=<mini-program openid>``: the SMS
  codes sent to that phone (or for that WeChat user's binding), newest first.
- ``GET /_emulator/api/messages?openid=<openid>[&kind=template|subscribe]``: the template and
  subscribe messages pushed to that user, newest first.

Without a filter, the latest of everything. The page at /_emulator/ shows the same data.
"""
from __future__ import annotations

from flask import jsonify, request
from sqlalchemy import select

from app.extensions import db
from app.models.wechat import WechatIdentity
from wechat.emulator.core import OPENID_RE, bp
from wechat.emulator.messages import sent_messages
from wechat.emulator.pages import _sms_codes


def _bad(message: str):
    return jsonify({"ok": False, "error": message}), 400


@bp.get("/api/sms")
def sms_feed():
    """SMS codes, newest first, for a phone or a mini-program user (their binding codes)."""
    from app.domain.identity import normalize_phone
    from app.services.sms import phone_key

    items = _sms_codes(limit=200)
    phone, openid = request.args.get("phone"), request.args.get("openid")
    if phone:
        phone = normalize_phone(phone)
        if not (phone.isdigit() and len(phone) == 11):
            return _bad("phone 应为11位手机号")
        items = [i for i in items if i.get("to") == phone_key(phone)]
    if openid:
        if not OPENID_RE.match(openid):
            return _bad("openid 不合法")
        subjects = {str(i) for i in db.session.scalars(
            select(WechatIdentity.id).where(WechatIdentity.openid == openid))}
        items = [i for i in items if i.get("subject") in subjects]
    return jsonify({"items": [{k: v for k, v in i.items() if k != "to"} for i in items]})


@bp.get("/api/messages")
def messages_feed():
    """Pushed template/subscribe messages, newest first, optionally for one user and kind."""
    openid, kind = request.args.get("openid"), request.args.get("kind")
    if openid is not None and not OPENID_RE.match(openid):
        return _bad("openid 不合法")
    if kind not in (None, "template", "subscribe"):
        return _bad("kind 应为 template 或 subscribe")
    return jsonify({"items": sent_messages(touser=openid, kind=kind)})
