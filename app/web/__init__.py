"""Desktop pages (reviewers, school and platform admins): blueprints under the ``web`` parent."""
from __future__ import annotations

from flask import Blueprint, Flask

_children_registered = False


def children() -> list[Blueprint]:
    """Each desktop feature's blueprint; add yours here (registered under ``web``)."""
    from app.web import (  # noqa: F401
        account,
        employer_agreements,
        employer_letters,
        employer_pages,
        employer_profile,
        employer_register,
        employer_students,
        platform_admin,
        review,
        review_destinations,
        review_employers,
        review_paper,
        school_admin,
        school_students,
        statistics,
        student_pages,
        work,
    )

    # school_students adds its routes to school_admin.bp; employer_* theirs to employer_pages.bp
    return [work.bp, review.bp, review_destinations.bp, review_paper.bp, review_employers.bp,
            school_admin.bp, statistics.bp, platform_admin.bp, account.bp, employer_pages.bp,
            student_pages.bp]


def init_app(app: Flask) -> None:
    from app.web import home  # noqa: F401  (the landing routes live on the parent)
    from app.web.base import web

    global _children_registered
    if not _children_registered:  # blueprints are module-level: set up once per process
        for child in children():
            web.register_blueprint(child)
        _children_registered = True
    app.register_blueprint(web)
