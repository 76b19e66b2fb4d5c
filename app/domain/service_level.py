"""Reviewer service levels (SPEC §13): how long a review item has waited, in working days.

Pure functions over China-local dates. Weekends are not working days; ``holidays`` (public
holidays on weekdays) and ``workdays`` (weekend days made working days, 调休) may be passed as
data. An item's age counts the working days after the day it arrived, up to and including
today: in on Friday, looked at on Monday, it is 1 working day old.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

DEFAULT_LIMIT = 3  # School.review_sla_days when a school set nothing else


@dataclass(frozen=True)
class Calendar:
    holidays: frozenset[date] = field(default_factory=frozenset)  # weekdays off
    workdays: frozenset[date] = field(default_factory=frozenset)  # weekend days worked

    def is_working_day(self, day: date) -> bool:
        if day in self.workdays:
            return True
        if day in self.holidays:
            return False
        return day.weekday() < 5


WEEKDAYS = Calendar()


def working_days_between(start: date, end: date, calendar: Calendar = WEEKDAYS) -> int:
    """Working days d with start < d <= end (0 when end is not after start)."""
    if end <= start:
        return 0
    # Whole weeks at once, then the rest day by day; holidays/workdays corrected per day.
    span = (end - start).days
    weeks, rest = divmod(span, 7)
    count = weeks * 5
    day = start + timedelta(days=weeks * 7)
    for _ in range(rest):
        day += timedelta(days=1)
        count += day.weekday() < 5
    if calendar.holidays or calendar.workdays:
        for special in calendar.holidays | calendar.workdays:
            if start < special <= end:
                plain = special.weekday() < 5
                count += calendar.is_working_day(special) - plain
    return count


def age_in_working_days(arrived: date, today: date, calendar: Calendar = WEEKDAYS) -> int:
    """How many working days an item that arrived on ``arrived`` has waited by ``today``."""
    return working_days_between(arrived, today, calendar)


def is_overdue(age: int, limit: int) -> bool:
    """Past the school's limit: older than ``limit`` working days."""
    return age > max(1, limit)


def overdue_before(today: date, limit: int, calendar: Calendar = WEEKDAYS) -> date:
    """The first arrival day that is not yet overdue today: an item is past the limit exactly
    when it arrived before this day. (Lets a query count overdue items with one comparison.)"""
    needed = max(1, limit) + 1  # an overdue item has at least limit + 1 working days after it
    day, found = today, 0
    while True:
        if calendar.is_working_day(day):
            found += 1
            if found == needed:
                return day
        day -= timedelta(days=1)


def due_day(arrived: date, limit: int, calendar: Calendar = WEEKDAYS) -> date:
    """The last day on which an item that arrived on ``arrived`` is still within the limit."""
    day, found = arrived, 0
    limit = max(1, limit)
    while True:
        day += timedelta(days=1)
        if calendar.is_working_day(day):
            found += 1
            if found == limit:
                return day
