"""One translation of failures into the API's error envelope (API.md "Errors")."""
from __future__ import annotations

import logging

from flask import Blueprint, current_app, jsonify
from redis.exceptions import RedisError
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.exceptions import HTTPException

from app.domain.errors import DomainError
from app.extensions import ServiceUnavailable, unavailable

log = logging.getLogger("wq.api")

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


def register(bp: Blueprint) -> None:
    @bp.errorhandler(DomainError)
    def _domain(exc: DomainError):
        headers = {"Retry-After": str(getattr(exc, "retry_after", 60))} if exc.kind == "rate_limited" else None
        return error_response(STATUS_OF_KIND[exc.kind], exc.code, exc.message, exc.fields, headers)

    @bp.errorhandler(RedisError)
    @bp.errorhandler(SQLAlchemyError)
    @bp.errorhandler(ServiceUnavailable)
    def _backing_service(exc: Exception):
        if unavailable(exc) is None:
            return _unexpected(exc)
        return unavailable_response(exc)

    @bp.errorhandler(HTTPException)
    def _http(exc: HTTPException):
        code, message = HTTP_CODES.get(exc.code, ("HTTP_ERROR", exc.description or "请求失败"))
        return error_response(exc.code or 500, code, message)

    @bp.errorhandler(Exception)
    def _unexpected(exc: Exception):
        log.exception("unhandled error")
        return error_response(500, "INTERNAL_ERROR", "系统繁忙，请稍后再试")
