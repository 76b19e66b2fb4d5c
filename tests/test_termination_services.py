"""解约 and the school's interventions through the services."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from app.domain.errors import Conflict, Forbidden, InvalidInput, NotFound
from app.models import ActiveDestination, Notification, ReviewLevels
from app.services import interventions, invitations, responses, reviews, terminations
from app.services.flow import flow_of, verify_flow_log


def effective_agreement(world, student=None, student_account=None, hr=None):
    hr = hr or world.hr
    result = invitations.send_invitations(world.actor(hr), [(student or world.student).id],
                                          world.terms())[0]
    inv_id = result.invitation_id
    inv = responses.accept_invitation(world.actor(student_account or world.student_account), inv_id, 1,
                                      True)
    if inv.state.value == "college_review":
        reviews.approve_signing(world.actor(world.college_reviewer), inv_id)
    reviews.approve_signing(world.actor(world.school_reviewer), inv_id)
    return inv_id


def request(world, inv_id, actor_account=None, reason="个人原因"):
    return terminations.request_termination(world.actor(actor_account or world.student_account),
                                            inv_id, reason, True)


def test_student_request_employer_agrees_reviews_terminate(world, db_session):
    """Can a student terminate with the employer's consent and both reviews, then sign again?"""
    inv_id = effective_agreement(world)
    t = request(world, inv_id)
    assert t.state.value == "awaiting_party"
    terminations.answer_termination(world.actor(world.hr), t.id, agree=True, confirm=True)
    assert t.state.value == "college_review"
    terminations.approve_termination(world.actor(world.college_reviewer), t.id)
    terminations.approve_termination(world.actor(world.school_reviewer), t.id)
    assert t.state.value == "approved" and t.invitation.state.value == "terminated"
    assert db_session.get(ActiveDestination, world.student.id) is None
    # the student may sign again at once
    new = invitations.send_invitations(world.actor(world.other_hr), [world.student.id], world.terms())[0]
    assert responses.accept_invitation(world.actor(world.student_account), new.invitation_id, 1,
                                       True).state.value == "college_review"
    actions = [e.action for e in flow_of("invitation", inv_id)]
    assert actions[-5:] == ["termination_request", "termination_agree", "termination_college_approve",
                            "termination_school_approve", "terminate"]
    assert verify_flow_log()[1] == []


def test_employer_request_student_disagrees_keeps_agreement(world):
    inv_id = effective_agreement(world)
    t = request(world, inv_id, actor_account=world.hr)
    with pytest.raises(Forbidden):  # the requester cannot answer their own request
        terminations.answer_termination(world.actor(world.hr2), t.id, agree=True, confirm=True)
    terminations.answer_termination(world.actor(world.student_account), t.id, agree=False)
    assert t.state.value == "disagreed" and t.invitation.state.value == "effective"


def test_agreeing_needs_the_second_confirmation(world):
    t = request(world, effective_agreement(world))
    with pytest.raises(InvalidInput):
        terminations.answer_termination(world.actor(world.hr), t.id, agree=True, confirm=False)


def test_one_termination_in_flight(world):
    inv_id = effective_agreement(world)
    request(world, inv_id)
    with pytest.raises(Conflict) as exc:
        request(world, inv_id, actor_account=world.hr)
    assert exc.value.code == "TERMINATION_IN_FLIGHT"


def test_no_termination_during_signing_review(world):
    inv_id = invitations.send_invitations(world.actor(world.hr), [world.student.id],
                                          world.terms())[0].invitation_id
    responses.accept_invitation(world.actor(world.student_account), inv_id, 1, True)
    with pytest.raises(Conflict) as exc:
        request(world, inv_id)
    assert exc.value.code == "SIGNING_IN_REVIEW"


def test_termination_limit_is_enforced_and_shown(world):
    world.school.review_levels = ReviewLevels.SCHOOL
    inv_id = effective_agreement(world)
    t = request(world, inv_id)
    terminations.answer_termination(world.actor(world.hr), t.id, agree=True, confirm=True)
    terminations.approve_termination(world.actor(world.school_reviewer), t.id)
    second = effective_agreement(world, hr=world.other_hr)
    notice = terminations.termination_notice(world.actor(world.student_account), second)
    assert notice["limit_reached"] and "最多解约1次，已解约1次" in notice["notice"]
    with pytest.raises(Conflict) as exc:
        request(world, second)
    assert exc.value.code == "TERMINATION_LIMIT_REACHED"


def test_review_rejection_keeps_the_agreement(world, db_session):
    inv_id = effective_agreement(world)
    t = request(world, inv_id)
    terminations.answer_termination(world.actor(world.hr), t.id, agree=True, confirm=True)
    with pytest.raises(InvalidInput):
        terminations.reject_termination(world.actor(world.college_reviewer), t.id, "")
    terminations.reject_termination(world.actor(world.college_reviewer), t.id, "材料不全")
    assert t.state.value == "rejected" and t.invitation.state.value == "effective"
    assert db_session.get(ActiveDestination, world.student.id) is not None
    events = db_session.scalars(select(Notification.event).where(
        Notification.subject_type == "termination")).all()
    assert events.count("termination_rejected") == 2  # both parties hear


def test_wrong_parties_cannot_touch_a_termination(world):
    t = request(world, effective_agreement(world))
    with pytest.raises(NotFound):
        terminations.answer_termination(world.actor(world.other_hr), t.id, agree=False)
    with pytest.raises(NotFound):
        terminations.approve_termination(world.actor(world.other_school_reviewer), t.id)


def test_void_frees_the_student_and_keeps_the_number(world, db_session):
    inv_id = effective_agreement(world)
    with pytest.raises(InvalidInput):
        interventions.void_agreement(world.actor(world.school_reviewer), inv_id, " ")
    inv = interventions.void_agreement(world.actor(world.school_reviewer), inv_id, "虚假签约")
    assert inv.state.value == "voided" and inv.agreement_no
    assert db_session.get(ActiveDestination, world.student.id) is None
    assert flow_of("invitation", inv_id)[-1].remark == "虚假签约"


def test_withdraw_approval_and_reapprove_keeps_number(world):
    inv_id = effective_agreement(world)
    inv = interventions.withdraw_approval(world.actor(world.school_reviewer), inv_id, "信息有误")
    number = inv.agreement_no
    assert inv.state.value == "school_review"
    inv = reviews.approve_signing(world.actor(world.school_reviewer), inv_id)
    assert inv.state.value == "effective" and inv.agreement_no == number


def test_forced_termination_closes_a_pending_request(world):
    inv_id = effective_agreement(world)
    t = request(world, inv_id)
    with pytest.raises(Forbidden):
        interventions.force_terminate(world.actor(world.college_reviewer), inv_id, "x")
    inv = interventions.force_terminate(world.actor(world.school_reviewer), inv_id, "单位已注销")
    assert inv.state.value == "terminated" and t.state.value == "rejected"


def test_invalidating_a_student_invalidates_open_agreements(world):
    effective = effective_agreement(world)
    pending = invitations.send_invitations(world.actor(world.other_hr), [world.student.id],
                                           world.terms())[0].invitation_id
    count = interventions.invalidate_student(world.actor(world.school_reviewer), world.student.id, "退学")
    assert count == 2
    from app.extensions import db
    from app.models import Invitation

    assert {db.session.get(Invitation, i).state.value for i in (effective, pending)} == {"invalidated"}
