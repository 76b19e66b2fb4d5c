"""One translation of failures into the API's error envelope (API.md "Errors")."""
from __future__ import annotations

import logging

from flask import Blueprint
from redis.exceptions import RedisError
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.exceptions import HTTPException

from app.domain.errors import DomainError
from app.extensions import ServiceUnavailable, unavailable
from app.http import HTTP_CODES, STATUS_OF_KIND, error_response, unavailable_response

log = logging.getLogger("wq.api")

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
