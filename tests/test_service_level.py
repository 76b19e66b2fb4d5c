"""Service levels in working days (SPEC §13): weekends and listed holidays do not count."""
from __future__ import annotations

from datetime import date, timedelta

import pytest

from app.domain import service_level as sl

MON = date(2026, 11, 23)  # a Monday
FRI, SAT, SUN, NEXT_MON = MON + timedelta(4), MON + timedelta(5), MON + timedelta(6), MON + timedelta(7)


@pytest.mark.parametrize(("arrived", "today", "age"), [
    (MON, MON, 0),  # arrived today: no working day has passed
    (MON, MON + timedelta(1), 1),
    (MON, FRI, 4),
    (FRI, SAT, 0), (FRI, SUN, 0),  # the weekend does not age an item
    (FRI, NEXT_MON, 1),
    (SAT, NEXT_MON, 1),  # arrived on a Saturday: Monday is its first working day
    (MON, NEXT_MON + timedelta(7), 10),  # two whole weeks
    (FRI, MON, 0),  # "today" before arrival (clock skew) is never negative
])
def test_age_counts_working_days_after_arrival(arrived, today, age):
    """Does an item that arrived on Friday count 1 working day on Monday, not 3?"""
    assert sl.age_in_working_days(arrived, today) == age


def test_holidays_and_make_up_workdays_come_as_data():
    """Is a weekday holiday skipped and a weekend make-up day (调休) counted?"""
    calendar = sl.Calendar(holidays=frozenset({MON + timedelta(1)}), workdays=frozenset({SAT}))
    assert sl.age_in_working_days(MON, FRI, calendar) == 3
    assert sl.age_in_working_days(FRI, NEXT_MON, calendar) == 2


@pytest.mark.parametrize("limit", [1, 2, 3, 5, 10])
@pytest.mark.parametrize("offset", range(21))
def test_overdue_before_agrees_with_the_age(limit, offset):
    """Is "arrived before overdue_before(today)" exactly "older than the limit" for every day?"""
    today = MON + timedelta(days=offset)
    cutoff = sl.overdue_before(today, limit)
    for back in range(30):
        arrived = today - timedelta(days=back)
        assert (arrived < cutoff) == sl.is_overdue(sl.age_in_working_days(arrived, today), limit), arrived


def test_due_day_is_the_last_day_within_the_limit():
    """With 3 working days, is an item from Thursday due the next Tuesday and overdue on Wednesday?"""
    thursday = MON + timedelta(3)
    due = sl.due_day(thursday, 3)
    assert due == NEXT_MON + timedelta(1)
    assert not sl.is_overdue(sl.age_in_working_days(thursday, due), 3)
    assert sl.is_overdue(sl.age_in_working_days(thursday, due + timedelta(1)), 3)
