"""Signing benchmarks against the QUALITY.md bars (medians of repeated runs)."""
from __future__ import annotations

import statistics
import time

import pytest

from app.services import invitations
from tests.factories import StudentFactory, add_favorites

pytestmark = pytest.mark.bench


def test_batch_invitation_of_1000(world, db_session, record):
    """Bar: a batch invitation of 1,000 students in ≤ 2 s, outbox rows included."""
    students = [StudentFactory(major=world.major) for _ in range(3000)]
    add_favorites(world.employer, *students)
    timings = []
    for run in range(3):
        batch = [s.id for s in students[run * 1000:(run + 1) * 1000]]
        started = time.perf_counter()
        results = invitations.send_invitations(world.actor(world.hr), batch, world.terms())
        timings.append(time.perf_counter() - started)
        assert sum(r.ok for r in results) == 1000
    record("batch_invitation_1000", median_s=round(statistics.median(timings), 3),
           runs=[round(t, 3) for t in timings], bar_s=2.0)
