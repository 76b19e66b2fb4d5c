"""Development entry point: the app plus the offline WeChat emulator when WECHAT.EMULATOR is on.

`make run`, the bench and the tests serve this; production serves wsgi.py, whose app never
imports the emulator (an import-linter contract). `flask --app devapp run` finds create_app.
"""
from __future__ import annotations

from typing import Any

from flask import Flask

from app import create_app as create_production_app


def create_app(config: dict[str, Any] | None = None) -> Flask:
    app = create_production_app(config)
    if app.config["WECHAT"]["EMULATOR"]:  # refused in production by wechat.settings
        from wechat.emulator import mount

        mount(app)
    return app
