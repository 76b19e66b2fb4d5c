"""SMS verification codes: a sending interface, rate limits, and hashed single-use codes.

Backends (config SMS_BACKEND):
- "console" (default, development): logs the text with the phone masked and LPUSHes
  {phone (masked), code, at} to Redis "wq:emu:sms", which the emulator page lists;
- "http": POSTs JSON {phone, text, sign} to SMS_HTTP_URL with SMS_HTTP_API_KEY as a bearer key.

Codes (QUALITY.md): 6 digits, valid 10 minutes, single use, at most 5 attempts; issued at most
1 a minute / 5 an hour / 10 a day per phone and SMS_IP_HOURLY_LIMIT an hour per IP, as moving
windows (app.services.ratelimit). Redis holds only an HMAC of each code. Times come from
app.clock, so tests move them with time_machine.
"""
from __future__ import annotations

import hashlib
import hmac
import json
import logging
import secrets
from typing import Any, Protocol

import requests
from flask import Flask, current_app

from app.domain.errors import DomainError, InvalidInput, RateLimited, Unavailable
from app.extensions import redis_ext
from app.pii import lookup_hash, mask_phone
from app.services.ratelimit import Limit, hit
from wechat.clock import epoch_now

log = logging.getLogger("wq.sms")

DEV_SINK = "wq:emu:sms"  # the emulator page reads this list
DEV_SINK_LENGTH = 200
CODE_TTL = 600
MAX_ATTEMPTS = 5


# -- sending ----------------------------------------------------------------------------------

def phone_key(phone: str) -> str:
    """A phone as it may appear in Redis keys and the development sink: a keyed hash."""
    return lookup_hash(phone)[:32]


class SmsBackend(Protocol):
    def send(self, phone: str, text: str, *, code: str | None = None, **meta: str) -> None:
        """Deliver ``text`` to ``phone``; ``code`` and ``meta`` (purpose, subject) are metadata a
        development sink may show."""


class ConsoleBackend:
    """Development: the text goes to the log (phone masked) and the emulator's SMS list."""

    def send(self, phone: str, text: str, *, code: str | None = None, **meta: str) -> None:
        log.info("SMS to %s: %s", mask_phone(phone), text.replace(code, "******") if code else text)
        pipe = redis_ext.client.pipeline()
        # "to" is the keyed hash of the phone: the emulator's JSON list finds a phone's codes by it.
        pipe.lpush(DEV_SINK, json.dumps({"phone": mask_phone(phone), "to": phone_key(phone), "code": code,
                                         "at": epoch_now(), **meta}, ensure_ascii=False))
        pipe.ltrim(DEV_SINK, 0, DEV_SINK_LENGTH - 1)
        pipe.execute()


class HttpBackend:
    """A provider adapter: POST JSON, bearer API key, timeout; provider failures become 503."""

    def __init__(self, url: str, api_key: str, timeout: float, sign: str) -> None:
        self.url, self.api_key, self.timeout, self.sign = url, api_key, timeout, sign

    def send(self, phone: str, text: str, *, code: str | None = None, **meta: str) -> None:
        try:
            response = requests.post(self.url, json={"phone": phone, "text": text, "sign": self.sign},
                                     headers={"Authorization": f"Bearer {self.api_key}"},
                                     timeout=self.timeout)
        except requests.RequestException as exc:
            log.warning("SMS provider unreachable (%s) for %s", type(exc).__name__, mask_phone(phone))
            raise SmsUnavailable() from exc
        if response.status_code == 429:
            retry = response.headers.get("Retry-After", "60")
            raise RateLimited(int(retry) if retry.isdigit() else 60, "短信发送过于频繁，请稍后再试")
        try:
            body = response.json()
        except ValueError:
            body = {}
        ok = response.ok and isinstance(body, dict) and str(body.get("code", "0")) in ("0", "OK")
        if not ok:
            log.warning("SMS provider refused %s: HTTP %s %s", mask_phone(phone),
                        response.status_code, str(body)[:200])
            raise SmsUnavailable()


class SmsUnavailable(Unavailable):
    def __init__(self) -> None:
        super().__init__("SMS_UNAVAILABLE", "短信服务暂时不可用，请稍后再试")


def check_config(app: Flask) -> None:
    """Production must configure a real provider (the defaults are in app.config.DEFAULTS)."""
    backend = app.config["SMS_BACKEND"]
    if backend not in ("console", "http"):
        raise RuntimeError('SMS_BACKEND must be "console" or "http"')
    if backend == "http" and not app.config["SMS_HTTP_URL"]:
        raise RuntimeError("SMS_BACKEND = \"http\" needs SMS_HTTP_URL")
    if backend == "console" and app.config["ENV"] == "production":
        raise RuntimeError("production needs SMS_BACKEND = \"http\" (console only logs codes)")


def backend() -> SmsBackend:
    config = current_app.config
    if config.get("SMS_BACKEND", "console") == "http":
        return HttpBackend(config["SMS_HTTP_URL"], config.get("SMS_HTTP_API_KEY", ""),
                           float(config.get("SMS_HTTP_TIMEOUT", 3.0)), config.get("SMS_SIGN", "网签"))
    return ConsoleBackend()


# -- verification codes -----------------------------------------------------------------------

def send_limits(phone: str, ip: str | None) -> list[Limit]:
    subject = phone_key(phone)  # no phone numbers in Redis keys
    limits = [Limit("sms-phone-minute", subject, 60, 1), Limit("sms-phone-hour", subject, 3600, 5),
              Limit("sms-phone-day", subject, 86400, 10)]
    if ip:
        limits.append(Limit("sms-ip", ip, 3600, int(current_app.config.get("SMS_IP_HOURLY_LIMIT", 20))))
    return limits


def _code_key(purpose: str, subject: str) -> str:
    return f"wq:sms:code:{purpose}:{subject}"


def _digest(purpose: str, subject: str, code: str) -> str:
    key = current_app.config["SECRET_KEY"].encode()
    return hmac.new(key, f"{purpose}:{subject}:{code}".encode(), hashlib.sha256).hexdigest()


def issue_code(purpose: str, subject: str, phone: str, ip: str | None,
               data: dict[str, Any] | None = None) -> None:
    """Send a new code for (purpose, subject), replacing any earlier one; ``data`` comes back
    from verify_code. RateLimited (429) past the limits; SmsUnavailable (503) if sending fails."""
    hit(send_limits(phone, ip), "验证码发送过于频繁，请稍后再试")
    code = f"{secrets.randbelow(10**6):06d}"
    key = _code_key(purpose, subject)
    record = {"h": _digest(purpose, subject, code), "issued_at": epoch_now(), "attempts": 0,
              "data": json.dumps(data or {})}
    pipe = redis_ext.client.pipeline()
    pipe.delete(key)
    pipe.hset(key, mapping=record)
    pipe.expire(key, CODE_TTL + 60)
    pipe.execute()
    sign = current_app.config.get("SMS_SIGN", "网签")
    text = f"【{sign}】您的验证码为{code}，10分钟内有效。如非本人操作，请忽略本短信。"
    try:
        backend().send(phone, text, code=code, purpose=purpose, subject=subject)
    except DomainError:
        redis_ext.client.delete(key)
        raise


def verify_code(purpose: str, subject: str, code: str) -> dict[str, Any]:
    """The ``data`` of a correct code, which is then used up; InvalidInput otherwise."""
    key = _code_key(purpose, subject)
    pipe = redis_ext.client.pipeline()  # MULTI: the attempt is counted with the read
    pipe.hincrby(key, "attempts", 1)
    pipe.hgetall(key)
    attempts, record = pipe.execute()
    record = {k.decode(): v.decode() for k, v in record.items()}
    if "h" not in record:
        redis_ext.client.delete(key)  # HINCRBY created a bare hash: remove it
        raise InvalidInput("SMS_CODE_EXPIRED", "验证码已失效，请重新获取")
    if epoch_now() - int(record["issued_at"]) > CODE_TTL:
        redis_ext.client.delete(key)
        raise InvalidInput("SMS_CODE_EXPIRED", "验证码已过期，请重新获取")
    if attempts > MAX_ATTEMPTS:
        raise InvalidInput("SMS_CODE_LOCKED", "验证码错误次数过多，请重新获取")
    if not hmac.compare_digest(record["h"], _digest(purpose, subject, code.strip())):
        left = MAX_ATTEMPTS - attempts
        if left <= 0:
            raise InvalidInput("SMS_CODE_LOCKED", "验证码错误次数过多，请重新获取")
        raise InvalidInput("SMS_CODE_WRONG", f"验证码错误，还可尝试{left}次", {"sms_code": "验证码错误"})
    if not redis_ext.client.delete(key):  # a concurrent request used it first
        raise InvalidInput("SMS_CODE_EXPIRED", "验证码已失效，请重新获取")
    return json.loads(record["data"])
