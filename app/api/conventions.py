"""Mobile conventions: request bodies, cursor pagination, ETag/304, Idempotency-Key, attachments
(API.md "Conventions")."""
from __future__ import annotations

import functools
import hashlib
import inspect
from collections.abc import Callable
from typing import Any

from flask import Response, g, request
from spectree import SpecTree
from werkzeug.exceptions import BadRequest

from app.domain.errors import DomainError, InvalidInput
from app.domain.text import text_problem
from app.services import idempotency
from app.services.unit import one_transaction

MAX_JSON_DEPTH = 16  # our deepest body (letter terms → archive) is 3
FORM_MIMETYPES = ("multipart/form-data", "application/x-www-form-urlencoded")


class UnsupportedMediaType(DomainError):
    kind = "unsupported"


# -- request bodies -----------------------------------------------------------------------------

class GuardedSpecTree(SpecTree):
    """SpecTree whose validated views first check the request body's type and shape.

    spectree hands a JSON view ``json=None`` when the body is a form (and the view then fails),
    and Flask's JSON parser lets a RecursionError through for a deeply nested document: both
    were 500s. The guard runs inside the view's own wrappers, so log-in and role checks still
    answer before anything about the body is said.
    """

    def validate(self, *args: Any, **kwargs: Any) -> Callable:
        def apply(func: Callable) -> Callable:
            params = inspect.signature(func).parameters
            body = ("json" if kwargs.get("json") is not None or "json" in params
                    else "form" if kwargs.get("form") is not None or "form" in params else None)
            if body and kwargs.get("resp") is not None:  # documented: a body of the wrong type
                from app.api.schemas_common import ErrorEnvelope

                kwargs["resp"].add_model(415, ErrorEnvelope, replace=False)
            validated = super(GuardedSpecTree, self).validate(*args, **kwargs)(func)

            @functools.wraps(validated)
            def guarded(*a: Any, **kw: Any):
                check_request(body)
                return validated(*a, **kw)

            guarded.request_body = body
            return guarded

        return apply


def check_request(body: str | None) -> None:
    """415 for a body of the wrong type; 400 for unparsable or absurdly nested JSON; 400 naming
    the field for text with control or bidi characters (app.domain.text), in the body or the
    query string."""
    _check_text({k: v[0] if len(v) == 1 else v for k, v in request.args.lists()}, "")
    has_body = request.method not in ("GET", "HEAD", "DELETE") and bool(request.get_data(cache=True))
    if body == "json" and has_body:
        if not request.is_json:
            raise UnsupportedMediaType("UNSUPPORTED_MEDIA_TYPE",
                                       "请以 JSON 格式提交（Content-Type: application/json）")
        try:
            data = request.get_json()
        except RecursionError:
            raise InvalidInput("BAD_JSON", "JSON 嵌套层级过深") from None
        except BadRequest:
            raise InvalidInput("BAD_JSON", "请求内容不是有效的 JSON") from None
        if _depth(data) > MAX_JSON_DEPTH:
            raise InvalidInput("BAD_JSON", "JSON 嵌套层级过深")
        _check_text(data, "")
    elif body == "form" and has_body and request.mimetype not in FORM_MIMETYPES:
        raise UnsupportedMediaType("UNSUPPORTED_MEDIA_TYPE", "请以表单（multipart/form-data）上传文件")
    elif body == "form" and has_body:
        _check_text({k: v[0] if len(v) == 1 else v for k, v in request.form.lists()}, "")


def _depth(value: Any) -> int:
    """Nesting depth of parsed JSON, without recursion."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, (dict, list)):
            deepest = max(deepest, depth)
            if depth > MAX_JSON_DEPTH:
                return depth
            stack.extend((child, depth + 1) for child in (node.values() if isinstance(node, dict) else node))
    return deepest


def _check_text(value: Any, path: str) -> None:
    """The text rule on every string (keys too) of a parsed body or query string."""
    problems: dict[str, str] = {}
    stack = [(value, path)]
    while stack:
        node, where = stack.pop()
        if isinstance(node, str):
            if problem := text_problem(node):
                problems[where or "body"] = problem
        elif isinstance(node, dict):
            for key, child in node.items():
                name = f"{where}.{key}" if where else str(key)
                if isinstance(key, str) and text_problem(key):
                    problems[where or "body"] = text_problem(key)
                stack.append((child, name))
        elif isinstance(node, list):
            stack.extend((child, f"{where}.{i}" if where else str(i)) for i, child in enumerate(node))
    if problems:
        raise InvalidInput("VALIDATION_FAILED", "提交的内容包含不允许的控制字符或文字方向控制符", problems)


def etag_response(response: Response) -> Response:
    """Weak ETag on successful JSON GETs; 304 when the client already has it."""
    if request.method != "GET" or response.status_code != 200 or not response.is_json:
        return response
    response.add_etag(weak=True)
    response.headers["Cache-Control"] = "private, no-cache"
    return response.make_conditional(request)


class Unprocessable(DomainError):
    kind = "unprocessable"


class _NotRecorded(Exception):
    """The view answered 5xx: nothing of it may be committed or replayed."""

    def __init__(self, response: Response) -> None:
        super().__init__(response.status)
        self.response = response


def idempotent(view: Callable) -> Callable:
    """With an Idempotency-Key header, a repeat returns the first result; the same key with
    another body is 422, a repeat while the first is still running is 409.

    The record is in the database (app/services/idempotency.py) and the answer is stored in the
    very transaction that commits the view's write: after that commit nothing can turn the
    success into a failure, and a retry of a request whose answer was lost replays it."""

    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any):
        key = request.headers.get("Idempotency-Key")
        if not key:
            return view(*args, **kwargs)
        if not 8 <= len(key) <= 100:
            raise InvalidInput("BAD_IDEMPOTENCY_KEY", "Idempotency-Key 应为8至100个字符")
        from app.api.auth import current_session

        caller = str(current_session().account_id or f"s{g.get('token', '')[:12]}")
        # The method, path and query string are part of the request: the same key on another is 422.
        body_hash = hashlib.sha256(request.method.encode() + request.full_path.encode() + b"\n"
                                   + request.get_data()).hexdigest()
        claimed = idempotency.claim(caller, key, body_hash)
        if isinstance(claimed, idempotency.Stored):
            return _replay(claimed)

        def finish(response: Response) -> None:
            if response.status_code >= 500:
                raise _NotRecorded(response)
            idempotency.complete(claimed, response.status_code, response.get_data(as_text=True))

        try:
            return one_transaction(lambda: _as_response(view(*args, **kwargs)), finish)
        except _NotRecorded as failed:
            idempotency.release(claimed)
            return failed.response
        except idempotency.ClaimLost:  # this attempt outlived its lease; a retry took over
            stored = idempotency.stored_answer(caller, key)
            if stored is None:
                raise idempotency.InProgress() from None
            return _replay(stored)
        except BaseException:
            idempotency.release(claimed)  # a failed attempt may be retried with the same key
            raise

    return wrapper


def _replay(stored) -> Response:
    replay = Response(stored.body, status=stored.status, mimetype="application/json")
    replay.headers["Idempotent-Replayed"] = "true"
    return replay


def _as_response(result: Any) -> Response:
    from flask import make_response

    return make_response(result)
