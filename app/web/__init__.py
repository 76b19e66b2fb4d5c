"""Desktop pages (reviewers, school and platform admins): blueprints under the ``web`` parent."""
from __future__ import annotations

from flask import Blueprint, Flask

_children_registered = False


def children() -> list[Blueprint]:
    """Each desktop feature's blueprint; add yours here (registered under ``web``)."""
    from app.web import review, review_employers, review_paper, work
    from app.web import account, platform_admin, school_admin, school_students, statistics  # noqa: F401

    # school_students adds its routes to school_admin.bp
    return [work.bp, review.bp, review_paper.bp, review_employers.bp, school_admin.bp, statistics.bp,
            platform_admin.bp, account.bp]


def init_app(app: Flask) -> None:
    from app.web import home  # noqa: F401  (the landing routes live on the parent)
    from app.web.base import web

    global _children_registered
    if not _children_registered:  # blueprints are module-level: set up once per process
        for child in children():
            web.register_blueprint(child)
        _children_registered = True
    app.register_blueprint(web)
