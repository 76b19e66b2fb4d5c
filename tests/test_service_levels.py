"""Service levels (SPEC §13): review items past the school's limit in working days are pushed to
their reviewers, one working day later to the school's reviewers — once each, in working hours."""
from __future__ import annotations

from datetime import datetime, timedelta

import pytest
import time_machine
from sqlalchemy import select

from app.models import Notification, OutboxMessage, RecipientType, ReviewReminder
from app.services import interventions, invitations, responses, reviews, terminations
from app.services.service_levels import push_overdue_reviews


def china(text: str) -> datetime:
    """A Beijing wall-clock time as the naive UTC the app stores and its clock returns."""
    return datetime.fromisoformat(text) - timedelta(hours=8)


def accepted(world, student_account, student, when: str) -> int:
    with time_machine.travel(china(when), tick=False):
        sent = invitations.send_invitations(world.actor(world.hr), [student.id], world.terms())[0]
        responses.accept_invitation(world.actor(student_account), sent.invitation_id, 1, True)
    return sent.invitation_id


def inbox(db_session, account) -> list[Notification]:
    return list(db_session.scalars(select(Notification).where(
        Notification.recipient_type == RecipientType.ACCOUNT, Notification.recipient_id == account.id)
        .order_by(Notification.id)))


def push(at: str) -> int:
    return push_overdue_reviews(now=china(at))


def test_reviewer_then_school_each_once(world, db_session):
    """In college review since Monday with a limit of 3 working days: nothing on Thursday; the
    college's reviewer on Friday (once, however often the sweep runs); the school's reviewers on
    the next working day (Monday); the other college's reviewer never."""
    accepted(world, world.student_account, world.student, "2026-03-02 10:00")  # Monday
    assert push("2026-03-05 10:00") == 0  # Thursday: 3 working days, within the limit
    assert push("2026-03-06 10:00") == 1  # Friday: 4 > 3
    assert push("2026-03-06 15:00") == 0
    [message] = inbox(db_session, world.college_reviewer)
    assert message.event == "review_overdue" and message.title == "审核超时提醒"
    assert message.page == "pages/reviewer/home/index"  # the mini-program's reviewer home
    assert "1项签约审核已超过3个工作日" in message.body and "等待4个工作日" in message.body
    assert inbox(db_session, world.school_reviewer) == []
    assert inbox(db_session, world.other_college_reviewer) == []
    assert db_session.scalar(select(OutboxMessage).where(OutboxMessage.notification_id == message.id))

    assert push("2026-03-07 10:00") == 0  # Saturday: no pushes at weekends
    assert push("2026-03-09 07:30") == 0  # Monday before office hours
    assert push("2026-03-09 10:00") == 1  # Monday: a working day later, the school
    [escalated] = inbox(db_session, world.school_reviewer)
    assert escalated.event == "review_overdue_escalated" and world.college.name in escalated.body
    assert escalated.page == "pages/reviewer/home/index"
    assert len(inbox(db_session, world.college_reviewer)) == 1
    assert push("2026-03-10 10:00") == 0
    levels = db_session.scalars(select(ReviewReminder.level).order_by(ReviewReminder.id)).all()
    assert levels == ["reviewer", "school"]


def test_one_message_per_reviewer_lists_all_their_items(world, db_session):
    """Two overdue signings of one college: one message saying 2, not two messages."""
    accepted(world, world.student_account, world.student, "2026-03-02 10:00")
    accepted(world, world.student2_account, world.student2, "2026-03-02 11:00")
    assert push("2026-03-06 10:00") == 1
    [message] = inbox(db_session, world.college_reviewer)
    assert "2项签约审核" in message.body


def test_school_review_items_go_to_the_school_and_the_limit_is_the_schools(world, db_session):
    """An item in school review reaches the school's reviewers; a school with a 5-day limit waits."""
    invitation_id = accepted(world, world.student_account, world.student, "2026-03-02 09:00")
    with time_machine.travel(china("2026-03-02 10:00"), tick=False):
        reviews.approve_signing(world.actor(world.college_reviewer), invitation_id)
    world.school.review_sla_days = 5
    db_session.commit()
    assert push("2026-03-06 10:00") == 0  # 4 working days < 5
    assert push("2026-03-10 10:00") == 1  # Tuesday: 6 > 5
    [message] = inbox(db_session, world.school_reviewer)
    assert message.event == "review_overdue"
    assert inbox(db_session, world.college_reviewer) == []


def test_terminations_in_review_are_pushed_too(world, db_session):
    invitation_id = accepted(world, world.student_account, world.student, "2026-02-02 09:00")
    with time_machine.travel(china("2026-02-02 10:00"), tick=False):
        reviews.approve_signing(world.actor(world.college_reviewer), invitation_id)
        reviews.approve_signing(world.actor(world.school_reviewer), invitation_id)
    with time_machine.travel(china("2026-03-02 10:00"), tick=False):
        termination = terminations.request_termination(world.actor(world.hr), invitation_id, "岗位调整", True)
        terminations.answer_termination(world.actor(world.student_account), termination.id, True, True)
    assert push("2026-03-06 10:00") == 1
    [message] = inbox(db_session, world.college_reviewer)
    assert "解约审核" in message.body


def test_a_new_stay_in_review_is_a_new_item(world, db_session):
    """Withdrawn back to school review after it was pushed: the new stay is pushed again."""
    invitation_id = accepted(world, world.student_account, world.student, "2026-03-02 09:00")
    with time_machine.travel(china("2026-03-02 10:00"), tick=False):
        reviews.approve_signing(world.actor(world.college_reviewer), invitation_id)
    assert push("2026-03-06 10:00") == 1
    with time_machine.travel(china("2026-03-06 11:00"), tick=False):
        reviews.approve_signing(world.actor(world.school_reviewer), invitation_id)
        interventions.withdraw_approval(world.actor(world.school_reviewer), invitation_id, "信息有误")
    assert push("2026-03-12 10:00") == 1  # 4 working days after Friday
    assert len(inbox(db_session, world.school_reviewer)) == 2


@pytest.mark.parametrize("when", ["2026-03-06 07:59", "2026-03-06 20:00", "2026-03-07 10:00"])
def test_no_pushes_outside_working_hours(world, db_session, when):
    accepted(world, world.student_account, world.student, "2026-03-02 10:00")
    assert push(when) == 0
    assert db_session.scalar(select(ReviewReminder)) is None


def test_paper_agreements_in_either_review_are_pushed_too(world, db_session, app, tmp_path, monkeypatch):
    """A generated paper agreement waiting at the college (协议书审核), and another waiting at the
    school for its signing review (签约鉴证): the college's and the school's reviewers hear of them."""
    from app.services import paper_agreements
    from tests import paper_helpers

    monkeypatch.setitem(app.config, "UPLOAD_DIR", str(tmp_path))
    with time_machine.travel(china("2026-03-02 10:00"), tick=False):
        paper_helpers.generated(world)
        second = paper_helpers.numbered(world, world.student2_account)
        paper_agreements.submit_scan(world.actor(world.student2_account), second,
                                     paper_helpers.scan_upload(second))
        paper_agreements.approve(world.actor(world.college_reviewer), second)
    assert push("2026-03-06 10:00") == 2
    [college] = inbox(db_session, world.college_reviewer)
    [school] = inbox(db_session, world.school_reviewer)
    assert "1项线下签约审核" in college.body and "1项线下签约审核" in school.body
    stages = set(db_session.scalars(select(ReviewReminder.stage)).all())
    assert stages == {"college_review", "school_verify"}
