"""Everything WeChat: clients, mini-program login, OAuth, QR login, messages, callback, emulator."""
from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Attach the WeChat configuration, callback and (when configured) the emulator to the app."""
    from wechat.settings import apply_defaults

    apply_defaults(app)
