"""Redis or the database unavailable, outside the JSON API: 503 with Retry-After everywhere.

The API blueprint answers with its JSON envelope (app/api/errors.py); every other route — the
desktop pages, /login, the WeChat callback — gets the same status and header here: an HTML page
for a browser, the JSON envelope for a script (htmx, the QR poll, anything asking for JSON).
"""
from __future__ import annotations

from flask import Flask, current_app, render_template, request
from redis.exceptions import RedisError
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.exceptions import InternalServerError

from app.extensions import ServiceUnavailable, unavailable
from app.http import retry_after, unavailable_response


def init_app(app: Flask) -> None:
    for kind in (RedisError, SQLAlchemyError, ServiceUnavailable):
        app.register_error_handler(kind, _backing_service)


def _wants_json() -> bool:
    if request.path.startswith(("/api/", "/login/qr")) or request.headers.get("HX-Request"):
        return True
    accept = request.accept_mimetypes
    best = accept.best_match(["text/html", "application/json"])
    return best == "application/json" and accept[best] > accept["text/html"]


def _backing_service(exc: Exception):
    if unavailable(exc) is None:  # a bug, not an outage: the usual logged 500
        current_app.log_exception((type(exc), exc, exc.__traceback__))
        return InternalServerError(original_exception=exc)
    if _wants_json():
        return unavailable_response(exc)
    current_app.logger.warning("%s unavailable: %s: %s", unavailable(exc), type(exc).__name__, exc)
    page = render_template("errors/unavailable.html", title="服务暂时不可用", retry_after=retry_after())
    return page, 503, {"Retry-After": retry_after(), "Cache-Control": "no-store"}
