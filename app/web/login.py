"""Desktop log-in: QR scan (ticket + poll), password with lockout, log-out; web sessions.

A web session is a random id in the (signed) Flask session cookie whose record lives in Redis:
{account, role, login time, last seen}. Logging in always starts a new one (session.clear()
first), logging out deletes it server-side, and a before_request hook ends it after 12 h, or
after 30 minutes idle for reviewers and admins. Cookies: HttpOnly, SameSite=Lax, and with
SESSION_SECURE (the default in production) Secure with the __Host- prefix.
"""
from __future__ import annotations

import secrets
from datetime import timedelta
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    Flask,
    current_app,
    g,
    jsonify,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_wtf.csrf import CSRFError, CSRFProtect

from app.domain.errors import DomainError, InvalidInput, NotFound
from app.extensions import db, redis_ext
from app.http import STATUS_OF_KIND, error_response
from app.models import Account, Role
from app.services import binding, qrlogin, ratelimit, sms
from wechat.clock import epoch_now

bp = Blueprint("web_login", __name__, template_folder="templates")
csrf = CSRFProtect()

WEB_PREFIX = "wq:web:"
ABSOLUTE_SECONDS = 12 * 3600
IDLE_SECONDS = 30 * 60
IDLE_ROLES = (Role.COLLEGE_REVIEWER.value, Role.SCHOOL_REVIEWER.value, Role.PLATFORM_ADMIN.value)
CSRF_EXEMPT_PREFIXES = ("/api/", "/wechat/callback", "/_emulator/")
ROLE_LABELS = {"student": "毕业生", "employer_user": "单位用户", "college_reviewer": "学院审核员",
               "school_reviewer": "学校审核员", "platform_admin": "平台管理员"}


def init_app(app: Flask) -> None:
    """Cookie settings, CSRF, the web-session hook and the log-in pages (the phone side of the QR
    log-in is app.web.qr_phone). Call before wechat.init_app, which exempts its blueprints from CSRF when CSRF is present."""

    secure = app.config["SESSION_SECURE"]
    if secure is None:
        secure = app.config["SESSION_SECURE"] = app.config["ENV"] == "production"
    app.config.update(SESSION_COOKIE_NAME="__Host-wq" if secure else "wq",
                      SESSION_COOKIE_SECURE=secure, SESSION_COOKIE_HTTPONLY=True,
                      SESSION_COOKIE_SAMESITE="Lax", SESSION_COOKIE_PATH="/",
                      PERMANENT_SESSION_LIFETIME=timedelta(seconds=ABSOLUTE_SECONDS))
    sms.check_config(app)
    csrf.init_app(app)
    app.config["WTF_CSRF_CHECK_DEFAULT"] = False  # _csrf_guard below checks, minus the JSON API
    app.before_request(_csrf_guard)
    app.before_request(_web_session_guard)
    app.register_error_handler(CSRFError, _csrf_failed)
    app.register_blueprint(bp)


def _csrf_guard() -> None:
    if current_app.config.get("WTF_CSRF_ENABLED", True) and \
            not request.path.startswith(CSRF_EXEMPT_PREFIXES):
        csrf.protect(apply_exemptions=True)


def _csrf_failed(exc: CSRFError):
    return render_template("login/message.html", title="页面已过期",
                           text="页面已过期或来源不明，请刷新页面后重试。"), 400


def qr_cookie_name() -> str:
    return "__Host-wq-qr" if current_app.config["SESSION_SECURE"] else "wq-qr"


# -- web sessions ---------------------------------------------------------------------------------

def start_web_session(account: Account, via: str) -> None:
    """Log ``account`` in to this browser with a brand-new session (and audit it)."""
    end_web_session()
    sid = secrets.token_urlsafe(32)
    now = epoch_now()
    pipe = redis_ext.client.pipeline()
    pipe.hset(WEB_PREFIX + sid, mapping={"account_id": account.id, "role": account.role.value,
                                         "login_at": now, "seen_at": now, "via": via})
    pipe.expire(WEB_PREFIX + sid, ABSOLUTE_SECONDS)
    pipe.execute()
    session.permanent = True
    session["sid"] = sid
    g.web_account_id = account.id
    binding.record("web_login", account.id, None, request.remote_addr, via=via)


def end_web_session() -> None:
    sid = session.get("sid")
    if sid:
        redis_ext.client.delete(WEB_PREFIX + str(sid))
    session.clear()
    g.pop("web_account_id", None)


def _web_session_guard() -> None:
    """End sessions past 12 h, or idle 30 min for reviewers/admins; note activity otherwise."""
    sid = session.get("sid")
    if not sid or request.endpoint == "static":  # a stylesheet needs no session (nor Redis)
        return
    record = {k.decode(): v.decode() for k, v in redis_ext.client.hgetall(WEB_PREFIX + str(sid)).items()}
    now = epoch_now()
    if not record or now - int(record["login_at"]) >= ABSOLUTE_SECONDS or (
            record["role"] in IDLE_ROLES and now - int(record["seen_at"]) >= IDLE_SECONDS):
        end_web_session()
        g.web_session_ended = True
        return
    redis_ext.client.hset(WEB_PREFIX + str(sid), "seen_at", now)
    g.web_account_id = int(record["account_id"])


def web_account() -> Account | None:
    """The account logged in to this browser, if any (and still active)."""
    account_id = g.get("web_account_id")
    account = db.session.get(Account, account_id) if account_id else None
    return account if account is not None and account.is_active else None


# -- pages -----------------------------------------------------------------------------------------

def safe_next(target: str | None) -> str | None:
    """A same-site path to go back to after log-in, or None (no open redirects)."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return None
    parts = urlsplit(target)
    return None if parts.scheme or parts.netloc else target


STAFF_ROLES = IDLE_ROLES  # reviewers and admins have desktop pages of their own
DESK_HOMES = {"employer_user": "web.employer.home", "student": "web.student.home"}


def _wants_json() -> bool:
    return request.path.startswith("/login/qr")


@bp.errorhandler(DomainError)
def _domain_error(exc: DomainError):
    status = STATUS_OF_KIND[exc.kind]
    if _wants_json():
        headers = {"Retry-After": str(exc.retry_after)} if exc.kind == "rate_limited" else None
        return error_response(status, exc.code, exc.message, exc.fields, headers)
    return render_template("login/message.html", title="出错了", text=exc.message), status


@bp.get("/login")
def login_page():
    """The QR log-in page (with a link to password log-in)."""
    notice = "登录已超时，请重新登录。" if g.get("web_session_ended") else None
    return render_template("login/login.html", via=current_app.config["QR_LOGIN_VIA"],
                           vias=qrlogin.VIAS, notice=notice, next=safe_next(request.args.get("next")))


@bp.post("/login/qr")
def create_qr():
    """A log-in ticket for this browser: QR image, poll URL, seconds to live."""
    try:
        body = request.get_json(silent=True) if request.is_json else request.form
    except RecursionError:
        body = []
    if body is not None and not hasattr(body, "get"):  # a JSON scalar or list: no "via" in it
        return error_response(400, "VALIDATION_FAILED", "请求内容应为 JSON 对象", {"body": "应为 JSON 对象"})
    via = (body or {}).get("via") or current_app.config["QR_LOGIN_VIA"]
    if not isinstance(via, str) or via not in qrlogin.VIAS:
        return error_response(400, "VALIDATION_FAILED", "扫码方式不正确", {"via": "扫码方式不正确"})
    ratelimit.hit([ratelimit.Limit("qr-create-ip", request.remote_addr or "-", 60, 20)],
                  "刷新过于频繁，请稍后再试")
    secret = request.cookies.get(qr_cookie_name()) or qrlogin.new_browser_secret()
    ticket = qrlogin.create_ticket(secret, request.remote_addr, request.user_agent.string, via)
    if via == "miniprogram":
        image = qrlogin.miniprogram_qr(ticket["id"])
    elif via == "official":
        image = qrlogin.official_qr(ticket["id"])
    else:
        image = qrlogin.local_qr(url_for("wechat_login.qr_page", ticket=ticket["id"], _external=True))
    response = jsonify({"ticket": ticket["id"], "qr_png": image, "via": via,
                        "poll_url": url_for(".qr_status", ticket=ticket["id"]),
                        "expires_in": qrlogin.TICKET_TTL})
    response.set_cookie(qr_cookie_name(), secret, httponly=True, samesite="Lax", path="/",
                        secure=current_app.config["SESSION_SECURE"])
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/login/qr/<ticket>/status")
def qr_status(ticket: str):
    """pending / scanned / confirmed / expired, for the browser that asked only."""
    try:
        state, account_id = qrlogin.poll(ticket, request.cookies.get(qr_cookie_name()))
    except NotFound:
        return _no_store(jsonify({"state": "expired"})), 404
    body = {"state": state}
    if state == "confirmed":
        account = db.session.get(Account, account_id)
        if account is None or not account.is_active:
            return _no_store(jsonify({"state": "expired"}))
        start_web_session(account, via="qr")
        body["redirect"] = url_for(".done")
    return _no_store(jsonify(body))


def _no_store(response):
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/login/password", methods=["GET", "POST"])
def password_login():
    """Username and password (reviewers, admins, employer users); 5 failures lock 15 minutes."""
    error, status = None, 200
    next_url = safe_next(request.values.get("next"))
    if request.method == "POST":
        username = request.form.get("username", "")[:50]
        password = request.form.get("password", "")[:128]
        try:
            if not username or not password:
                raise InvalidInput("BAD_CREDENTIALS", "请输入用户名和密码")
            account = binding.verify_login(username, password, request.remote_addr)
        except DomainError as exc:
            error, status = exc.message, STATUS_OF_KIND[exc.kind]
        else:
            start_web_session(account, via="password")
            return redirect(url_for(".done", next=next_url) if next_url else url_for(".done"))
    return render_template("login/password.html", error=error, next=next_url), status


@bp.get("/logout")
def logout():
    """End this browser's session."""
    end_web_session()
    return redirect(url_for(".login_page"))


@bp.get("/login/done")
def done():
    """After log-in: staff go to their pages (or where they were going); students and employer
    users, whose desktop pages do not exist yet, see who is logged in."""
    account = web_account()
    if account is None:
        return redirect(url_for(".login_page"))
    desk = DESK_HOMES.get(account.role.value)
    if account.role.value in STAFF_ROLES or desk in current_app.view_functions:
        return redirect(safe_next(request.args.get("next")) or url_for(desk or "web.home"))
    return render_template("login/done.html", account=account,
                           role_label=ROLE_LABELS.get(account.role.value, account.role.value))
