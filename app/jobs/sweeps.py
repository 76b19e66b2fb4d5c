"""Scheduled sweeps: expire overdue invitations, remind students a day before a deadline, push
reviewers about review items past the school's service level, forget Idempotency-Key records
past their day."""
from __future__ import annotations

import logging

from app.jobs import in_app_context

log = logging.getLogger("wq.jobs")


@in_app_context
def expire_invitations() -> int:
    from app.services.invitations import expire_due

    count = expire_due()
    if count:
        log.info("expired %d invitations", count)
    return count


@in_app_context
def remind_expiring_invitations() -> int:
    from app.services.invitations import send_due_reminders

    count = send_due_reminders()
    if count:
        log.info("reminded %d students of deadlines within 24 h", count)
    return count


@in_app_context
def purge_idempotency_keys() -> int:
    from app.services.idempotency import purge_expired

    count = purge_expired()
    if count:
        log.info("forgot %d Idempotency-Key records past their day", count)
    return count


@in_app_context
def push_overdue_reviews() -> int:
    from app.services.service_levels import push_overdue_reviews as push

    count = push()
    if count:
        log.info("pushed %d service-level reminders to reviewers", count)
    return count


@in_app_context
def purge_work_results() -> int:
    from app.services.long_work import purge_results

    count = purge_results()
    if count:
        log.info("deleted %d long-work result files past their retention", count)
    return count


# (function, seconds between runs) — read by `flask scheduler`.
SCHEDULE = [(expire_invitations, 60), (remind_expiring_invitations, 300), (push_overdue_reviews, 900),
            (purge_idempotency_keys, 3600), (purge_work_results, 3600)]
