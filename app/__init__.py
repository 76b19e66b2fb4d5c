"""网签 application factory: configuration, extensions, blueprints, error handlers, commands."""
from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from flask import Flask
from werkzeug.routing import IntegerConverter

from app import pii
from app.config import load_config
from app.extensions import breaker_for, database_breaker_name, db, guard_database, migrate, redis_ext


class BoundedIntConverter(IntegerConverter):
    """<int:…> ids beyond BIGINT are no id of ours: 404, not an overflow in the database driver."""

    def __init__(self, url_map, fixed_digits=0, min=None, max=2**63 - 1, signed=False):
        super().__init__(url_map, fixed_digits=fixed_digits, min=min, max=max, signed=signed)


def create_app(overrides: dict[str, Any] | None = None) -> Flask:
    app = Flask(__name__, instance_path=str(Path(__file__).resolve().parent.parent / "instance"))
    app.url_map.converters["int"] = BoundedIntConverter
    register_config(app, overrides)
    register_extensions(app)
    register_blueprints(app)
    register_commands(app)
    if app.config["PROXY_COUNT"]:
        # Behind nginx: per-IP limits and audits must see the client, not the proxy.
        from werkzeug.middleware.proxy_fix import ProxyFix

        hops = int(app.config["PROXY_COUNT"])
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops)
    return app


def register_config(app: Flask, overrides: dict[str, Any] | None) -> None:
    app.config.update(load_config(Path(app.instance_path), overrides))
    app.config["SQLALCHEMY_DATABASE_URI"] = app.config["DATABASE_URL"]
    options = app.config["SQLALCHEMY_ENGINE_OPTIONS"] = engine_options(app.config)
    if app.config.get("DATABASE_REPLICA_URL"):  # lists and exports may read a replica
        app.config["SQLALCHEMY_BINDS"] = {"replica": {"url": app.config["DATABASE_REPLICA_URL"],
                                                      **options}}
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)


def engine_options(config: dict[str, Any]) -> dict[str, Any]:
    """SQLAlchemy engine options. MySQL/MariaDB connections get timeouts (a frozen server costs a
    request seconds, not gunicorn's 30 s), a lock wait shorter than the read timeout (so waiting
    for a row lock is a retried 1205, never a dropped connection), and a bounded wait for a pooled
    connection; their pre-ping is guard_database's (app/extensions.py), with the breaker."""
    if config["DATABASE_URL"].startswith("sqlite"):
        return {"pool_pre_ping": True}
    read = float(config["DB_READ_TIMEOUT"])
    lock_wait = max(1, min(int(config["DB_LOCK_WAIT_TIMEOUT"]), math.ceil(read) - 1))
    # The greeting and log-in are read with the connect timeout; guard_database then gives the
    # connection its read timeout.
    connect_args: dict[str, Any] = {
        "connect_timeout": config["DB_CONNECT_TIMEOUT"], "read_timeout": config["DB_CONNECT_TIMEOUT"],
        "write_timeout": config["DB_WRITE_TIMEOUT"],
        "init_command": f"SET SESSION innodb_lock_wait_timeout = {lock_wait}"}
    if not read:  # 0: no client-side timeouts (a maintenance job that runs long statements)
        connect_args.pop("read_timeout")
        connect_args.pop("write_timeout")
        connect_args.pop("init_command")
    return {"pool_pre_ping": False, "pool_recycle": config["DB_POOL_RECYCLE"],
            "pool_size": config["DB_POOL_SIZE"], "max_overflow": 20,
            "pool_timeout": config["DB_POOL_TIMEOUT"], "connect_args": connect_args}


def register_extensions(app: Flask) -> None:
    from app import logging_setup

    from app import models  # noqa: F401  (registers every table for Alembic)

    pii.configure(app.config["PII_KEYS"], app.config["PII_HASH_KEY"])
    db.init_app(app)
    with app.app_context():  # the primary and the replica, each with its own breaker
        for engine in db.engines.values():
            if engine.dialect.name != "sqlite":
                guard_database(engine, breaker_for(database_breaker_name(str(engine.url)),
                                                   app.config["BREAKER_SECONDS"]),
                               float(app.config["DB_PING_TIMEOUT"]) or None,
                               float(app.config["DB_READ_TIMEOUT"]) or None)
    migrate.init_app(app, db, directory=str(Path(app.root_path).parent / "migrations"),
                     render_as_batch=True)
    redis_ext.init_app(app)
    logging_setup.init_app(app)


def register_blueprints(app: Flask) -> None:
    import wechat
    from app import api
    from app import web
    from app.web import documents as web_documents
    from app.web import errors as web_errors
    from app.web import login as web_login
    from app.web import qr_phone as web_qr_phone
    from app.web import security
    from app.web import verify as web_verify
    from app.web.health import bp as health_bp

    security.init_app(app)
    web_errors.init_app(app)
    app.register_blueprint(health_bp)
    web_login.init_app(app)  # CSRF before wechat.init_app, which exempts its blueprints from it
    web_qr_phone.init_app(app)
    web.init_app(app)  # the desktop pages
    api.init_app(app)
    app.register_blueprint(web_verify.bp)  # public: the QR code of every e-agreement opens it
    app.register_blueprint(web_documents.bp)
    wechat.init_app(app, redis=lambda: redis_ext.client)


def register_commands(app: Flask) -> None:
    from app.cli import register

    register(app)
