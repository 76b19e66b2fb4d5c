"""签约统计: the figures by college and major, review times, the Excel export, who sees what."""
from __future__ import annotations

import io
from datetime import datetime, timedelta

import pytest
import time_machine
from openpyxl import load_workbook

from app.domain.errors import InvalidInput, NotFound
from app.services import invitations, responses, reviews, statistics
from tests.factories import StudentFactory

START = datetime(2026, 3, 2, 9, 0)  # a Monday, Asia/Shanghai


def at(hours: float):
    return time_machine.travel(START + timedelta(hours=hours) - timedelta(hours=8), tick=False)


@pytest.fixture
def signed(world, db_session):
    return sign_some(world)


def sign_some(world) -> tuple[int, int]:
    """student: effective (college review 4 h, school review 24 h); student2: in college review;
    other_college_student: unsigned."""
    with at(0):
        sent = invitations.send_invitations(world.actor(world.hr), [world.student.id, world.student2.id],
                                            world.terms())
    first, second = (r.invitation_id for r in sent)
    with at(1):
        responses.accept_invitation(world.actor(world.student_account), first, 1, True)
        responses.accept_invitation(world.actor(world.student2_account), second, 1, True)
    with at(5):
        reviews.approve_signing(world.actor(world.college_reviewer), first)
    with at(29):
        reviews.approve_signing(world.actor(world.school_reviewer), first)
    return first, second


def test_figures_by_college_and_major(world, signed):
    """Are students, signed online, in review, unsigned and the rate right per college and major,
    with paper agreements and other destinations present as zero?"""
    stats = statistics.statistics_for(world.actor(world.school_reviewer), world.school.id, 2026)
    assert stats.total.as_dict() == {"students": 3, "signed_online": 1, "signed_paper": 0,
                                     "other_destination": 0, "in_review": 1, "unsigned": 1,
                                     "signing_rate": 33.3, "placement_rate": 33.3}
    by_college = {row.college_id: row for row in stats.colleges}
    own = by_college[world.college.id]
    assert (own.counts.students, own.counts.signed_online, own.counts.in_review) == (2, 1, 1)
    assert own.counts.signing_rate == 50.0
    assert [(m.name, m.counts.students) for m in own.majors] == [(world.major.name, 2)]
    other = by_college[world.other_college.id]
    assert (other.counts.students, other.counts.unsigned, other.counts.signing_rate) == (1, 1, 0.0)


def test_median_review_times_per_stage(world, signed):
    """Is the median time from entering a review stage to its decision shown per stage?"""
    stats = statistics.statistics_for(world.actor(world.school_reviewer), world.school.id, 2026)
    assert stats.median_review_hours == {"college_review": 4.0, "school_review": 24.0}
    assert stats.reviews_decided == {"college_review": 1, "school_review": 1}
    by_college = {row.college_id: row for row in stats.colleges}
    assert by_college[world.college.id].median_review_hours["school_review"] == 24.0


def test_a_college_reviewer_sees_their_college_only(world, signed):
    """Does a college reviewer asking for the school get their own college's figures only?"""
    stats = statistics.statistics_for(world.actor(world.other_college_reviewer), world.school.id, 2026)
    assert [row.college_id for row in stats.colleges] == [world.other_college.id]
    assert stats.total.students == 1 and stats.median_review_hours["college_review"] is None


def test_other_schools_and_employers_get_nothing(world, signed):
    for account in (world.other_school_reviewer, world.other_school_college_reviewer, world.hr):
        with pytest.raises(NotFound):
            statistics.statistics_for(world.actor(account), world.school.id, 2026)
    assert statistics.statistics_for(world.actor(world.admin), world.school.id, 2026).total.students == 3


def test_an_empty_cohort_is_zero_not_missing(world):
    stats = statistics.statistics_for(world.actor(world.school_reviewer), world.school.id, 2031)
    assert stats.total.as_dict()["students"] == 0 and stats.total.signing_rate == 0.0
    assert stats.cohorts == [2026] and stats.median_review_hours == {"college_review": None,
                                                                    "school_review": None}
    with pytest.raises(InvalidInput):
        statistics.statistics_for(world.actor(world.school_reviewer), world.school.id, 1990)


def test_default_cohort_is_the_latest(world, db_session):
    StudentFactory(major=world.major, cohort=2027)
    db_session.commit()
    assert statistics.statistics_for(world.actor(world.school_reviewer), world.school.id, None).cohort == 2027


def test_excel_holds_the_same_figures(world, signed):
    """Does the workbook carry the page's figures: by college with a total, by major, review times?"""
    stats = statistics.statistics_for(world.actor(world.school_reviewer), world.school.id, 2026)
    book = load_workbook(io.BytesIO(statistics.statistics_xlsx(stats)))
    assert book.sheetnames == ["按学院", "按专业", "审核用时"]
    rows = list(book["按学院"].iter_rows(values_only=True))
    assert rows[1][:4] == ("学院代码", "学院", "学生数", "网上签约")
    assert rows[-1][1:] == ("合计", 3, 1, 0, 0, 1, 1, 33.3, 33.3)
    majors = list(book["按专业"].iter_rows(min_row=2, values_only=True))
    assert (world.major.name, 2) in [(r[2], r[3]) for r in majors]
    assert list(book["审核用时"].iter_rows(min_row=2, max_row=2, values_only=True))[0] == ("全部", 4.0, 24.0)


def test_paper_agreements_count_as_signed_once_effective(world, db_session, tmp_path, monkeypatch, app):
    """A generated paper agreement is in review (it holds the destination); effective, it is signed."""
    from tests import paper_helpers

    monkeypatch.setitem(app.config, "UPLOAD_DIR", str(tmp_path))
    paper_helpers.numbered(world)
    paper_helpers.effective(world, world.student2_account)
    stats = statistics.statistics_for(world.actor(world.school_reviewer), world.school.id, 2026)
    assert (stats.total.signed_paper, stats.total.in_review, stats.total.unsigned) == (1, 1, 1)
    assert stats.total.signing_rate == 33.3
