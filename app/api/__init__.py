"""The mini-program JSON API under /api/v1: thin adapters over the services.

Request and response bodies are pydantic models; spectree validates them and generates the
OpenAPI document served at /api/v1/openapi.json.
"""
from __future__ import annotations

from flask import Blueprint, Flask, jsonify, request

from app.api import errors
from app.api.conventions import GuardedSpecTree, etag_response
from app.api.schemas_common import ErrorEnvelope
from app.domain.errors import InvalidInput


def _validation_failed(req, resp, req_validation_error, instance, model_adapter) -> None:
    """Turn spectree's request validation error into our 400 envelope with per-field messages."""
    if req_validation_error is None:
        return
    fields = {}
    for err in model_adapter.validation_errors(req_validation_error):
        loc = ".".join(str(p) for p in err.get("loc", ()) if p not in ("body", "query")) or "body"
        fields[loc] = _chinese(err)
    raise InvalidInput("VALIDATION_FAILED", "提交的内容有误，请检查后重试", fields)


def _chinese(err: dict) -> str:
    kind = err.get("type", "")
    if kind == "missing":
        return "必填"
    if kind.startswith("string_too_long"):
        return "内容过长"
    if kind in ("int_parsing", "int_type", "int_from_float"):
        return "应为整数"
    if kind.startswith(("greater_than", "less_than")):
        return "数值超出允许范围"
    if kind == "string_pattern_mismatch":
        return "格式不正确"
    if kind == "extra_forbidden":
        return "不允许的字段"
    if kind == "value_error":
        return str(err.get("msg", "")).removeprefix("Value error, ")
    return "格式不正确"


spec = GuardedSpecTree("flask", title="网签 mini-program API", version="1.0.0", path="docs",
                before=_validation_failed, validation_error_status=400,
                validation_error_model=ErrorEnvelope, annotations=True,
                naming_strategy=lambda model: model.__name__)

bp = Blueprint("api", __name__, url_prefix="/api/v1")
errors.register(bp)
bp.after_request(etag_response)


@bp.before_request
def _forget_previous_caller() -> None:
    """g outlives a request when an app context is already pushed (tests, CLI): start clean."""
    from flask import g

    for key in ("token", "token_session", "account", "actor"):
        g.pop(key, None)


@bp.get("/openapi.json")
def openapi():
    """The contract of record, generated from the request/response models."""
    document = spec.spec
    hidden = ("/api/v1/_test/", "/api/v1/openapi.json")
    return jsonify({**document, "paths": {p: v for p, v in document["paths"].items()
                                          if p.startswith("/api/v1/") and not p.startswith(hidden)}})


def init_app(app: Flask) -> None:
    from app.api import (employer, employer_account, notifications, student,  # noqa: F401  (routes)
                         terminations)
    from app.api import auth_routes  # noqa: F401  (routes)
    from app.api import admin_deliveries  # noqa: F401  (routes)
    from app.api import review, review_actions  # noqa: F401  (routes)
    from app.api import (directory, employer_accounts, employer_checks,  # noqa: F401  (routes)
                         subscriptions)
    from app.api import review_statistics  # noqa: F401  (routes)
    from app.api import documents  # noqa: F401  (routes)
    from app.api import paper  # noqa: F401  (routes)

    app.register_blueprint(bp)
    if app.config["TESTING"]:  # never in production: config refuses TESTING there
        from app.api.testing import bp as testing_bp

        app.register_blueprint(testing_bp)
    if app.config.get("BENCH_ROUTES"):  # `make bench` only: the baseline of the performance bars
        from app.api.bench import bp as bench_bp

        app.register_blueprint(bench_bp)
    if app.config.get("API_DOCS"):  # Swagger UI / ReDoc under /docs/: off unless configured on
        spec.register(app)

    @app.errorhandler(404)
    def _not_found(exc):
        if request.path.startswith("/api/"):
            return errors.error_response(404, "NOT_FOUND", "请求的资源不存在")
        return exc

    @app.errorhandler(405)
    def _not_allowed(exc):
        if request.path.startswith("/api/"):
            return errors.error_response(405, "METHOD_NOT_ALLOWED", "不支持该请求方法")
        return exc
