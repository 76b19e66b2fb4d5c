"""What waits for a reviewer: counts for the landing page, the queues with their filters and
keyset pages (read-only; the decisions are app/services/reviews.py and terminations.py).

Scope: a college reviewer sees the college, a school reviewer the school; anything outside is
never selected (so it is a 404, not a 403, when asked for by id).

"Arrived" — when an item entered the state it waits in — is the row's ``updated_at``: in a
review state nothing but a transition writes an invitation or a termination.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time

from sqlalchemy import case, func, select

from app.clock import CHINA, to_china, utcnow
from app.domain import service_level
from app.domain.actors import Actor
from app.domain.errors import Forbidden
from app.extensions import db
from app.models import (
    Employer,
    EmployerEvidence,
    EvidenceKind,
    Invitation,
    School,
    Termination,
    VerificationStatus,
)

COLLEGE, SCHOOL = "college_reviewer", "school_reviewer"
REVIEWER_ROLES = (COLLEGE, SCHOOL)
# The review state each level works on (signings and terminations use the same names).
MY_REVIEW_STATE = {COLLEGE: "college_review", SCHOOL: "school_review"}


def require_reviewer(actor: Actor) -> None:
    if actor.role not in REVIEWER_ROLES or actor.school_id is None:
        raise Forbidden("ROLE_NOT_ALLOWED", "只有学院或学校审核员可以查看审核列表")


def in_scope(actor: Actor, model):
    """The SQL condition: rows of the actor's college (college reviewer) or school."""
    require_reviewer(actor)
    condition = model.school_id == actor.school_id
    if actor.role == COLLEGE:
        condition = condition & (model.college_id == actor.college_id)
    return condition


def china_midnight_utc(day: date) -> datetime:
    """00:00 Asia/Shanghai of ``day`` as the naive UTC the columns store."""
    return datetime.combine(day, time(0), tzinfo=CHINA).astimezone(UTC).replace(tzinfo=None)


def today_in_china(now: datetime | None = None) -> date:
    return to_china(now or utcnow()).date()


def sla_days(actor: Actor) -> int:
    return db.session.scalar(select(School.review_sla_days).where(School.id == actor.school_id)) \
        or service_level.DEFAULT_LIMIT


def overdue_cutoff(limit: int, now: datetime | None = None) -> datetime:
    """Items that arrived before this instant are past the school's service level today."""
    return china_midnight_utc(service_level.overdue_before(today_in_china(now), limit))


def age_of(arrived: datetime, now: datetime | None = None) -> int:
    return service_level.age_in_working_days(to_china(arrived).date(), today_in_china(now))


@dataclass(frozen=True)
class HomeCounts:
    signings_waiting: int
    signings_overdue: int
    terminations_waiting: int
    terminations_overdue: int
    sla_days: int
    employers_pending: int | None  # for those who verify employers


def home_counts(actor: Actor, now: datetime | None = None) -> HomeCounts:
    """What waits for this reviewer, and how much of it is past the school's service level:
    four counts in two grouped queries."""
    require_reviewer(actor)
    limit = sla_days(actor)
    cutoff = overdue_cutoff(limit, now)
    state = MY_REVIEW_STATE[actor.role]
    counts = {}
    for name, model in (("signings", Invitation), ("terminations", Termination)):
        waiting, overdue = db.session.execute(
            select(func.count(), func.coalesce(func.sum(case((model.updated_at < cutoff, 1), else_=0)), 0))
            .where(in_scope(actor, model), model.state == state)).one()
        counts[name] = (int(waiting), int(overdue))
    return HomeCounts(counts["signings"][0], counts["signings"][1], counts["terminations"][0],
                      counts["terminations"][1], limit,
                      pending_verifications_count() if actor.role == SCHOOL else None)


def pending_verifications_count() -> int:
    """Employers waiting for verification that uploaded their licence."""
    has_licence = select(EmployerEvidence.id).where(
        EmployerEvidence.employer_id == Employer.id,
        EmployerEvidence.kind == EvidenceKind.LICENCE).exists()
    return db.session.scalar(select(func.count()).select_from(Employer).where(
        Employer.verification_status == VerificationStatus.PENDING, has_licence))
