"""Reading plain HTML forms and query strings: what a field holds, or a clear 400 when it is not
what the page sends. Validation of meaning stays in the services."""
from __future__ import annotations

from flask import request

from app.domain.errors import InvalidInput


def _source(args: bool):
    return request.args if args else request.form


def text(name: str, args: bool = False, limit: int = 500) -> str:
    return (_source(args).get(name) or "").strip()[:limit]


def optional_int(name: str, args: bool = False, label: str = "") -> int | None:
    """An integer field that may be left empty; anything else is a 400 naming the field."""
    raw = (_source(args).get(name) or "").strip()
    if not raw:
        return None
    if not raw.lstrip("-").isdigit() or len(raw) > 12:
        raise InvalidInput("VALIDATION_FAILED", f"{label or name}应为整数", {name: "应为整数"})
    return int(raw)


def required_int(name: str, args: bool = False, label: str = "") -> int:
    value = optional_int(name, args, label)
    if value is None:
        raise InvalidInput("VALIDATION_FAILED", f"请填写{label or name}", {name: "必填"})
    return value


def checkbox(name: str) -> bool:
    return request.form.get(name) in ("1", "on", "true", "yes")


def choice(name: str, allowed: dict | tuple | list, args: bool = False,
           default: str | None = None) -> str | None:
    raw = (_source(args).get(name) or "").strip()
    if not raw:
        return default
    if raw not in allowed:
        raise InvalidInput("VALIDATION_FAILED", "选项不正确", {name: "选项不正确"})
    return raw


def page_number() -> int:
    value = optional_int("page", args=True) or 1
    return min(max(value, 1), 100_000)


def safe_back() -> str | None:
    """The same-site page a form says to return to (``back`` field), or None."""
    from app.web.login import safe_next

    return safe_next(request.form.get("back"))
