"""WeChat's side: clients, mini-program log-in, messages, callback parsing and its hooks,
the emulator. What the platform stores or shows lives in app (the QR pages: app.web.qr_phone).

The emulator is mounted only by the development entry point (devapp.py), never by the app
factory, so production code does not import it (an import-linter contract).
"""
from __future__ import annotations

from collections.abc import Callable

from flask import Flask
from redis import Redis


def init_app(app: Flask, redis: Callable[[], Redis]) -> None:
    """Attach the WeChat configuration and the callback to the app; ``redis`` gives the client
    that keeps the shared access tokens (the app's, so its circuit breaker applies)."""
    from wechat.callback import bp as callback_bp
    from wechat.settings import apply_defaults

    apply_defaults(app)
    app.extensions["wq_wechat_redis"] = redis
    app.register_blueprint(callback_bp)
    csrf_exempt(app, callback_bp)


def csrf_exempt(app: Flask, blueprint) -> None:
    """WeChat's servers and the emulator post no CSRF token."""
    csrf = app.extensions.get("csrf")
    if csrf is not None:
        csrf.exempt(blueprint)
