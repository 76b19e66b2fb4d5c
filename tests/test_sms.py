"""SMS codes: the console and HTTP backends, the per-phone and per-IP limits, and the code rules
(6 digits, 10 minutes, single use, 5 attempts)."""
from __future__ import annotations

import json
import logging
import socket
import threading
from datetime import timedelta

import pytest
import time_machine
from flask import Flask, jsonify, request
from werkzeug.serving import make_server

from app.config import DEFAULTS
from app.clock import utcnow
from app.domain.errors import InvalidInput
from app.services import sms

PHONE = "13312345660"


@pytest.fixture
def sms_app(app, redis_client, monkeypatch):
    """The session app with the console backend, inside a request context (for the IP)."""
    monkeypatch.setitem(app.config, "SMS_BACKEND", "console")
    with app.test_request_context("/"):
        yield app


def sent_code(redis_client) -> str:
    return json.loads(redis_client.lindex(sms.DEV_SINK, 0))["code"]


def test_console_backend_logs_masked_and_lists_the_code(sms_app, redis_client, caplog):
    """Does a development SMS show its code on the emulator page but never the full phone in
    the log, and is only an HMAC of the code kept?"""
    caplog.set_level(logging.INFO, logger="wq.sms")
    sms.issue_code("test", "s1", PHONE, "192.0.2.1")
    entry = json.loads(redis_client.lindex(sms.DEV_SINK, 0))
    assert entry["phone"] == "133****5660" and len(entry["code"]) == 6 and entry["code"].isdigit()
    assert PHONE not in caplog.text and "133****5660" in caplog.text and entry["code"] not in caplog.text
    stored = redis_client.hgetall("wq:sms:code:test:s1")
    assert entry["code"].encode() not in b"".join(stored.values())


def test_a_code_works_once(sms_app, redis_client):
    """Does the right code return its data the first time, and count as gone the second?"""
    sms.issue_code("test", "s2", PHONE, None, {"student_id": 7})
    code = sent_code(redis_client)
    assert sms.verify_code("test", "s2", code) == {"student_id": 7}
    with pytest.raises(InvalidInput) as info:
        sms.verify_code("test", "s2", code)
    assert info.value.code == "SMS_CODE_EXPIRED"


def test_five_wrong_attempts_lock_the_code(sms_app, redis_client):
    """After 5 wrong tries, is the right code refused too?"""
    sms.issue_code("test", "s3", PHONE, None)
    code = sent_code(redis_client)
    wrong = f"{(int(code) + 1) % 10**6:06d}"
    seen = []
    for _ in range(5):
        with pytest.raises(InvalidInput) as info:
            sms.verify_code("test", "s3", wrong)
        seen.append(info.value.code)
    assert seen == ["SMS_CODE_WRONG"] * 4 + ["SMS_CODE_LOCKED"]
    with pytest.raises(InvalidInput) as info:
        sms.verify_code("test", "s3", code)
    assert info.value.code == "SMS_CODE_LOCKED"


def test_code_is_valid_for_ten_minutes(sms_app, redis_client):
    """Is a code good at 9:59 and refused at 10:01?"""
    with time_machine.travel(utcnow(), tick=False) as clock:
        sms.issue_code("test", "s4", PHONE, None)
        clock.shift(timedelta(minutes=9, seconds=59))
        assert sms.verify_code("test", "s4", sent_code(redis_client)) == {}
        clock.shift(timedelta(minutes=1))  # a fresh code a minute later, then let it run out
        sms.issue_code("test", "s4", PHONE, None)
        clock.shift(timedelta(minutes=10, seconds=1))
        with pytest.raises(InvalidInput) as info:
            sms.verify_code("test", "s4", sent_code(redis_client))
    assert info.value.code == "SMS_CODE_EXPIRED"


def test_phone_limits_one_a_minute_five_an_hour_ten_a_day(sms_app):
    """Are sends to one phone held to 1/min, 5/hour and 10/day as moving windows, each refusal
    with a Retry-After until the oldest send leaves its window?"""
    start = utcnow().replace(hour=1, minute=0, second=0, microsecond=0)  # 09:00 in Shanghai
    with time_machine.travel(start, tick=False) as clock:
        sms.issue_code("test", "p", PHONE, None)
        with pytest.raises(sms.RateLimited) as minute:
            sms.issue_code("test", "p", PHONE, None)
        assert minute.value.retry_after == 60
        for _ in range(4):
            clock.shift(timedelta(seconds=61))
            sms.issue_code("test", "p", PHONE, None)
        clock.shift(timedelta(seconds=61))  # 5 sends in the last 5 min 5 s
        with pytest.raises(sms.RateLimited) as hour:
            sms.issue_code("test", "p", PHONE, None)
        assert hour.value.retry_after == 3600 - 5 * 61
        clock.shift(timedelta(seconds=hour.value.retry_after + 1))
        sms.issue_code("test", "p", PHONE, None)
        for _ in range(4):
            clock.shift(timedelta(hours=1))
            sms.issue_code("test", "p", PHONE, None)
        clock.shift(timedelta(hours=1))
        with pytest.raises(sms.RateLimited) as day:
            sms.issue_code("test", "p", PHONE, None)
    assert day.value.retry_after == 18 * 3600 - 1  # the first send of the 10 leaves the 24 h window


def test_one_a_minute_holds_across_a_minute_boundary(sms_app):
    """Can two codes reach one phone 1 second apart when that second crosses a minute boundary
    (a fixed per-minute counter would let the second through)?"""
    start = utcnow().replace(hour=1, minute=0, second=59, microsecond=500_000)
    with time_machine.travel(start, tick=False) as clock:
        sms.issue_code("test", "b", PHONE, None)
        clock.shift(timedelta(seconds=1))  # 09:01:00.5, a new calendar minute
        with pytest.raises(sms.RateLimited) as refused:
            sms.issue_code("test", "b", PHONE, None)
        assert refused.value.retry_after == 59
        clock.shift(timedelta(seconds=60))
        sms.issue_code("test", "b", PHONE, None)


def test_ip_limit_covers_many_phones(sms_app, monkeypatch):
    """Can one IP send only SMS_IP_HOURLY_LIMIT codes an hour, whichever phones it targets?"""
    monkeypatch.setitem(sms_app.config, "SMS_IP_HOURLY_LIMIT", 3)
    for n in range(3):
        sms.issue_code("test", f"ip{n}", f"1391234560{n}", "203.0.113.5")
    with pytest.raises(sms.RateLimited):
        sms.issue_code("test", "ip9", "13912345609", "203.0.113.5")
    sms.issue_code("test", "ip9", "13912345609", "203.0.113.6")  # another IP is not affected


def test_a_refused_send_does_not_use_up_the_longer_windows(sms_app):
    """When the minute limit refuses a send, is the hour counter left as it was?"""
    with time_machine.travel(utcnow().replace(minute=0, second=0), tick=False) as clock:
        sms.issue_code("test", "w", PHONE, None)
        for _ in range(10):
            with pytest.raises(sms.RateLimited):
                sms.issue_code("test", "w", PHONE, None)
        for _ in range(4):  # the hour still has its 4 remaining sends
            clock.shift(timedelta(seconds=61))
            sms.issue_code("test", "w", PHONE, None)


# -- the HTTP provider adapter against a local fake provider -----------------------------------

class FakeProvider:
    """A tiny SMS provider on 127.0.0.1 that records requests and answers as told."""

    def __init__(self) -> None:
        self.requests: list[dict] = []
        self.answer: tuple[dict, int, dict] = ({"code": 0, "message": "OK"}, 200, {})
        provider = Flask("fake_sms")

        @provider.post("/send")
        def send():
            self.requests.append({"json": request.get_json(), "auth": request.headers.get("Authorization")})
            body, status, headers = self.answer
            return jsonify(body), status, headers

        self.server = make_server("127.0.0.1", 0, provider, threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}/send"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.thread.join(timeout=5)
        self.server.server_close()


@pytest.fixture
def provider(app, redis_client, monkeypatch):
    fake = FakeProvider()
    for key, value in {"SMS_BACKEND": "http", "SMS_HTTP_URL": fake.url, "SMS_HTTP_API_KEY": "k-123",
                       "SMS_HTTP_TIMEOUT": 2.0}.items():
        monkeypatch.setitem(app.config, key, value)
    with app.test_request_context("/"):
        yield fake
    fake.close()


def test_http_backend_posts_json_with_the_api_key(provider, redis_client):
    """Does the provider get the phone, the text with the code, and our key — and nothing go to
    the development list?"""
    sms.issue_code("test", "h1", PHONE, None)
    [sent] = provider.requests
    assert sent["auth"] == "Bearer k-123" and sent["json"]["phone"] == PHONE
    assert "验证码" in sent["json"]["text"] and sent["json"]["sign"] == "网签"
    assert redis_client.llen(sms.DEV_SINK) == 0


@pytest.mark.parametrize(("body", "status"), [({"code": 0}, 500), ({"code": "InvalidSign"}, 200),
                                              ({"error": "bad key"}, 401)])
def test_provider_failures_become_503_and_no_code_is_left(provider, redis_client, body, status):
    """When the provider refuses or breaks, does the user get 503 and no dangling code?"""
    provider.answer = (body, status, {})
    with pytest.raises(sms.SmsUnavailable) as info:
        sms.issue_code("test", "h2", PHONE, None)
    assert info.value.kind == "unavailable" and info.value.code == "SMS_UNAVAILABLE"
    assert not redis_client.exists("wq:sms:code:test:h2")


def test_provider_rate_limit_passes_its_retry_after(provider):
    """Does the provider's own 429 reach the user as 429 with its Retry-After?"""
    provider.answer = ({"code": "Throttled"}, 429, {"Retry-After": "120"})
    with pytest.raises(sms.RateLimited) as info:
        sms.issue_code("test", "h3", PHONE, None)
    assert info.value.retry_after == 120


def test_unreachable_or_silent_provider_is_503(provider, monkeypatch):
    """Connection refused, or a provider that accepts and never answers (timeout): 503?"""
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    monkeypatch.setitem(provider_app_config(), "SMS_HTTP_URL", f"http://127.0.0.1:{port}/send")
    with pytest.raises(sms.SmsUnavailable):
        sms.issue_code("test", "h4", PHONE, None)
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(1)
        monkeypatch.setitem(provider_app_config(), "SMS_HTTP_URL",
                            f"http://127.0.0.1:{silent.getsockname()[1]}/send")
        monkeypatch.setitem(provider_app_config(), "SMS_HTTP_TIMEOUT", 0.2)
        with pytest.raises(sms.SmsUnavailable):
            sms.issue_code("test", "h5", "13312345661", None)


def provider_app_config() -> dict:
    from flask import current_app

    return current_app.config


def test_check_config_refuses_console_in_production():
    """Would a production deployment that forgot to configure the provider refuse to start?"""
    app = Flask("x")
    app.config.update({key: value for key, value in DEFAULTS.items() if key.startswith("SMS_")},
                      ENV="production")
    with pytest.raises(RuntimeError, match="SMS_BACKEND"):
        sms.check_config(app)
    app.config.update(SMS_BACKEND="http", SMS_HTTP_URL="")
    with pytest.raises(RuntimeError, match="SMS_HTTP_URL"):
        sms.check_config(app)
