"""The desktop pages' common ground: the parent blueprint, the role guard, rendering a page or
one named block of it for htmx, and the one translation of domain errors.

Every desktop blueprint is registered under ``web`` (``app/web/__init__.py``), so the error
handlers and headers here apply to it. A view is thin: ``@role_required(...)``, parse, call one
service with ``current_actor()``, ``render(template, fragment=..., **context)``.
"""
from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from typing import Any

from flask import Blueprint, Response, flash, g, make_response, redirect, render_template, request, url_for
from jinja2_fragments.flask import render_block
from redis.exceptions import RedisError

from app.domain.actors import Actor
from app.domain.errors import DomainError, Forbidden
from app.http import STATUS_OF_KIND
from app.models import Account
from app.web.login import ROLE_LABELS, safe_next, web_account  # noqa: F401  (safe_next re-exported)

log = logging.getLogger("wq.web")

web = Blueprint("web", __name__, template_folder="templates", static_folder="static",
                static_url_path="/assets")

REVIEWERS = ("college_reviewer", "school_reviewer")
STAFF = (*REVIEWERS, "platform_admin")
WRITE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}

# -- who is acting --------------------------------------------------------------------------------

def current_account() -> Account:
    """The logged-in account of this request (inside a ``role_required`` view)."""
    return g.web_account


def current_actor() -> Actor:
    return Actor.from_account(g.web_account)


def role_required(*roles: str) -> Callable:
    """Logged in (else to /login, coming back here after) with one of ``roles`` (else 403)."""

    def decorator(view: Callable) -> Callable:
        @functools.wraps(view)
        def wrapper(*args: Any, **kwargs: Any):
            account = web_account()
            if account is None:
                target = url_for("web_login.login_page", next=_here())
                if is_htmx():  # a partial request cannot show a log-in page: send the browser
                    response = make_response("", 401)
                    response.headers["HX-Redirect"] = target
                    return response
                return redirect(target)
            g.web_account = account
            if account.role.value not in roles:
                raise Forbidden("ROLE_NOT_ALLOWED", "当前账号无权访问该页面")
            return view(*args, **kwargs)

        wrapper.required_roles = roles  # read by the authorisation-matrix test
        return wrapper

    return decorator


def _here() -> str:
    return request.full_path.rstrip("?") if request.method == "GET" else request.path


# -- rendering --------------------------------------------------------------------------------------

def is_htmx() -> bool:
    """A partial request from htmx (not a boosted page load, not a history restore)."""
    return (request.headers.get("HX-Request") == "true"
            and request.headers.get("HX-Boosted") != "true"
            and request.headers.get("HX-History-Restore-Request") != "true")


def render(template: str, fragment: str | None = None, status: int = 200, **context: Any) -> Response:
    """The whole page, or for an htmx request only the named block ``fragment`` of the same
    template (STYLE.md: the partial is a block of the page, never a second template)."""
    if fragment and is_htmx():
        body = render_block(template, fragment, **context)
    else:
        body = render_template(template, **context)
    response = make_response(body, status)
    response.vary.add("HX-Request")
    return response


def back_to(url: str | None = None) -> Response:
    """After a form: to the page it came from (the same URL by default; forms post to it)."""
    return redirect(url or request.url, code=303)


# -- errors -----------------------------------------------------------------------------------------

@web.errorhandler(DomainError)
def _domain_error(exc: DomainError):
    """One translation for every desktop page: not yours → 404 page; wrong role → 403 page;
    anything else → the message flashed on the page the request came from."""
    status = STATUS_OF_KIND.get(exc.kind, 400)
    if exc.kind == "not_found":
        return render_template("errors/404.html"), 404
    if exc.code == "ROLE_NOT_ALLOWED":
        return render_template("errors/403.html", message=exc.message), 403
    message = exc.message
    if exc.fields and exc.code == "VALIDATION_FAILED":
        message += "：" + "；".join(exc.fields.values())
    if is_htmx():
        # htmx swaps nothing on a 4xx: answer 200 and put the message where messages go.
        response = make_response(render_template("_flash.html", messages=[("danger", message)]))
        response.headers["HX-Retarget"] = "#flash-area"
        response.headers["HX-Reswap"] = "innerHTML"
        return response
    if request.method in WRITE_METHODS:
        flash(message, "danger")
        return back_to()
    return render_template("errors/message.html", title="无法完成操作", message=message), status


@web.errorhandler(RedisError)
def _redis_down(exc: RedisError):
    log.warning("redis unavailable on a page: %s", exc)
    return render_template("errors/message.html", title="服务暂时不可用",
                           message="服务暂时不可用，请稍后刷新重试。"), 503


@web.after_request
def _no_store(response: Response) -> Response:
    """Reviewer pages show personal data: browsers and proxies keep no copy (headers such as
    the CSP come from app/web/security.py for every page)."""
    if response.mimetype == "text/html":
        response.headers.setdefault("Cache-Control", "no-store")
    return response


# -- template context ---------------------------------------------------------------------------------

@web.app_context_processor
def _layout_context() -> dict[str, Any]:
    from app.web.nav import home_for, nav_for

    account = g.get("web_account")
    return {"nav_items": nav_for(account) if account is not None else [],
            "layout_home": home_for(account) if account is not None else None,
            "layout_account": account,
            "layout_role_label": ROLE_LABELS.get(account.role.value, "") if account is not None else ""}


@web.app_template_test("endpoint")
def _is_endpoint(name: str) -> bool:
    """``{% if 'web.x.y' is endpoint %}``: link to a page only once it exists."""
    from flask import current_app

    return name in current_app.view_functions


@web.app_template_filter("china_time")
def _china_time(value, fmt: str = "%Y-%m-%d %H:%M") -> str:
    """A stored naive-UTC datetime as Beijing time; empty for None."""
    from app.clock import to_china

    return "" if value is None else to_china(value).strftime(fmt)


@web.app_template_global("action_label")
def _action_label(action: str) -> str:
    """What a flow-log action says, in Chinese."""
    from app.domain.flow_labels import ACTION_LABELS

    return ACTION_LABELS.get(action, action)
