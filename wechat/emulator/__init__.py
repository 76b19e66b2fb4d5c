"""The offline WeChat emulator, mounted at /_emulator when WECHAT.EMULATOR is true (never in production).

It answers the subset of the WeChat API the platform uses with WeChat's request/response
shapes and errcodes; see core.py for the shared state and each module for its endpoints.
"""
from __future__ import annotations

from wechat.emulator import control, pages, qrcodes, sns, tokens  # noqa: F401  (routes)
from wechat.emulator import feeds, messages  # noqa: F401
from wechat.emulator.core import bp, calls  # noqa: F401
from wechat.emulator.messages import sent_messages  # noqa: F401

__all__ = ["bp", "calls", "mount", "sent_messages"]


def mount(app) -> None:
    """Serve the emulator under /_emulator (development and tests only; see devapp.py)."""
    from wechat import csrf_exempt

    app.register_blueprint(bp)
    csrf_exempt(app, bp)
