"""Reviewer service levels (SPEC §13): review items older than the school's limit in working days
are pushed to the reviewers who must act, and one working day later to the school's reviewers.

An item is a signing, a termination, a paper agreement (its agreement review or its signing
review) or a paper termination in college or school review; it "arrived" when it entered
that state (the row's ``updated_at``, as in the queues). Each (item, stage, arrival, level) is
pushed once: ``review_reminders`` has it as a unique key, written in the transaction that writes
the notifications. Each reviewer gets one message per run and level listing their overdue items
(not one per item). Pushes go out on working days between 08:00 and 20:00 Beijing time only.
"""
from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from app.clock import to_china, utcnow
from app.domain import service_level
from app.extensions import db
from app.models import (Account, College, Invitation, PaperAgreement, PaperTermination, RecipientType,
                        ReviewReminder, Role, School, Termination)
from app.services.notify import notify
from app.services.review_queue import china_midnight_utc, today_in_china

log = logging.getLogger("wq.service_levels")

REVIEW_STAGES = ("college_review", "school_review")
PAPER_STAGES = ("college_review", "school_review", "college_verify", "school_verify")
# (subject type, model, what the message calls it, the states that wait for a reviewer)
KINDS = (("invitation", Invitation, "签约审核", REVIEW_STAGES),
         ("termination", Termination, "解约审核", REVIEW_STAGES),
         ("paper_agreement", PaperAgreement, "线下签约审核", PAPER_STAGES),
         ("paper_termination", PaperTermination, "线下解约审核", REVIEW_STAGES))
REVIEWER, SCHOOL = "reviewer", "school"
PUSH_HOURS = (8, 20)  # Beijing time: nobody is woken at night by a reminder


@dataclass(frozen=True)
class Overdue:
    subject_type: str
    subject_id: int
    stage: str
    entered_at: datetime
    school_id: int
    college_id: int
    kind_label: str


def in_push_hours(now: datetime, calendar: service_level.Calendar = service_level.WEEKDAYS) -> bool:
    local = to_china(now)
    return calendar.is_working_day(local.date()) and PUSH_HOURS[0] <= local.hour < PUSH_HOURS[1]


def push_overdue_reviews(now: datetime | None = None) -> int:
    """One sweep over every school; returns the number of messages written. Safe to run often
    and concurrently (a second run finds everything already pushed)."""
    now = now or utcnow()
    if not in_push_hours(now):
        return 0
    sent = 0
    for school_id, limit in db.session.execute(select(School.id, School.review_sla_days)).all():
        try:
            sent += _push_school(school_id, limit or service_level.DEFAULT_LIMIT, now)
            db.session.commit()
        except IntegrityError:  # another sweep pushed the same items at the same moment
            db.session.rollback()
            log.info("service-level sweep for school %s raced another; skipped", school_id)
        except Exception:
            db.session.rollback()
            raise
    return sent


def _cutoff(limit: int, now: datetime) -> datetime:
    return china_midnight_utc(service_level.overdue_before(today_in_china(now), limit))


def _push_school(school_id: int, limit: int, now: datetime) -> int:
    first_cutoff = _cutoff(limit, now)  # arrived before: past the limit → the reviewers
    second_cutoff = _cutoff(limit + 1, now)  # a working day later → the school's reviewers
    due: list[tuple[Overdue, str]] = []
    for subject_type, model, label, stages in KINDS:
        rows = db.session.execute(select(model.id, model.state, model.updated_at, model.college_id).where(
            model.school_id == school_id, model.state.in_(stages),
            model.updated_at < first_cutoff)).all()
        if not rows:
            continue
        sent = {(r.subject_id, r.stage, r.entered_at, r.level) for r in db.session.scalars(
            select(ReviewReminder).where(ReviewReminder.subject_type == subject_type,
                                         ReviewReminder.subject_id.in_([r.id for r in rows])))}
        for item_id, state, arrived, college_id in rows:
            item = Overdue(subject_type, item_id, state.value, arrived, school_id, college_id, label)
            for level in (REVIEWER, SCHOOL):
                if level == SCHOOL and arrived >= second_cutoff:
                    continue
                if (item_id, item.stage, arrived, level) not in sent:
                    due.append((item, level))
    if not due:
        return 0
    return _notify(school_id, limit, due, now)


def _notify(school_id: int, limit: int, due: list[tuple[Overdue, str]], now: datetime) -> int:
    reviewers = db.session.execute(select(Account.id, Account.role, Account.college_id).where(
        Account.school_id == school_id, Account.is_active.is_(True),
        Account.role.in_((Role.COLLEGE_REVIEWER, Role.SCHOOL_REVIEWER)))).all()
    school_staff = [a.id for a in reviewers if a.role == Role.SCHOOL_REVIEWER]
    by_college: dict[int, list[int]] = defaultdict(list)
    for account in reviewers:
        if account.role == Role.COLLEGE_REVIEWER:
            by_college[account.college_id].append(account.id)
    college_names = dict(db.session.execute(select(College.id, College.name).where(
        College.school_id == school_id)).all())

    # (account, level) → the items that reach them
    inbox: dict[tuple[int, str], list[Overdue]] = defaultdict(list)
    reminders: list[ReviewReminder] = []
    for item, level in due:
        if level == REVIEWER and item.stage.startswith("college_"):
            recipients = by_college.get(item.college_id, [])
        else:
            recipients = school_staff
        for account_id in recipients:
            inbox[(account_id, level)].append(item)
        reminders.append(ReviewReminder(subject_type=item.subject_type, subject_id=item.subject_id,
                                        stage=item.stage, entered_at=item.entered_at, level=level,
                                        school_id=school_id, recipients=len(recipients), sent_at=now))
    db.session.add_all(reminders)
    db.session.flush()  # a reminder already there (a concurrent sweep) fails here, before any push
    batch = min(r.id for r in reminders)
    today = to_china(now).date()
    for (account_id, level), items in inbox.items():
        oldest = min(items, key=lambda i: i.entered_at)
        kinds = sorted({i.kind_label for i in items}, key=[kind[2] for kind in KINDS].index)
        colleges = sorted({college_names.get(i.college_id, "") for i in items} - {""})
        notify(RecipientType.ACCOUNT, account_id, "review_overdue" if level == REVIEWER
               else "review_overdue_escalated", dedupe=f"sla:{level}:{batch}",
               count=len(items), kind_label="和".join(kinds), limit=limit,
               oldest_days=service_level.age_in_working_days(to_china(oldest.entered_at).date(), today),
               scope_name="、".join(colleges[:3]) + ("等" if len(colleges) > 3 else ""))
    log.info("service levels: school %s, %d items, %d messages", school_id, len(due), len(inbox))
    return len(inbox)
