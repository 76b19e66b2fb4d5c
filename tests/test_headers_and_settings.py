"""Issue 8: security headers on every response, pages that run under their CSP, and production
refusing weak settings (and keeping the API docs pages off unless configured on)."""
from __future__ import annotations

import re

import pytest
from cryptography.fernet import Fernet

from app import create_app
from app.config import load_config
from tests.conftest import TEST_PII_KEY
from tests.wechat_fixtures import *  # noqa: F401,F403

STRONG = {"WQ_ENV": "production", "WQ_SECRET_KEY": "s" * 40, "WQ_PII_HASH_KEY": "h" * 40,
          "WQ_FLOW_LOG_KEY": "f" * 40, "WQ_AGREEMENT_MAC_KEY": "m" * 40,
          "WQ_PUBLIC_BASE_URL": "https://wq.example.edu.cn",
          "WQ_PII_KEYS": f'["{TEST_PII_KEY}"]', "WQ_REDIS_URL": "redis://127.0.0.1:6379/13",
          "WQ_DATABASE_URL": "mysql+pymysql://wq@127.0.0.1/wq_hardening?charset=utf8mb4"}


def test_pages_carry_a_strict_csp_and_no_framing(client):
    """Does a web page allow only our own scripts and styles (no inline, no eval), refuse to be
    framed, and carry nosniff and a referrer policy — without HSTS in development?"""
    page = client.get("/login")
    csp = dict(part.strip().split(" ", 1) for part in page.headers["Content-Security-Policy"].split(";"))
    assert csp["script-src"] == "'self'" and csp["style-src"] == "'self'"
    assert csp["frame-ancestors"] == "'none'" and csp["object-src"] == "'none'"
    assert "unsafe" not in page.headers["Content-Security-Policy"]
    assert page.headers["X-Frame-Options"] == "DENY"
    assert page.headers["X-Content-Type-Options"] == "nosniff"
    assert page.headers["Referrer-Policy"] == "same-origin"
    assert "Strict-Transport-Security" not in page.headers


def test_api_answers_may_run_nothing(world, client):
    from tests.api_helpers import ApiClient

    for response in (ApiClient(client, world.hr).get("/employer/home"), client.get("/api/v1/nowhere")):
        assert response.headers["Content-Security-Policy"].startswith("default-src 'none'")
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["X-Frame-Options"] == "DENY"


@pytest.mark.parametrize("path", ["/login", "/login/password"])
def test_login_pages_have_no_inline_script_or_style(client, path):
    """Would the CSP block part of the page? No inline <script>, <style>, style="" or on…=""."""
    html = client.get(path).get_data(as_text=True)
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html), html
    assert "<style" not in html and not re.search(r"\sstyle=", html)
    assert not re.search(r"\son[a-z]+=", html)
    for asset in re.findall(r'(?:src|href)="(/static/[^"]+)"', html):
        served = client.get(asset)
        served.close()
        assert served.status_code == 200, asset


def test_emulator_pages_have_no_inline_style(emu):
    html = emu.get("/_emulator/").get_data(as_text=True)
    assert "<style" not in html and not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html)
    css = re.search(r'href="(/_emulator/static/[^"]+\.css)"', html).group(1)
    served = emu.get(css)
    served.close()
    assert served.status_code == 200


# -- production ---------------------------------------------------------------------------------

@pytest.mark.parametrize(("override", "complaint"), [
    ({"WQ_SECRET_KEY": "short-secret"}, "SECRET_KEY must be at least 32 bytes"),
    ({"WQ_PII_HASH_KEY": "x" * 31}, "PII_HASH_KEY must be at least 32 bytes"),
    ({"WQ_SESSION_SECURE": "false"}, "SESSION_SECURE = false"),
    ({"WQ_REDIS_URL": "memory://"}, "REDIS_URL = memory://"),
    ({"WQ_DATABASE_URL": "sqlite:////srv/wangqian.db"}, "DATABASE_URL is SQLite"),
    ({"WQ_DATABASE_URL": ""}, "DATABASE_URL is SQLite"),  # the embedded default
])
def test_production_refuses_weak_settings(tmp_path, override, complaint):
    """Present but weak is refused at start-up, with what to fix."""
    with pytest.raises(RuntimeError, match=re.escape(complaint)):
        load_config(tmp_path, environ={**STRONG, **override})


def test_production_starts_with_strong_settings(tmp_path):
    config = load_config(tmp_path, environ=STRONG)
    assert config["ENV"] == "production" and config["API_DOCS"] is False


@pytest.fixture
def production_app(tmp_path, monkeypatch):
    """An app configured as production (never connected: only pages that need neither store)."""
    for name, value in {**STRONG, "WQ_SMS_BACKEND": "http", "WQ_SMS_HTTP_URL": "http://127.0.0.1:9/sms",
                        "WQ_WECHAT__OFFICIAL__AES_KEY": Fernet.generate_key().decode()[:43]}.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("WQ_CONFIG", str(tmp_path / "none.toml"))
    (tmp_path / "none.toml").write_text("", encoding="utf-8")
    return create_app()


def test_production_sends_hsts_and_hides_the_api_docs(production_app):
    client = production_app.test_client()
    page = client.get("/login")
    assert page.status_code == 200
    assert page.headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"
    for path in ("/docs/swagger/", "/docs/redoc/", "/docs/openapi.json"):
        assert client.get(path).status_code == 404, path


def test_api_docs_pages_when_configured_on(app, tmp_path):
    from tests.conftest import test_config

    docs_app = create_app(test_config(app.config["DATABASE_URL"]) | {"API_DOCS": True})
    client = docs_app.test_client()
    assert client.get("/docs/swagger/").status_code == 200
    assert client.get("/docs/openapi.json").status_code == 200


def test_the_qr_login_page_works_under_its_csp_in_a_real_browser(live_app, live):
    """In Chromium, does the log-in page (its script and styles now files under /static) show a
    QR code, with not a single CSP violation reported?"""
    from playwright.sync_api import sync_playwright

    base = live_app.config["WECHAT"]["API_BASE"].removesuffix("/_emulator")
    refused: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=[
            "--no-sandbox", "--disable-background-networking", "--disable-component-update",
            "--disable-sync", "--disable-gpu"])
        try:
            page = browser.new_page()
            page.on("console", lambda message: refused.append(message.text)
                    if "Content Security Policy" in message.text else None)
            page.goto(f"{base}/login")
            page.wait_for_selector('#qr img[src^="data:image/png"]', timeout=10_000)
            assert page.locator("#qr-state").inner_text() == "请使用微信扫描二维码"
            header = page.locator("header")
            assert header.evaluate("e => getComputedStyle(e).backgroundColor") == "rgb(0, 82, 217)"
        finally:
            browser.close()
    assert refused == []
