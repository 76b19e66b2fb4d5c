"""Configuration: built-in defaults < config.toml (or $WQ_CONFIG) < WQ_* environment variables.

Keys are Flask config keys. A nested table is overridden with a double underscore:
``WQ_WECHAT__OFFICIAL__APPID=wx123`` sets ``WECHAT["OFFICIAL"]["APPID"]``. Environment values
are read as TOML literals when they parse (``true``, ``5``, ``["a"]``), otherwise as strings.
"""
from __future__ import annotations

import copy
import os
import secrets
import tomllib
from pathlib import Path
from typing import Any

from cryptography.fernet import Fernet

ENV_PREFIX = "WQ_"

DEFAULTS: dict[str, Any] = {
    # "development" runs on embedded defaults; "production" refuses to start without real secrets.
    "ENV": "development",
    "SECRET_KEY": "",
    "DATABASE_URL": "",  # empty: SQLite file under instance/
    "REDIS_URL": "memory://",  # memory:// is an in-process fakeredis
    # Failing fast (README "Production deployment"): a Redis command waits at most
    # REDIS_SOCKET_TIMEOUT s for its answer; a database connection DB_CONNECT_TIMEOUT s to open,
    # DB_READ_TIMEOUT / DB_WRITE_TIMEOUT s per read or write (0: none, for long maintenance jobs);
    # once a service failed, the process answers 503 at once for BREAKER_SECONDS before a probe.
    "REDIS_SOCKET_TIMEOUT": 0.5,
    "REDIS_CONNECT_TIMEOUT": 0.5,
    "DB_CONNECT_TIMEOUT": 2,
    "DB_READ_TIMEOUT": 3,
    "DB_PING_TIMEOUT": 1.0,  # the pooled connection's check before each request
    "DB_WRITE_TIMEOUT": 3,
    "DB_LOCK_WAIT_TIMEOUT": 2,  # innodb_lock_wait_timeout, kept below DB_READ_TIMEOUT
    "DB_POOL_TIMEOUT": 3,  # s to wait for a free pooled connection
    "BREAKER_SECONDS": 2.0,
    "RETRY_AFTER": 5,  # the Retry-After of a 503 when a service is down
    "IDEMPOTENCY_LEASE": 30,  # s a running Idempotency-Key belongs to its attempt (then a retry's)
    "IDEMPOTENCY_TTL": 24 * 3600,  # s an answer is kept for replay
    "JOBS_INLINE": None,  # None: inline when REDIS_URL is memory://
    "RQ_QUEUES": ["default", "notifications", "low"],
    # PII: Fernet keys, newest first (older ones still decrypt); a separate key for the lookup hash.
    "PII_KEYS": [],
    "PII_HASH_KEY": "",
    # Keys the flow log's hash chain (HMAC): a database writer without it cannot re-chain entries.
    "FLOW_LOG_KEY": "",
    # Keys the code (HMAC) in every e-agreement's QR: a forged or altered agreement fails it.
    "AGREEMENT_MAC_KEY": "",
    # Where the public verification page /verify/<number> is served (printed in every QR code).
    # Empty in development: http://127.0.0.1:5000. Production: the public https:// address.
    "PUBLIC_BASE_URL": "",
    # A TrueType CJK font for the e-agreement PDF (empty: the first installed of
    # app.services.agreement_pdf.FONT_CANDIDATES, from Debian's fonts-wqy-microhei).
    "DOCUMENT_FONT": "",
    "TIMEZONE": "Asia/Shanghai",
    "LOG_LEVEL": "INFO",
    "MAX_CONTENT_LENGTH": 16 * 1024 * 1024,
    "TESTING": False,
    "DB_POOL_RECYCLE": 280,
    "DB_POOL_SIZE": 10,
    "PROXY_COUNT": 0,  # reverse proxies whose X-Forwarded-* headers are trusted
    "API_DOCS": False,  # Swagger UI / ReDoc pages at /docs/swagger, /docs/redoc (load from a CDN)
    # Web sessions: None follows ENV (secure cookies in production); the desktop QR log-in's
    # scanner ("local": the mini-program or the emulator's phone page).
    "SESSION_SECURE": None,
    "QR_LOGIN_VIA": "local",
    # SMS codes: "console" logs them (development); production posts to an "http" provider.
    "SMS_BACKEND": "console",
    "SMS_HTTP_URL": "",
    "SMS_HTTP_API_KEY": "",
    "SMS_HTTP_TIMEOUT": 3.0,
    "SMS_SIGN": "网签",
    "SMS_IP_HOURLY_LIMIT": 20,
    # Long work (exports, imports, batch reviews): where result files are kept ("": under the
    # instance folder) and for how many days after the job finished (they hold personal data).
    "WORK_RESULT_DIR": "",
    "WORK_RESULT_DAYS": 7,
    # Pushes: the outbox relay and the delivery workers (app.services.delivery).
    "DELIVERY": {
        "ON_COMMIT": True,  # enqueue an event's pushes as soon as its transaction commits
        "RUN_LEASE": 300,  # s the relay leaves an enqueued row alone (queue wait + run)
        "SEND_LEASE": 60,  # s a claimed delivery belongs to the worker sending it
        "MAX_ATTEMPTS": 8,  # sends of one delivery before a retryable failure becomes final
        "BACKOFF_BASE": 30,  # s before the 2nd attempt; doubled each time …
        "BACKOFF_MAX": 3600,  # … up to this
        "RELAY_BATCH": 500,  # outbox rows enqueued per relay run
        "JOB_BATCH": 50,  # outbox rows one job claims and sends (one claim, one record commit)
        "SEND_CONCURRENCY": 4,  # WeChat calls of a batch in flight at once (threads of the worker)
        "CARRY_OVER_AT": "00:05",  # Asia/Shanghai time at which quota-held reminders go out next day
    },
    # E-agreement documents: the render jobs and their relay (app.services.documents).
    "DOCUMENTS": {
        "ON_COMMIT": True,  # enqueue the render job as soon as the state change commits
        "LEASE": 120,  # s the relay leaves an owed row to the on-commit job (or a running one)
        "BACKOFF_BASE": 30,  # s before a failed rendering is tried again; doubled each time …
        "BACKOFF_MAX": 3600,  # … up to this
        "RELAY_BATCH": 200,
        "PNG_WIDTH": 750,  # px: the phone preview, the mini-program's design width
    },
}

SECRET_KEYS = ("SECRET_KEY", "PII_HASH_KEY", "FLOW_LOG_KEY", "AGREEMENT_MAC_KEY")
DEV_BASE_URL = "http://127.0.0.1:5000"
MIN_SECRET_BYTES = 32


def _parse_env_value(raw: str) -> Any:
    try:
        return tomllib.loads(f"v = {raw}")["v"]
    except tomllib.TOMLDecodeError:
        return raw


def _set_path(config: dict[str, Any], path: list[str], value: Any) -> None:
    node = config
    for part in path[:-1]:
        node = node.setdefault(part, {})
    node[path[-1]] = value


def _merge(config: dict[str, Any], extra: dict[str, Any]) -> None:
    """A table ([DELIVERY] in config.toml, an override) changes only the keys it names."""
    for key, value in extra.items():
        if isinstance(value, dict) and isinstance(config.get(key), dict):
            _merge(config[key], value)
        else:
            config[key] = value


def load_config(instance_path: Path, overrides: dict[str, Any] | None = None,
                environ: os._Environ | dict | None = None) -> dict[str, Any]:
    """Build the configuration dict for one app instance."""
    environ = os.environ if environ is None else environ
    config = copy.deepcopy(DEFAULTS)

    config_file = environ.get("WQ_CONFIG") or "config.toml"
    path = Path(config_file)
    if path.is_file():
        with path.open("rb") as fh:
            _merge(config, tomllib.load(fh))
    elif "WQ_CONFIG" in environ:
        raise RuntimeError(f"WQ_CONFIG points to a missing file: {config_file}")

    for name, raw in environ.items():
        if name.startswith(ENV_PREFIX) and name != "WQ_CONFIG" and not name.startswith("WQ_TEST_"):
            _set_path(config, name[len(ENV_PREFIX):].split("__"), _parse_env_value(raw))

    _merge(config, overrides or {})
    _fill_embedded_defaults(config, instance_path)
    return config


def _fill_embedded_defaults(config: dict[str, Any], instance_path: Path) -> None:
    """Development gets working secrets and a SQLite file; production must configure its own."""
    if not config["DATABASE_URL"]:
        config["DATABASE_URL"] = f"sqlite:///{instance_path / 'wangqian.db'}"
    if config["JOBS_INLINE"] is None:
        config["JOBS_INLINE"] = config["REDIS_URL"].startswith("memory://")

    if config["ENV"] == "production" and config["TESTING"]:
        raise RuntimeError("TESTING must never be enabled in production (it mounts test-only routes)")
    missing = [k for k in SECRET_KEYS if not config[k]] + ([] if config["PII_KEYS"] else ["PII_KEYS"])
    if config["ENV"] == "production" and not config["PUBLIC_BASE_URL"]:
        missing.append("PUBLIC_BASE_URL")
    if missing and config["ENV"] == "production":
        raise RuntimeError("production configuration lacks: " + ", ".join(missing))
    if config["ENV"] == "production":
        weak = weak_production_settings(config)
        if weak:
            raise RuntimeError("production refuses weak settings:\n- " + "\n- ".join(weak))
    if missing:
        _load_or_create_dev_secrets(config, instance_path)
    if not config["PUBLIC_BASE_URL"]:
        config["PUBLIC_BASE_URL"] = DEV_BASE_URL


def weak_production_settings(config: dict[str, Any]) -> list[str]:
    """What in a production configuration is present but not good enough (empty list: none)."""
    weak = [f"{key} must be at least {MIN_SECRET_BYTES} bytes (e.g. python -c \"import secrets; "
            f"print(secrets.token_urlsafe(32))\")"
            for key in SECRET_KEYS if len(str(config[key]).encode()) < MIN_SECRET_BYTES]
    if config.get("SESSION_SECURE") is False:
        weak.append("SESSION_SECURE = false: session cookies would travel without TLS")
    if str(config["REDIS_URL"]).startswith("memory://"):
        weak.append("REDIS_URL = memory:// is one process's fakeredis: sessions, tokens and rate "
                    "limits would not be shared; use redis://")
    if str(config["DATABASE_URL"]).startswith("sqlite"):
        weak.append("DATABASE_URL is SQLite: production uses MySQL/MariaDB (mysql+pymysql://…)")
    if not str(config.get("PUBLIC_BASE_URL", "")).startswith("https://"):
        weak.append("PUBLIC_BASE_URL must be the public https:// address: every e-agreement's QR "
                    "code opens its verification page there")
    return weak


def _load_or_create_dev_secrets(config: dict[str, Any], instance_path: Path) -> None:
    # Kept in instance/ so data encrypted by one `make run` decrypts in the next; a key added
    # to the platform later is generated into the existing file.
    secrets_file = instance_path / "dev-secrets.toml"
    stored: dict[str, Any] = {}
    if secrets_file.is_file():
        with secrets_file.open("rb") as fh:
            stored = tomllib.load(fh)
    fresh = {key: secrets.token_urlsafe(32) for key in SECRET_KEYS if key not in stored}
    if "PII_KEYS" not in stored:
        fresh["PII_KEYS"] = [Fernet.generate_key().decode()]
    if fresh:
        stored.update(fresh)
        instance_path.mkdir(parents=True, exist_ok=True)
        secrets_file.write_text(
            "# Generated for development only; production sets these in config.toml.\n"
            + "".join(f'{k} = {_toml_value(v)}\n' for k, v in stored.items()),
            encoding="utf-8",
        )
        secrets_file.chmod(0o600)
    for key, value in stored.items():
        if not config.get(key):
            config[key] = value


def _toml_value(value: Any) -> str:
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    return f'"{value}"'
