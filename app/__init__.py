"""网签 application factory: configuration, extensions, blueprints, error handlers, commands."""
from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Flask
from werkzeug.routing import IntegerConverter

from app import pii
from app.config import load_config
from app.extensions import db, migrate, redis_ext


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
    engine_options: dict[str, Any] = {"pool_pre_ping": True}
    if not app.config["DATABASE_URL"].startswith("sqlite"):
        engine_options.update(pool_recycle=app.config["DB_POOL_RECYCLE"],
                              pool_size=app.config["DB_POOL_SIZE"], max_overflow=20)
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = engine_options
    if app.config.get("DATABASE_REPLICA_URL"):  # lists and exports may read a replica
        app.config["SQLALCHEMY_BINDS"] = {"replica": {"url": app.config["DATABASE_REPLICA_URL"],
                                                      **engine_options}}
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)


def register_extensions(app: Flask) -> None:
    from app import logging_setup

    from app import models  # noqa: F401  (registers every table for Alembic)

    pii.configure(app.config["PII_KEYS"], app.config["PII_HASH_KEY"])
    db.init_app(app)
    migrate.init_app(app, db, directory=str(Path(app.root_path).parent / "migrations"),
                     render_as_batch=True)
    redis_ext.init_app(app)
    logging_setup.init_app(app)


def register_blueprints(app: Flask) -> None:
    import wechat
    from app import api
    from app import web
    from app.web import documents as web_documents
    from app.web import login as web_login
    from app.web import security
    from app.web import verify as web_verify
    from app.web.health import bp as health_bp

    security.init_app(app)
    app.register_blueprint(health_bp)
    web_login.init_app(app)  # CSRF before wechat.init_app, which exempts its blueprints from it
    web.init_app(app)  # the desktop pages
    api.init_app(app)
    app.register_blueprint(web_verify.bp)  # public: the QR code of every e-agreement opens it
    app.register_blueprint(web_documents.bp)
    wechat.init_app(app)


def register_commands(app: Flask) -> None:
    from app.cli import register

    register(app)
