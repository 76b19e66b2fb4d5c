"""Extension points the callback calls: features register here instead of being imported by it.

- ``on_scan(handler)``: a parametric QR code with scene ``scene`` was scanned by ``openid``
  (SCAN, or subscribe through the code). Called inline in the callback request, which must
  answer WeChat within 5 s: handlers do quick Redis/DB work and enqueue anything heavier.
- ``on_follow(handler)``: ``(appid, openid, follows, at)`` for a subscribe or unsubscribe
  (``at``: the event's naive-UTC time). Called inline too: the app's handler stores the follow
  state and enqueues the slow part.
"""
from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime

log = logging.getLogger(__name__)

ScanHandler = Callable[[str, str], None]
FollowHandler = Callable[[str, str, bool, datetime], None]

_scan_handlers: list[ScanHandler] = []
_follow_handlers: list[FollowHandler] = []


def on_scan(handler: ScanHandler) -> ScanHandler:
    """Register ``handler(scene, openid)``; usable as a decorator. Registering twice is a no-op."""
    if handler not in _scan_handlers:
        _scan_handlers.append(handler)
    return handler


def on_follow(handler: FollowHandler) -> FollowHandler:
    """Register ``handler(appid, openid, follows, at)``; usable as a decorator."""
    if handler not in _follow_handlers:
        _follow_handlers.append(handler)
    return handler


def remove(handler: Callable) -> None:
    """Unregister a handler (tests)."""
    for registry in (_scan_handlers, _follow_handlers):
        if handler in registry:
            registry.remove(handler)


def dispatch_scan(scene: str, openid: str) -> str | None:
    """Call every scan handler; the first text one returns becomes the passive reply (e.g. the
    QR log-in confirmation link), so the phone gets it in the chat at once."""
    if not _scan_handlers:
        log.info("QR scan of scene %r ignored: no scan handler registered", scene)
        return None
    reply = None
    for handler in list(_scan_handlers):
        result = handler(scene, openid)
        if reply is None and isinstance(result, str):
            reply = result
    return reply


def dispatch_follow(appid: str, openid: str, follows: bool, at: datetime) -> None:
    """Call every follow handler (inline, in the callback request)."""
    if not _follow_handlers:
        log.info("follow event of %s ignored: no follow handler registered", openid)
    for handler in list(_follow_handlers):
        handler(appid, openid, follows, at)
