"""Desktop QR log-in: ticket, browser binding, the three ways to scan, expiry, single use,
cross-process confirmation; official-account web OAuth state."""
from __future__ import annotations

import base64
import re
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
import time_machine
from sqlalchemy import select

from app import create_app
from app.api.auth import issue_token
from app.clock import utcnow
from app.extensions import db
from app.models import AccountEvent
from app.models.wechat import WechatApp, WechatIdentity
from tests import conftest as _conftest
from tests.factories import TEST_PASSWORD
from tests.wechat_fixtures import *  # noqa: F401,F403
from wechat.clients import reset_clients
from wechat.emulator.core import unionid_for

DESKTOP = {"REMOTE_ADDR": "203.0.113.9"}
CHROME = {"User-Agent": "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 "
                        "(KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36"}


@pytest.fixture
def wx(emu_app, live_app, db_session, redis_client):
    """The emulator-enabled app, calling WeChat at the live emulator server over HTTP."""
    saved = dict(emu_app.config["WECHAT"])
    base = live_app.config["WECHAT"]["API_BASE"]
    emu_app.config["WECHAT"].update(API_BASE=base, MP_BASE=base, OPEN_BASE=base)
    with emu_app.app_context():
        reset_clients()
        yield emu_app
        reset_clients()
    emu_app.config["WECHAT"].update(saved)


@pytest.fixture(scope="session")
def second_app(app):
    """Another instance of the application (as another gunicorn process would be): its own
    extensions and Redis client, the same Redis server and (for the test) database connection."""
    other = create_app(_conftest.test_config(app.config["DATABASE_URL"]))
    with other.app_context():
        db.engine.dispose()
    with app.app_context():
        db._app_engines[other] = db.engines
    return other


def start_qr(desk, via: str = "local") -> dict:
    """What the login page's script does: read the CSRF token, POST /login/qr."""
    page = desk.get("/login")
    token = re.search(r'name="csrf-token" content="([^"]+)"', page.get_data(as_text=True)).group(1)
    response = desk.post("/login/qr", json={"via": via}, environ_base=DESKTOP,
                         headers={"X-CSRFToken": token, **CHROME})
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()


def poll(desk, ticket: dict):
    response = desk.get(ticket["poll_url"])
    return response.status_code, response.get_json()["state"]


def phone_of(account, openid: str) -> tuple[int, dict]:
    """A mini-program identity bound to ``account`` and its bearer header."""
    identity = WechatIdentity(app=WechatApp.MINIPROGRAM, appid="wxemu0miniprog001", openid=openid,
                              unionid=unionid_for(openid), account_id=account.id)
    db.session.add(identity)
    db.session.flush()
    return identity.id, {"Authorization": f"Bearer {issue_token(account.id, identity.id)}"}


def oauth_as(phone, location: str, openid: str):
    """Play WeChat's authorize page as ``openid`` and follow the redirect back to our callback."""
    confirm = location.split("#")[0].replace("/connect/oauth2/authorize", "/connect/oauth2/confirm")
    back = requests.get(f"{confirm}&openid={openid}", allow_redirects=False, timeout=5)
    assert back.status_code == 302, back.text
    target = urlsplit(back.headers["Location"])
    return phone.get(f"{target.path}?{target.query}")


def test_mini_program_scan_and_confirm_logs_the_desktop_in(wx, world, db_session):
    """Desktop asks → the mini-program scans (sees the desktop) and confirms → the desktop's
    poll gets confirmed and a session; the ticket is then used up."""
    desk = wx.test_client()
    ticket = start_qr(desk, "miniprogram")
    assert base64.b64decode(ticket["qr_png"].split(",", 1)[1]).startswith(b"\x89PNG")
    assert ticket["expires_in"] == 120 and len(ticket["ticket"]) >= 22
    assert desk.get_cookie("wq-qr").http_only
    assert poll(desk, ticket) == (200, "pending")

    phone = wx.test_client()
    _, auth = phone_of(world.student_account, "mp-desk")
    scanned = phone.post(f"/api/v1/auth/qr/{ticket['ticket']}/scan", headers=auth)
    assert scanned.status_code == 200, scanned.get_data(as_text=True)
    desktop = scanned.get_json()["desktop"]
    assert desktop["ip"] == "203.0.113.9" and desktop["browser"] == "Chrome（Windows）"
    assert poll(desk, ticket) == (200, "scanned")
    _, stranger = phone_of(world.student2_account, "mp-stranger")
    taken = phone.post(f"/api/v1/auth/qr/{ticket['ticket']}/scan", headers=stranger)
    assert taken.status_code == 409 and taken.get_json()["error"]["code"] == "QR_TAKEN"

    confirmed = phone.post(f"/api/v1/auth/qr/{ticket['ticket']}/confirm", json={"confirm": True},
                           headers=auth)
    assert confirmed.get_json() == {"state": "confirmed"}
    response = desk.get(ticket["poll_url"])
    assert response.get_json() == {"state": "confirmed", "redirect": "/login/done"}
    assert "HttpOnly" in response.headers["Set-Cookie"] and "SameSite=Lax" in response.headers["Set-Cookie"]
    landed = desk.get("/login/done")
    assert landed.headers["Location"] == "/student/"  # the student's desktop page
    assert world.student_account.display_name in desk.get("/student/").get_data(as_text=True)
    assert poll(desk, ticket) == (404, "expired")  # single use
    actions = set(db_session.scalars(select(AccountEvent.action)))
    assert {"qr_confirm", "web_login"} <= actions


def test_only_the_browser_that_asked_can_poll(wx):
    """Does a poll without the creating browser's cookie, or with another's, get 404?"""
    ticket = start_qr(wx.test_client())
    assert poll(wx.test_client(), ticket) == (404, "expired")
    other = wx.test_client()
    start_qr(other)  # holds a cookie secret of its own
    assert poll(other, ticket) == (404, "expired")


def test_ticket_expires_after_120_seconds(wx, world):
    """Is a ticket 121 s old reported expired to the desktop and refused to the phone?"""
    desk = wx.test_client()
    with time_machine.travel(utcnow(), tick=False) as clock:
        ticket = start_qr(desk)
        clock.shift(timedelta(seconds=119))
        assert poll(desk, ticket) == (200, "pending")
        clock.shift(timedelta(seconds=2))
        assert poll(desk, ticket)[1] == "expired"
        _, auth = phone_of(world.student_account, "mp-late")
        late = wx.test_client().post(f"/api/v1/auth/qr/{ticket['ticket']}/scan", headers=auth)
    assert late.status_code == 404 and late.get_json()["error"]["code"] == "QR_EXPIRED"


def test_ticket_confirmed_through_another_process(client, second_app, world):
    """A desktop polling instance A, a phone confirming through instance B (shared Redis only):
    does A's poll see the confirmation and log the desktop in?"""
    ticket = start_qr(client)
    with second_app.app_context():
        _, auth = phone_of(world.student_account, "mp-other-process")
        phone = second_app.test_client()
        assert phone.post(f"/api/v1/auth/qr/{ticket['ticket']}/scan", headers=auth).status_code == 200
        assert phone.post(f"/api/v1/auth/qr/{ticket['ticket']}/confirm", json={},
                          headers=auth).get_json() == {"state": "confirmed"}
    assert poll(client, ticket) == (200, "confirmed")
    assert world.student_account.display_name in client.get("/login/done", follow_redirects=True).get_data(as_text=True)


def test_official_account_scan_then_confirm_on_the_phone_page(wx, world, db_session):
    """Scanning the official account's parametric code (SCAN event via the emulator) marks the
    ticket scanned; the phone page, reached through OAuth, shows the desktop's IP, browser and
    time, and 确认登录 logs the desktop in."""
    phone_of(world.student_account, "mp-li")  # bound in the mini-program; oa-li shares the unionid
    desk = wx.test_client()
    ticket = start_qr(desk, "official")
    assert "/cgi-bin/showqrcode?ticket=" in ticket["qr_png"]
    event = wx.test_client().post("/_emulator/control/simulate-event", json={
        "openid": "oa-li", "event": "SCAN", "event_key": f"login:{ticket['ticket']}"})
    assert event.status_code == 200 and event.get_json()["status"] == 200
    assert poll(desk, ticket) == (200, "scanned")

    phone = wx.test_client()
    start = phone.get(f"/wechat/qr/{ticket['ticket']}")
    assert start.status_code == 302 and "scope=snsapi_base" in start.headers["Location"]
    page = oauth_as(phone, start.headers["Location"], "oa-li")
    html = page.get_data(as_text=True)
    assert page.status_code == 200, html
    assert "203.0.113.9" in html and "Chrome（Windows）" in html and "请求时间" in html
    assert world.student_account.display_name in html
    nonce = re.search(r'name="nonce" value="([^"]+)"', html).group(1)
    stale = phone.post(f"/wechat/qr/{ticket['ticket']}/decide", data={"nonce": "x" * 32,
                                                                      "decision": "confirm"})
    assert stale.status_code == 409 and poll(desk, ticket) == (200, "scanned")
    done = phone.post(f"/wechat/qr/{ticket['ticket']}/decide", data={"nonce": nonce,
                                                                     "decision": "confirm"})
    assert done.status_code == 200 and "已确认登录" in done.get_data(as_text=True)
    assert poll(desk, ticket) == (200, "confirmed")
    official = db_session.scalar(select(WechatIdentity).where(WechatIdentity.openid == "oa-li"))
    assert official.account_id == world.student_account.id  # linked through the unionid


def test_local_qr_can_be_cancelled_on_the_phone(wx, world):
    """With the locally drawn QR, does 取消 on the phone page end the ticket for the desktop?"""
    phone_of(world.student_account, "mp-wang")
    desk = wx.test_client()
    ticket = start_qr(desk, "local")
    assert ticket["qr_png"].startswith("data:image/png;base64,")
    phone = wx.test_client()
    page = oauth_as(phone, phone.get(f"/wechat/qr/{ticket['ticket']}").headers["Location"], "oa-wang")
    nonce = re.search(r'name="nonce" value="([^"]+)"', page.get_data(as_text=True)).group(1)
    cancelled = phone.post(f"/wechat/qr/{ticket['ticket']}/decide",
                           data={"nonce": nonce, "decision": "cancel"})
    assert "已取消" in cancelled.get_data(as_text=True)
    assert poll(desk, ticket) == (404, "expired")


def test_unbound_wechat_user_cannot_confirm(wx):
    """Is a WeChat user with no bound account told to bind first, leaving the ticket unscanned?"""
    desk = wx.test_client()
    ticket = start_qr(desk)
    phone = wx.test_client()
    page = oauth_as(phone, phone.get(f"/wechat/qr/{ticket['ticket']}").headers["Location"], "oa-nobody")
    assert page.status_code == 403 and "尚未绑定" in page.get_data(as_text=True)
    assert poll(desk, ticket) == (200, "pending")


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/x", "/\\evil.example",
                                    "javascript:alert(1)", "/ok path"])
def test_oauth_start_refuses_a_next_that_leaves_the_site(wx, target):
    """Can the OAuth start page be used as an open redirect? (No: 400.)"""
    assert wx.test_client().get("/wechat/oauth/start", query_string={"next": target}).status_code == 400


def test_oauth_state_is_single_use(wx, world):
    """Does the callback log a bound user in and go to ``next``, and refuse the same state (or an
    unknown one) a second time?"""
    phone_of(world.hr, "mp-hr-web")
    browser = wx.test_client()
    start = browser.get("/wechat/oauth/start", query_string={"next": "/login/done?tab=1"})
    assert start.status_code == 302
    state = parse_qs(urlsplit(start.headers["Location"].split("#")[0]).query)["state"][0]
    assert len(base64.urlsafe_b64decode(state + "==")) >= 16  # at least 128 bits
    back = oauth_as(browser, start.headers["Location"], "oa-hr-web")
    assert back.status_code == 302 and back.headers["Location"] == "/login/done?tab=1"
    assert world.hr.display_name in browser.get("/login/done", follow_redirects=True).get_data(as_text=True)
    replay = browser.get(f"{urlsplit(back.request.url).path}?{urlsplit(back.request.url).query}")
    assert replay.status_code == 400 and "已失效" in replay.get_data(as_text=True)
    unknown = browser.get("/wechat/oauth/callback", query_string={"code": "c", "state": "A" * 32})
    assert unknown.status_code == 400


# -- password log-in and web sessions ------------------------------------------------------------

def csrf_of(browser, path: str = "/login/password") -> str:
    page = browser.get(path).get_data(as_text=True)
    return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)


def password_login(browser, username: str, password: str):
    return browser.post("/login/password", data={"username": username, "password": password,
                                                 "csrf_token": csrf_of(browser)})


def test_password_log_in_starts_a_new_session_and_log_out_ends_it(client, world, redis_client):
    """Does log-in replace the session (new id, kept in Redis), and does a copy of the old cookie
    stop working after log-out?"""
    csrf_of(client)  # the form page gives the browser a session of its own
    before = client.get_cookie("wq").value
    response = password_login(client, world.school_reviewer.username, TEST_PASSWORD)
    assert response.status_code == 302 and response.headers["Location"] == "/login/done"
    cookie = client.get_cookie("wq")
    assert cookie.value != before and cookie.http_only and cookie.same_site == "Lax"
    assert len(list(redis_client.scan_iter("wq:web:*"))) == 1
    assert client.get("/login/done").headers["Location"] == "/"  # staff land on their pages
    assert world.school_reviewer.display_name in client.get("/").get_data(as_text=True)
    client.get("/logout")
    client.set_cookie("wq", cookie.value)  # someone kept a copy of the cookie
    assert client.get("/").headers["Location"].startswith("/login")


def test_password_form_needs_its_csrf_token(client, world):
    """Is a log-in POST without the form's token refused?"""
    response = client.post("/login/password", data={"username": world.hr.username,
                                                    "password": TEST_PASSWORD})
    assert response.status_code == 400 and "页面已过期" in response.get_data(as_text=True)


def test_five_wrong_passwords_lock_the_web_log_in(client, world):
    """Does the 5th wrong password lock the account, so the right one is refused for 15 min?"""
    with time_machine.travel(utcnow(), tick=False) as clock:
        statuses = [password_login(client, world.hr.username, "wrong").status_code for _ in range(5)]
        assert statuses == [400] * 4 + [429]
        locked = password_login(client, world.hr.username, TEST_PASSWORD)
        assert locked.status_code == 429 and "锁定" in locked.get_data(as_text=True)
        clock.shift(timedelta(minutes=16))
        assert password_login(client, world.hr.username, TEST_PASSWORD).status_code == 302


def test_reviewer_sessions_end_after_30_idle_minutes_and_all_after_12_hours(app, world):
    """Is a reviewer idle for 31 minutes logged out while an employer user is not, and is every
    session over after 12 hours however active?"""
    reviewer, employer = app.test_client(), app.test_client()
    with time_machine.travel(utcnow(), tick=False) as clock:
        password_login(reviewer, world.college_reviewer.username, TEST_PASSWORD)
        password_login(employer, world.hr.username, TEST_PASSWORD)
        clock.shift(timedelta(minutes=29))
        assert reviewer.get("/").status_code == 200  # activity resets the idle clock
        clock.shift(timedelta(minutes=31))
        assert reviewer.get("/").headers["Location"].startswith("/login?next=")
        assert employer.get("/employer/").status_code == 200
        for _ in range(22):  # busy all day: 11 h 38 min after log-in, still in
            clock.shift(timedelta(minutes=29))
            assert employer.get("/employer/").status_code == 200
        clock.shift(timedelta(minutes=23))  # 12 h 1 min
        assert employer.get("/employer/").headers["Location"].startswith("/login?next=")


def test_secure_deployments_use_host_prefixed_secure_cookies(app):
    """With SESSION_SECURE, are the session and QR cookies Secure, HttpOnly, SameSite=Lax and
    named with the __Host- prefix (so no subdomain can set them)?"""
    secure = create_app(_conftest.test_config(app.config["DATABASE_URL"])
                        | {"SESSION_SECURE": True, "WTF_CSRF_ENABLED": False})
    assert secure.config["SESSION_COOKIE_NAME"] == "__Host-wq" and secure.config["SESSION_COOKIE_SECURE"]
    with secure.app_context():
        response = secure.test_client().post("/login/qr", base_url="https://wq.example.edu.cn")
        cookie = response.headers["Set-Cookie"]
    assert cookie.startswith("__Host-wq-qr=") and "Secure" in cookie and "HttpOnly" in cookie
    assert "Path=/" in cookie and "Domain" not in cookie and "SameSite=Lax" in cookie
