"""The seeds' rules (issue 8): each test fails when its rule is broken."""
from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine

from app.clock import utcnow
from app.domain import signing as rules
from app.domain.errors import Conflict, DomainError
from app.models import Invitation, Notification, RecipientType, ReviewLevels, SourceStatus
from app.services import interventions, invitations, responses, search, terminations
from tests.api_helpers import ApiClient, terms_json
from tests.test_termination_services import effective_agreement, request


def _terminate_by_agreement(world, inv_id, requester):
    """A termination asked by `requester`, agreed by the other party and approved at both levels."""
    other = world.hr if requester is world.student_account else world.student_account
    t = request(world, inv_id, actor_account=requester)
    terminations.answer_termination(world.actor(other), t.id, agree=True, confirm=True)
    terminations.approve_termination(world.actor(world.college_reviewer), t.id)
    terminations.approve_termination(world.actor(world.school_reviewer), t.id)
    return t


# -- the termination limit counts every completed termination, asked by either side -----------

def test_an_employer_request_is_refused_once_the_student_used_the_limit(world, db_session):
    """Seed 002 §2.2.1 (解约机会仅有一次): after one completed termination the employer of the
    student's next agreement cannot start a second one either."""
    world.school.termination_limit = 1
    first = effective_agreement(world)
    _terminate_by_agreement(world, first, world.student_account)
    second = effective_agreement(world, hr=world.other_hr)
    with pytest.raises(Conflict) as exc:
        request(world, second, actor_account=world.other_hr)
    assert exc.value.code == "TERMINATION_LIMIT_REACHED"
    notice = terminations.termination_notice(world.actor(world.other_hr), second)
    assert notice["completed"] == 1 and notice["limit_reached"]


def test_an_employer_started_termination_uses_up_the_limit(world, db_session):
    world.school.termination_limit = 1
    first = effective_agreement(world)
    _terminate_by_agreement(world, first, world.hr)
    second = effective_agreement(world, hr=world.other_hr)
    with pytest.raises(Conflict) as exc:
        request(world, second)
    assert exc.value.code == "TERMINATION_LIMIT_REACHED"


@pytest.mark.parametrize("counts,refused", [(True, True), (False, False)])
def test_forced_terminations_count_as_the_school_says(world, db_session, counts, refused):
    """A forced termination counts unless the school's settings say it does not."""
    world.school.termination_limit = 1
    world.school.forced_terminations_count = counts
    first = effective_agreement(world)
    interventions.force_terminate(world.actor(world.school_reviewer), first, "单位已注销")
    assert db_session.get(Invitation, first).termination_status.value == "forced"
    second = effective_agreement(world, hr=world.other_hr)
    if refused:
        with pytest.raises(Conflict, match="上限"):
            request(world, second)
    else:
        assert request(world, second).state.value == "awaiting_party"


# -- a student holding a destination only reads other letters ------------------------------------

def test_a_signed_student_can_read_but_not_answer_other_letters(world, client):
    """Seed 002 FAQ 3 (只能查看，无法操作): accept and reject are 409, no buttons, and the
    employer of the other letter sees that the student signed elsewhere."""
    hr, other_hr = ApiClient(client, world.hr), ApiClient(client, world.other_hr)
    student = ApiClient(client, world.student_account)
    first = hr.post("/employer/invitations", {"student_ids": [world.student.id], "terms": terms_json()})
    second = other_hr.post("/employer/invitations", {"student_ids": [world.student.id], "terms": terms_json()})
    first_id = first.get_json()["results"][0]["invitation_id"]
    second_id = second.get_json()["results"][0]["invitation_id"]
    before = student.get(f"/student/invitations/{second_id}").get_json()
    assert before["allowed_actions"] == ["accept", "reject"]

    assert student.post(f"/student/invitations/{first_id}/accept", {"revision": 1, "confirm": True}).status_code == 200
    detail = student.get(f"/student/invitations/{second_id}").get_json()
    assert detail["allowed_actions"] == [] and detail["signed_elsewhere"] is True
    for verb, body in (("accept", {"revision": 1, "confirm": True}), ("reject", {})):
        answer = student.post(f"/student/invitations/{second_id}/{verb}", body)
        assert answer.status_code == 409 and answer.get_json()["error"]["code"] == "ALREADY_SIGNED"
        assert "只能查看" in answer.get_json()["error"]["message"] or verb == "accept"

    employer_list = other_hr.get("/employer/invitations").get_json()["items"]
    assert [i["signed_elsewhere"] for i in employer_list if i["id"] == second_id] == [True]
    own = hr.get(f"/employer/invitations/{first_id}").get_json()
    assert own["signed_elsewhere"] is False  # the agreement itself is not "elsewhere"


def test_a_signed_students_other_letters_end_at_their_deadline(world, db_session):
    inv = effective_agreement(world)
    other = invitations.send_invitations(world.actor(world.other_hr), [world.student.id], world.terms())[0]
    assert db_session.get(Invitation, inv).state.value == "effective"
    with time_machine.travel(utcnow() + timedelta(days=7), tick=False):
        assert invitations.expire_due() == 1
    assert db_session.get(Invitation, other.invitation_id).state.value == "expired"


# -- after school approval the terms never change --------------------------------------------------

def test_withdrawing_an_approval_does_not_reopen_modification(world, client):
    """Seeds 000/001/002 FAQ 6: a numbered agreement is never modified; terminate and sign again."""
    inv_id = effective_agreement(world)
    interventions.withdraw_approval(world.actor(world.school_reviewer), inv_id, "材料需补充")
    hr = ApiClient(client, world.hr)
    detail = hr.get(f"/employer/invitations/{inv_id}").get_json()
    assert detail["state"] == "school_review" and "modify" not in detail["allowed_actions"]
    changed = hr.put(f"/employer/invitations/{inv_id}", terms_json(position="架构师"))
    assert changed.status_code == 409 and changed.get_json()["error"]["code"] == "AGREEMENT_NUMBERED"


def test_modification_before_approval_still_works(world, db_session):
    result = invitations.send_invitations(world.actor(world.hr), [world.student.id], world.terms())[0]
    responses.accept_invitation(world.actor(world.student_account), result.invitation_id, 1, True)
    changed = invitations.modify_invitation(world.actor(world.hr), result.invitation_id,
                                            world.terms(position="架构师"))
    assert changed.pending_revision_no == 2


# -- the school's default feedback days ------------------------------------------------------------

@pytest.mark.parametrize("given,expected_days", [(None, 10), (3, 3)])
def test_the_schools_default_feedback_days_set_the_deadline(world, db_session, given, expected_days):
    world.school.default_feedback_days = 10
    db_session.commit()
    terms = world.terms(feedback_days=given)
    result = invitations.send_invitations(world.actor(world.hr), [world.student.id], terms)[0]
    invitation = db_session.get(Invitation, result.invitation_id)
    assert invitation.deadline_at == rules.deadline_for(invitation.created_at, expected_days)
    assert invitation.revisions[0].feedback_days == expected_days
    preview = invitations.preview_letter(world.actor(world.hr), world.student.id, terms)
    assert preview["terms"]["feedback_days"] == expected_days


# -- the 生源 gate ------------------------------------------------------------------------------------

def test_a_student_whose_source_info_is_pending_cannot_be_found_invited_or_accept(world, db_session):
    student = world.student
    key = search.StudentKey(world.school.code, student.cohort, student.name, student.phone)
    assert search.find_students([key])  # found while approved
    result = invitations.send_invitations(world.actor(world.hr), [student.id], world.terms())[0]
    student.source_status = SourceStatus.PENDING
    db_session.commit()
    assert not search.find_students([key])
    refused = invitations.send_invitations(world.actor(world.other_hr), [student.id], world.terms())[0]
    assert refused.code == "SOURCE_NOT_APPROVED" and "生源" in refused.message
    with pytest.raises(DomainError) as exc:
        responses.accept_invitation(world.actor(world.student_account), result.invitation_id, 1, True)
    assert exc.value.code == "SOURCE_NOT_APPROVED"


def test_closed_signing_says_why(world, db_session):
    student = world.student
    result = invitations.send_invitations(world.actor(world.hr), [student.id], world.terms())[0]
    student.signing_open, student.signing_closed_reason = False, "毕业资格审核中"
    db_session.commit()
    refused = invitations.send_invitations(world.actor(world.other_hr), [student.id], world.terms())[0]
    assert refused.code == "SIGNING_CLOSED" and "毕业资格审核中" in refused.message
    with pytest.raises(DomainError) as exc:
        responses.accept_invitation(world.actor(world.student_account), result.invitation_id, 1, True)
    assert exc.value.code == "SIGNING_CLOSED" and "毕业资格审核中" in exc.value.message


# -- dictionary codes are checked -------------------------------------------------------------------

@pytest.mark.parametrize("field,value", [("job_category_code", "98"), ("work_region_code", "999999")])
def test_unknown_dictionary_codes_are_a_400_naming_the_field(world, client, field, value):
    hr = ApiClient(client, world.hr)
    for path, body in (("/employer/invitations", {"student_ids": [world.student.id]}),
                       ("/employer/invitations/preview", {"student_id": world.student.id})):
        answer = hr.post(path, {**body, "terms": terms_json(**{field: value})})
        assert answer.status_code == 400, answer.get_json()
        assert field in answer.get_json()["error"]["fields"]


def test_a_county_is_a_known_work_region(world, db_session):
    result = invitations.send_invitations(world.actor(world.hr), [world.student.id],
                                          world.terms(work_region_code="430104"))[0]
    assert result.ok


# -- texts follow the real state ---------------------------------------------------------------------

@pytest.mark.parametrize("levels,stage", [(ReviewLevels.COLLEGE_SCHOOL, "学院审核"), (ReviewLevels.SCHOOL, "学校审核")])
def test_the_acceptance_notice_names_the_review_the_agreement_is_in(world, db_session, levels, stage):
    world.school.review_levels = levels
    db_session.commit()
    result = invitations.send_invitations(world.actor(world.hr), [world.student.id], world.terms())[0]
    responses.accept_invitation(world.actor(world.student_account), result.invitation_id, 1, True)
    notice = db_session.query(Notification).filter_by(
        recipient_type=RecipientType.EMPLOYER, event="invitation_accepted").one()
    assert f"协议进入{stage}" in notice.body
