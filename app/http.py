"""HTTP answers shared by the JSON API and the desktop pages: the one table of statuses per
domain error kind, the JSON error envelope (API.md "Errors"), the 503 of an unavailable backing
service, and download headers. app/api/errors.py and app/web/ translate failures with these."""
from __future__ import annotations

import logging
from urllib.parse import quote

from flask import current_app, jsonify

from app.extensions import unavailable

log = logging.getLogger("wq.http")

STATUS_OF_KIND = {"invalid": 400, "forbidden": 403, "not_found": 404, "conflict": 409,
                  "unavailable": 503, "unauthenticated": 401, "rate_limited": 429,
                  "unprocessable": 422, "too_large": 413, "unsupported": 415}

HTTP_CODES = {
    400: ("BAD_REQUEST", "请求格式不正确"),
    401: ("AUTH_REQUIRED", "请先登录"),
    403: ("FORBIDDEN", "无权访问"),
    404: ("NOT_FOUND", "请求的资源不存在"),
    405: ("METHOD_NOT_ALLOWED", "不支持该请求方法"),
    413: ("PAYLOAD_TOO_LARGE", "上传内容过大"),
    415: ("UNSUPPORTED_MEDIA_TYPE", "不支持的内容类型"),
    429: ("RATE_LIMITED", "操作过于频繁，请稍后再试"),
}


def error_response(status: int, code: str, message: str, fields: dict | None = None, headers=None):
    response = jsonify({"error": {"code": code, "message": message, "fields": fields or {}}})
    response.status_code = status
    for key, value in (headers or {}).items():
        response.headers[key] = value
    return response


UNAVAILABLE_MESSAGE = "服务暂时不可用，请稍后再试"


def retry_after() -> str:
    return str(int(current_app.config.get("RETRY_AFTER", 5)))


def unavailable_response(exc: BaseException):
    """503 SERVICE_UNAVAILABLE with Retry-After: Redis or the database cannot answer now."""
    log.warning("%s unavailable: %s: %s", unavailable(exc), type(exc).__name__, exc)
    return error_response(503, "SERVICE_UNAVAILABLE", UNAVAILABLE_MESSAGE,
                          headers={"Retry-After": retry_after()})


def attachment(filename: str) -> str:
    """A Content-Disposition for a download with a Chinese name: an ASCII fallback plus the
    RFC 5987 ``filename*`` (a raw non-ASCII header value cannot be sent by a WSGI server)."""
    fallback = filename.encode("ascii", "ignore").decode().strip() or "download"
    if "." in filename and "." not in fallback:
        fallback = "download" + filename[filename.rindex("."):]
    elif fallback.startswith("."):
        fallback = "download" + fallback
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename, safe='')}"
