"""The phone side of desktop QR log-in in WeChat's browser, and official-account web OAuth.

- GET /wechat/oauth/start?next=/path: a random single-use state (192 bits, 10 minutes) in Redis,
  then WeChat's authorize page (snsapi_base). GET /wechat/oauth/callback: the state is taken
  with GETDEL (unknown or reused → 400), the code exchanged, the official-account identity
  stored (and linked by unionid); then a QR confirmation, or a web session and ``next``.
- GET /wechat/qr/<ticket>: the locally drawn QR's target; through OAuth to a page showing the
  desktop's IP, browser and time with 确认登录 / 取消 (POSTed with a per-ticket nonce).
- ``on_login_scan``: the callback's SCAN/subscribe hook for parametric codes "login:<ticket>".
"""
from __future__ import annotations

import json
import logging
import re
import secrets
from urllib.parse import urlsplit

from flask import Blueprint, Flask, current_app, redirect, render_template, request, url_for
from wechatpy.exceptions import WeChatClientException

from app.domain.errors import Conflict, DomainError, RateLimited
from app.extensions import db, redis_ext
from app.models import Account
from app.models.wechat import WechatApp, WechatIdentity
from app.services import binding, qrlogin, ratelimit
from app.services.binding import record_follow
from app.web.login import csrf, start_web_session
from wechat import hooks
from wechat.clients import official_oauth

log = logging.getLogger(__name__)

bp = Blueprint("wechat_login", __name__)

STATE_PREFIX = "wq:oauth:state:"
STATE_TTL = 600
STATE_RE = re.compile(r"^[A-Za-z0-9_-]{32}$")
UNBOUND_TEXT = "该微信尚未绑定网签账号。请先在「网签」小程序中完成绑定，再扫码登录。"


def _page(title: str, text: str, status: int = 200):
    return render_template("login/message.html", title=title, text=text), status


def safe_next(value: str | None) -> str | None:
    """A same-site path to go to after log-in; None when it could lead elsewhere."""
    if not value:
        return url_for("web_login.done")
    if len(value) > 500 or not value.startswith("/") or value.startswith("//") or "\\" in value \
            or any(ord(ch) < 33 for ch in value):
        return None
    parts = urlsplit(value)
    return value if not parts.scheme and not parts.netloc else None


def _callback_url() -> str:
    return url_for("wechat_login.oauth_callback", _external=True)


def _authorize(record: dict):
    ratelimit.hit([ratelimit.Limit("oauth-start-ip", request.remote_addr or "-", 60, 30)],
                  "操作过于频繁，请稍后再试")
    state = secrets.token_urlsafe(24)
    redis_ext.client.set(STATE_PREFIX + state, json.dumps(record), ex=STATE_TTL)
    oauth = official_oauth(_callback_url(), scope="snsapi_base", state=state)
    return redirect(oauth.authorize_url)


@bp.get("/wechat/oauth/start")
def oauth_start():
    """Send WeChat's browser to the authorize page; ``next`` must be a path on this site."""
    target = safe_next(request.args.get("next"))
    if target is None:
        return _page("链接不正确", "跳转地址不合法。", 400)
    try:
        return _authorize({"next": target})
    except RateLimited as exc:
        return _page("操作过于频繁", exc.message, 429)


@bp.get("/wechat/oauth/callback")
def oauth_callback():
    """Back from WeChat with code and state: log in, or continue a QR confirmation."""
    state = request.args.get("state", "")
    raw = redis_ext.client.getdel(STATE_PREFIX + state) if STATE_RE.match(state) else None
    if raw is None:
        return _page("链接已失效", "授权链接已失效或已使用，请重新打开页面。", 400)
    code = request.args.get("code", "")
    if not code or len(code) > 256:
        return _page("未授权", "你没有同意授权，无法继续。", 400)
    record = json.loads(raw)
    try:
        grant = official_oauth(_callback_url(), state=state).fetch_access_token(code)
    except WeChatClientException as exc:
        log.warning("web OAuth code exchange failed: %s %s", exc.errcode, exc.errmsg)
        return _page("微信授权失败", "微信授权失败，请返回重试。", 502)
    identity = binding.upsert_identity(
        WechatApp.OFFICIAL, current_app.config["WECHAT"]["OFFICIAL"]["APPID"], grant["openid"],
        grant.get("unionid"), request.remote_addr)
    if record.get("ticket"):
        return _confirmation_page(record["ticket"], identity)
    account = _bound_account(identity)
    if account is None:
        return _page("尚未绑定", UNBOUND_TEXT, 403)
    start_web_session(account, via="oauth")
    return redirect(record["next"])


def _bound_account(identity: WechatIdentity) -> Account | None:
    account = db.session.get(Account, identity.account_id) if identity.account_id else None
    return account if account is not None and account.is_active else None


@bp.get("/wechat/qr/<ticket>")
def qr_page(ticket: str):
    """Target of the locally drawn QR: who is scanning is learnt through OAuth."""
    try:
        qrlogin.peek(ticket)
        return _authorize({"ticket": ticket, "next": url_for("web_login.done")})
    except RateLimited as exc:
        return _page("操作过于频繁", exc.message, 429)
    except DomainError as exc:
        return _page("二维码已过期", exc.message, 404)


def _confirmation_page(ticket_id: str, identity: WechatIdentity):
    account = _bound_account(identity)
    if account is None:
        return _page("尚未绑定", UNBOUND_TEXT, 403)
    try:
        ticket = qrlogin.scan(ticket_id, identity.id, "official")
        nonce = qrlogin.issue_nonce(ticket_id, identity.id)
    except DomainError as exc:
        return _page("无法登录", exc.message, 409 if isinstance(exc, Conflict) else 404)
    return render_template("login/confirm.html", title="确认登录", ticket=ticket_id, nonce=nonce,
                           account=account, desktop=qrlogin.desktop_view(ticket))


@bp.post("/wechat/qr/<ticket>/decide")
def qr_decide(ticket: str):
    """确认登录 or 取消, from the confirmation page (its nonce stands in for a CSRF token)."""
    nonce = request.form.get("nonce", "")
    try:
        current = qrlogin.peek(ticket)
        if not current.get("nonce") or current.get("state") != "scanned":
            raise Conflict("QR_FORM_STALE", "页面已失效，请重新扫描二维码")
        identity_id = current["scanner"]
        if request.form.get("decision") != "confirm":
            qrlogin.cancel(ticket, identity_id, nonce)
            return _page("已取消", "已取消本次登录。")
        identity = db.session.get(WechatIdentity, identity_id)
        account = _bound_account(identity) if identity else None
        if account is None:
            return _page("尚未绑定", UNBOUND_TEXT, 403)
        qrlogin.confirm(ticket, identity_id, account.id, nonce)
    except DomainError as exc:
        return _page("无法登录", exc.message, 409 if isinstance(exc, Conflict) else 404)
    binding.audit("qr_confirm", account.id, identity_id, request.remote_addr, via="official")
    db.session.commit()
    return _page("已确认登录", "已确认登录，请回到电脑上继续操作。")


def on_login_scan(scene: str, openid: str) -> str | None:
    """SCAN / subscribe of a parametric code "login:<ticket>": the ticket is scanned by this
    official-account user, who confirms on the page linked in the returned reply text."""
    if not scene.startswith(qrlogin.SCENE_PREFIX):
        return None
    ticket_id = scene[len(qrlogin.SCENE_PREFIX):]
    try:
        qrlogin.peek(ticket_id)  # nothing is stored for a scene that is no live ticket
        identity = binding.upsert_identity(
            WechatApp.OFFICIAL, current_app.config["WECHAT"]["OFFICIAL"]["APPID"], openid, None)
        qrlogin.scan(ticket_id, identity.id, "official")
    except DomainError as exc:
        log.info("login scan of %s by %s ignored: %s", ticket_id[:6], openid, exc.code)
        return None
    link = url_for("wechat_login.qr_page", ticket=ticket_id, _external=True)
    return f"你正在登录网签电脑端，请点击确认：{link}"


def init_app(app: Flask) -> None:
    """The phone-side pages, and the callback's scan and follow handlers. After web.login's."""
    csrf.exempt(qr_decide)  # guarded by its per-ticket nonce
    app.register_blueprint(bp)
    hooks.on_scan(on_login_scan)
    hooks.on_follow(record_follow)
