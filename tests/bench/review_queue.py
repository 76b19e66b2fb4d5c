"""The reviewer queue's first page under each filter, timed server-side on the bench data set
(500k invitations): a school reviewer of the largest school and a college reviewer of its
largest college, every status tab of both queues plus the cohort, name, overdue and date filters."""
from __future__ import annotations

import statistics
import time
from datetime import timedelta

from flask import Flask
from sqlalchemy import event, text

from app.clock import utcnow
from app.domain.actors import Actor
from app.extensions import db
from app.models import Account
from app.services import review_queue as rq

RUNS = 5  # per filter, after one warm-up run: the median is recorded


def _filters(cohort: int, name_start: str) -> list[tuple[str, str, rq.QueueFilter]]:
    today = utcnow().date()
    filters = [("signings", status, rq.QueueFilter(status=status)) for status in rq.SIGNING_STATUS_FILTERS]
    filters += [("terminations", status, rq.QueueFilter(status=status))
                for status in rq.TERMINATION_STATUS_FILTERS]
    filters += [
        ("signings", "all+cohort", rq.QueueFilter(status="all", cohort=cohort)),
        ("signings", "all+name", rq.QueueFilter(status="all", q=name_start)),
        ("signings", "waiting+overdue", rq.QueueFilter(status="waiting", overdue=True)),
        ("signings", "all+last 30 days", rq.QueueFilter(status="all", date_from=today - timedelta(days=30),
                                                          date_to=today)),
    ]
    return filters


def _timed_page(actor: Actor, kind: str, f: rq.QueueFilter) -> tuple[float, int, int]:
    """(milliseconds, statements, rows) of one first page."""
    statements = []

    def count(*_args):
        statements.append(1)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        started = time.perf_counter()
        page = (rq.signings_page if kind == "signings" else rq.terminations_page)(actor, f)
        elapsed = (time.perf_counter() - started) * 1000
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    return elapsed, len(statements), len(page.rows)


def measure_queue(app: Flask) -> dict:
    with app.app_context():
        school_id = db.session.execute(text(
            "SELECT school_id FROM invitations WHERE state IN ('college_review', 'school_review', 'effective')"
            " GROUP BY school_id ORDER BY COUNT(*) DESC LIMIT 1")).scalar()
        college_id = db.session.execute(text(
            "SELECT college_id FROM invitations WHERE school_id = :s AND state = 'college_review'"
            " GROUP BY college_id ORDER BY COUNT(*) DESC LIMIT 1"), {"s": school_id}).scalar()
        cohort, name = db.session.execute(text(
            "SELECT i.cohort, s.name FROM invitations i JOIN students s ON s.id = i.student_id"
            " WHERE i.school_id = :s AND i.state = 'effective' LIMIT 1"), {"s": school_id}).one()
        reviewers = {
            "school": db.session.scalar(db.select(Account).where(
                Account.role == "school_reviewer", Account.school_id == school_id).limit(1)),
            "college": db.session.scalar(db.select(Account).where(
                Account.role == "college_reviewer", Account.college_id == college_id).limit(1)),
        }
        total = db.session.execute(text("SELECT COUNT(*) FROM invitations")).scalar()
        pages = {}
        for who, account in reviewers.items():
            actor = Actor.from_account(account)
            for kind, label, f in _filters(cohort, name[:1]):
                _timed_page(actor, kind, f)  # warm-up: compiled statements, dictionaries
                runs = [_timed_page(actor, kind, f) for _ in range(RUNS)]
                pages[f"{who} {kind} {label}"] = {
                    "ms": round(statistics.median(r[0] for r in runs), 1),
                    "statements": max(r[1] for r in runs), "rows": runs[0][2]}
                db.session.rollback()
        db.session.remove()
    worst = max(pages, key=lambda k: pages[k]["ms"])
    return {"invitations": total, "school_id": school_id, "college_id": college_id,
            "worst_ms": pages[worst]["ms"], "worst": worst,
            "median_ms": round(statistics.median(p["ms"] for p in pages.values()), 1),
            "max_statements": max(p["statements"] for p in pages.values()), "pages": pages}
