"""Desktop QR log-in tickets, kept only in Redis so that any process can serve any step.

A ticket is 160 random bits and lives 120 s: pending → scanned (by one WeChat identity) →
confirmed (with that identity's account); cancelled or timed-out tickets read as expired. It is
bound to the browser that asked for it by a cookie secret whose SHA-256 is stored with it, and
it records that desktop's IP, browser and time so the phone can show them before the user
confirms (QRLJacking). The desktop claims a confirmed ticket exactly once (GETDEL).

Three ways to scan: a mini-program code whose scene is the ticket, the official account's
temporary parametric QR with scene "login:<ticket>", or a locally drawn QR of our own
/wechat/qr/<ticket> page (opened in WeChat, it goes through OAuth to a confirmation page).
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import io
import json
import re
import secrets
from collections.abc import Callable
from datetime import datetime, timezone
from typing import Any

import qrcode
from flask import current_app
from redis.exceptions import WatchError
from wechatpy.exceptions import WeChatClientException

from app.clock import CHINA
from app.domain.errors import Conflict, NotFound, Unavailable
from app.extensions import redis_ext
from wechat.clock import epoch_now

TICKET_TTL = 120
PREFIX = "wq:qr:"
SCENE_PREFIX = "login:"
TICKET_RE = re.compile(r"^[A-Za-z0-9_-]{20,43}$")
VIAS = ("local", "miniprogram", "official")
WXA_PAGE_DEFAULT = "pages/login/index"

Ticket = dict[str, Any]


def gone() -> NotFound:
    return NotFound("QR_EXPIRED", "二维码已过期，请在电脑上刷新二维码")


def new_browser_secret() -> str:
    return secrets.token_urlsafe(32)


def _browser_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _nonce_hash(nonce: str) -> str:
    return hashlib.sha256(("nonce:" + nonce).encode()).hexdigest()


def _key(ticket_id: str) -> str:
    if not isinstance(ticket_id, str) or not TICKET_RE.match(ticket_id):
        raise gone()
    return PREFIX + ticket_id


def _live(raw: bytes | str | None) -> Ticket | None:
    data = json.loads(raw) if raw else None
    return data if data and data["expires_at"] > epoch_now() else None


def create_ticket(browser_secret: str, ip: str | None, user_agent: str | None,
                  via: str = "local") -> Ticket:
    """A pending ticket for the browser holding ``browser_secret``."""
    now = epoch_now()
    ticket = {"id": secrets.token_urlsafe(20), "state": "pending", "via": via,
              "browser": _browser_hash(browser_secret), "ip": (ip or "")[:45],
              "ua": (user_agent or "")[:300], "created_at": now, "expires_at": now + TICKET_TTL}
    redis_ext.client.set(PREFIX + ticket["id"], json.dumps(ticket), ex=TICKET_TTL)
    return ticket


def peek(ticket_id: str) -> Ticket:
    """A live ticket (phone-side pages); NotFound when unknown, expired or used."""
    ticket = _live(redis_ext.client.get(_key(ticket_id)))
    if ticket is None:
        raise gone()
    return ticket


def poll(ticket_id: str, browser_secret: str | None) -> tuple[str, int | None]:
    """(state, account id) for the browser that created the ticket; the account only on the one
    poll that claims a confirmed ticket. NotFound for another browser or a ticket that is gone."""
    key = _key(ticket_id)
    raw = redis_ext.client.get(key)
    if raw is None or not browser_secret:
        raise gone()
    ticket = json.loads(raw)
    if not hmac.compare_digest(ticket["browser"], _browser_hash(browser_secret)):
        raise gone()
    if ticket["expires_at"] <= epoch_now():
        return "expired", None
    if ticket["state"] != "confirmed":
        return ticket["state"], None
    claimed = redis_ext.client.getdel(key)  # single use, even with two polls in flight
    if claimed is None or json.loads(claimed)["state"] != "confirmed":
        raise gone()
    return "confirmed", ticket["account_id"]


def _update(ticket_id: str, change: Callable[[Ticket | None], Ticket | None]) -> Ticket | None:
    """Apply ``change`` atomically (WATCH/MULTI); None from it deletes the ticket."""
    key = _key(ticket_id)
    with redis_ext.client.pipeline() as pipe:
        for _ in range(50):
            try:
                pipe.watch(key)
                new = change(_live(pipe.get(key)))
                pipe.multi()
                if new is None:
                    pipe.delete(key)
                else:
                    pipe.set(key, json.dumps(new), keepttl=True)
                pipe.execute()
                return new
            except WatchError:
                continue
    raise Conflict("QR_BUSY", "操作过于频繁，请重试")


def _scanned_by(ticket: Ticket | None, identity_id: int) -> Ticket:
    if ticket is None:
        raise gone()
    if ticket["state"] == "pending":
        raise Conflict("QR_NOT_SCANNED", "请先扫描二维码")
    if ticket.get("scanner") != identity_id:
        raise Conflict("QR_TAKEN", "该二维码已被其他微信扫描，请在电脑上刷新二维码")
    return ticket


def scan(ticket_id: str, identity_id: int, via: str) -> Ticket:
    """The phone scanned: pending → scanned by this identity (again by the same: no change)."""
    def change(ticket: Ticket | None) -> Ticket:
        if ticket is None:
            raise gone()
        if ticket["state"] == "pending":
            ticket.update(state="scanned", scanner=identity_id, scanned_via=via,
                          scanned_at=epoch_now())
            return ticket
        _scanned_by(ticket, identity_id)
        if ticket["state"] != "scanned":
            raise Conflict("QR_ALREADY_CONFIRMED", "已确认登录，请在电脑上查看")
        return ticket

    return _update(ticket_id, change)


def issue_nonce(ticket_id: str, identity_id: int) -> str:
    """A per-ticket nonce for the phone's confirmation form (the form's CSRF defence)."""
    nonce = secrets.token_urlsafe(24)

    def change(ticket: Ticket | None) -> Ticket:
        ticket = _scanned_by(ticket, identity_id)
        ticket["nonce"] = _nonce_hash(nonce)
        return ticket

    _update(ticket_id, change)
    return nonce


def _check_nonce(ticket: Ticket, nonce: str | None) -> None:
    expected = ticket.get("nonce")
    if expected is not None and not hmac.compare_digest(expected, _nonce_hash(nonce or "")):
        raise Conflict("QR_FORM_STALE", "页面已失效，请重新扫描二维码")


def confirm(ticket_id: str, identity_id: int, account_id: int, nonce: str | None = None) -> Ticket:
    """The scanning identity says yes: scanned → confirmed with its account."""
    def change(ticket: Ticket | None) -> Ticket:
        ticket = _scanned_by(ticket, identity_id)
        _check_nonce(ticket, nonce)
        if ticket["state"] == "confirmed":
            return ticket  # a double tap
        ticket.update(state="confirmed", account_id=account_id, confirmed_at=epoch_now())
        ticket.pop("nonce", None)
        return ticket

    return _update(ticket_id, change)


def cancel(ticket_id: str, identity_id: int, nonce: str | None = None) -> None:
    """The scanning identity says no: the ticket is gone (the desktop sees it expire)."""
    def change(ticket: Ticket | None) -> None:
        ticket = _scanned_by(ticket, identity_id)
        _check_nonce(ticket, nonce)
        return None

    _update(ticket_id, change)


# -- what the phone shows ---------------------------------------------------------------------

_BROWSERS = (("Edg/", "Edge"), ("OPR/", "Opera"), ("Firefox/", "Firefox"), ("Chrome/", "Chrome"),
             ("Safari/", "Safari"), ("MSIE", "Internet Explorer"), ("Trident/", "Internet Explorer"))
_SYSTEMS = (("Windows", "Windows"), ("Mac OS X", "macOS"), ("Android", "Android"),
            ("iPhone", "iOS"), ("Linux", "Linux"), ("CrOS", "ChromeOS"))


def describe_browser(user_agent: str) -> str:
    """"Chrome（Windows）" from a User-Agent; "未知浏览器" when it says nothing we know."""
    browser = next((name for mark, name in _BROWSERS if mark in user_agent), "未知浏览器")
    system = next((name for mark, name in _SYSTEMS if mark in user_agent), None)
    return f"{browser}（{system}）" if system else browser


def desktop_view(ticket: Ticket) -> dict[str, Any]:
    """The desktop that asked: IP, browser and time (Asia/Shanghai), and seconds left."""
    requested = datetime.fromtimestamp(ticket["created_at"], timezone.utc).astimezone(CHINA)
    return {"ip": ticket["ip"] or "未知", "browser": describe_browser(ticket["ua"]),
            "requested_at": requested.strftime("%Y-%m-%d %H:%M:%S"),
            "expires_in": max(0, ticket["expires_at"] - epoch_now())}


# -- QR images ---------------------------------------------------------------------------------

def png_data_url(png: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(png).decode()


def local_qr(url: str) -> str:
    """A QR of our own URL, drawn here (qrcode + Pillow), as a data URL."""
    out = io.BytesIO()
    qrcode.make(url, box_size=8, border=2).save(out, format="PNG")
    return png_data_url(out.getvalue())


def miniprogram_qr(ticket_id: str) -> str:
    """A mini-program code (getwxacodeunlimit) whose scene is the ticket, as a data URL."""
    from wechat.clients import miniprogram_client

    page = current_app.config.get("QR_LOGIN_WXA_PAGE", WXA_PAGE_DEFAULT)
    try:
        response = miniprogram_client().wxa.get_wxa_code_unlimited(ticket_id, page=page)
    except WeChatClientException as exc:
        raise Unavailable("WECHAT_UNAVAILABLE", "小程序码生成失败，请稍后再试或换用其他方式") from exc
    content = getattr(response, "content", b"")
    if not content.startswith(b"\x89PNG"):
        raise Unavailable("WECHAT_UNAVAILABLE", "小程序码生成失败，请稍后再试或换用其他方式")
    return png_data_url(content)


def official_qr(ticket_id: str) -> str:
    """The official account's temporary parametric QR (QR_STR_SCENE "login:<ticket>"): its URL."""
    from wechat.clients import official_client

    client = official_client()
    try:
        result = client.qrcode.create({
            "expire_seconds": TICKET_TTL, "action_name": "QR_STR_SCENE",
            "action_info": {"scene": {"scene_str": SCENE_PREFIX + ticket_id}}})
    except WeChatClientException as exc:
        raise Unavailable("WECHAT_UNAVAILABLE", "公众号二维码生成失败，请稍后再试或换用其他方式") from exc
    return client.showqrcode_url(result["ticket"])
