"""The public verification page /verify/<number>?c=<code>: what the QR code on every page of an
e-agreement opens. No log-in; one answer, "无法验证", for every number and code that do not
match (app/services/verification.py); rate-limited per IP; never cached, never indexed."""
from __future__ import annotations

import logging

from flask import Blueprint, make_response, render_template, request
from redis.exceptions import RedisError

from app.domain.errors import RateLimited
from app.services import verification

log = logging.getLogger("wq.web")

bp = Blueprint("verify", __name__, template_folder="templates")


def _page(view, status: int, **context):
    response = make_response(render_template("verify/page.html", view=view, **context), status)
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Robots-Tag"] = "noindex, nofollow"
    return response


@bp.get("/verify/<ref>")
def verify_page(ref: str):
    """Masked parties, key terms and the agreement's current state, or 无法验证."""
    try:
        view = verification.verify(ref[:40], request.args.get("c", type=str), request.remote_addr or "-")
    except RateLimited as exc:
        response = _page(None, 429, limited=True)
        response.headers["Retry-After"] = str(exc.retry_after)
        return response
    except RedisError as exc:
        log.warning("verification page: redis unavailable: %s", exc)
        return _page(None, 503, unavailable=True)
    return _page(view, 200 if view else 404)
