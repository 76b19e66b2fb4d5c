"""What the mini-program's new screens call: the school picker, dictionary pickers, the checks
before sending, 账号管理 writes, the student's filters and 就业状态, subscribe-message grants."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import AccountEvent, SubscribeGrant, WechatApp, WechatIdentity
from app.services import invitations, responses
from app.services.binding import bind_login_account
from tests.api_helpers import ApiClient, terms_json
from tests.factories import TEST_PASSWORD, SchoolFactory


@pytest.fixture
def hr(client, world):
    return ApiClient(client, world.hr)


# -- the school picker -------------------------------------------------------------------------

def test_school_picker_finds_a_school_by_part_of_its_name_or_the_start_of_its_code(client, world, hr):
    """Can an employer pick a school by typing a few characters of its name, not its code?"""
    SchoolFactory(name="湖南师范大学", code="10542")
    SchoolFactory(name="湖南大学", code="10532")
    SchoolFactory(name="中南大学", code="10533")
    names = [s["name"] for s in hr.get("/schools?q=湖南").get_json()["items"]]
    assert names == ["湖南大学", "湖南师范大学"]  # names that start with the words, shorter first
    assert [s["code"] for s in hr.get("/schools?q=1053").get_json()["items"]] == ["10532", "10533"]
    assert hr.get("/schools?q=" + "%").get_json()["items"] == []  # a wildcard is a character


def test_school_picker_needs_a_log_in_and_some_text(client, world, hr):
    assert client.get("/api/v1/schools?q=湖南").status_code == 401
    response = hr.get("/schools?q=")
    assert response.status_code == 400 and "q" in response.get_json()["error"]["fields"]


# -- dictionary pickers ------------------------------------------------------------------------

def test_region_picker_goes_level_by_level(client, world, hr, dicts):
    """Does the region picker list the provinces, then a province's cities, each saying
    whether there is a level below it?"""
    top = hr.get("/dictionaries/region?top=true").get_json()["items"]
    hunan = next(r for r in top if r["code"] == "430000")
    assert hunan == {"code": "430000", "name": "湖南省", "parent": None, "has_children": True}
    cities = hr.get("/dictionaries/region?parent=430000").get_json()["items"]
    assert {"code": "430100", "name": "长沙市", "parent": "430000"}.items() <= cities[0].items()
    jobs = hr.get("/dictionaries/job_category").get_json()
    assert jobs["kind"] == "job_category" and any(j["name"] == "工程技术人员" for j in jobs["items"])


def test_a_dictionary_that_is_not_for_pickers_is_404(client, world, hr, dicts):
    assert hr.get("/dictionaries/destination_category").status_code == 404


def test_dictionaries_are_open_to_someone_about_to_register(client, dicts):
    """A new employer fills the registration form (unit nature, industry, region) before it has
    any account."""
    natures = client.get("/api/v1/dictionaries/unit_nature").get_json()["items"]
    assert any(n["name"] == "机关" for n in natures)


# -- checks before sending ---------------------------------------------------------------------

def test_checks_flag_damages_above_the_schools_cap_and_salary_below_the_minimum(client, world, hr, dicts):
    """Before sending, is the employer told the damages exceed the school's cap and a salary is
    below the local minimum wage — without anything being sent?"""
    from app.services import organisation

    world.school.liquidated_damages_cap = 2000
    organisation.set_minimum_wage(world.actor(world.school_reviewer), world.school.id, "430000", 9000)
    db.session.commit()
    body = {"student_ids": [world.student.id], "terms": terms_json(work_region_code="430100")}
    checks = hr.post("/employer/invitations/checks", body).get_json()["checks"]
    assert [(c["code"], c["field"], c["level"]) for c in checks] == [
        ("SALARY_BELOW_MINIMUM", "probation_salary", "warning"),
        ("DAMAGES_ABOVE_CAP", "liquidated_damages", "warning")]
    assert checks[0]["message"] == f"试用起薪8000元/月低于{world.school.name}设定的长沙市最低工资标准9000元/月"
    assert checks[0]["student_ids"] == [world.student.id]
    assert checks[1]["student_ids"] == [world.student.id]
    assert "上限2000元" in checks[1]["message"]
    assert hr.get("/employer/invitations").get_json()["items"] == []


def test_checks_say_the_first_letter_needs_archive_terms(client, world, hr):
    body = {"student_ids": [world.student.id], "terms": terms_json(archive=None)}
    [check] = hr.post("/employer/invitations/checks", body).get_json()["checks"]
    assert (check["code"], check["level"]) == ("ARCHIVE_PROFILE_REQUIRED", "error")


def test_checks_of_clean_terms_are_empty(client, world, hr):
    body = {"student_ids": [world.student.id], "terms": terms_json()}
    assert hr.post("/employer/invitations/checks", body).get_json() == {"checks": []}


# -- 账号管理 -----------------------------------------------------------------------------------

@pytest.fixture
def admin(client, world):
    world.hr.employer_admin = True
    db.session.commit()
    return ApiClient(client, world.hr)


def test_the_admin_adds_a_colleague_who_can_then_log_in(client, world, admin):
    """Can the employer's admin add a colleague on the phone, and does the new log-in work?"""
    response = admin.post("/employer/accounts", {"username": "hr3.xingchen", "display_name": "赵六",
                                                 "password": "Zhaoliu2026"})
    assert response.status_code == 200, response.get_json()
    added = response.get_json()
    assert (added["username"], added["display_name"]) == ("hr3.xingchen", "赵六")
    assert added["employer_admin"] is False
    listed = admin.get("/employer/accounts").get_json()
    assert listed["i_am_admin"] is True and listed["my_account_id"] == world.hr.id
    assert "hr3.xingchen" in [a["username"] for a in listed["items"]]
    identity = WechatIdentity(app=WechatApp.MINIPROGRAM, appid="wx-test", openid="o-zhaoliu")
    db.session.add(identity)
    db.session.commit()
    assert bind_login_account(identity.id, "hr3.xingchen", "Zhaoliu2026", None).display_name == "赵六"


def test_only_the_admin_adds_or_resets_and_names_must_be_free_and_passwords_strong(client, world, admin):
    colleague = ApiClient(client, world.hr2)
    refused = colleague.post("/employer/accounts", {"username": "hr9.x", "display_name": "某某",
                                                    "password": "Abcdefg123"})
    assert (refused.status_code, refused.get_json()["error"]["code"]) == (403, "EMPLOYER_ADMIN_REQUIRED")
    taken = admin.post("/employer/accounts", {"username": world.hr2.username.upper(), "display_name": "某某",
                                              "password": "Abcdefg123"})
    assert (taken.status_code, taken.get_json()["error"]["fields"]) == (409, {"username": "用户名已被使用"})
    weak = admin.post("/employer/accounts", {"username": "hr9.xingchen", "display_name": "某某",
                                             "password": "12345678"})
    assert weak.status_code == 400
    assert weak.get_json()["error"]["fields"] == {"password": "密码须同时包含字母和数字"}


def test_the_admin_resets_a_colleagues_password_and_ends_its_lock(client, world, admin):
    from datetime import timedelta

    from app.clock import utcnow

    world.hr2.locked_until = utcnow() + timedelta(minutes=10)
    db.session.commit()
    phone = ApiClient(client, world.hr2)  # a session the old password opened
    assert phone.get("/employer/home").status_code == 200
    response = admin.post(f"/employer/accounts/{world.hr2.id}/password", {"password": "Newpass2026"})
    assert response.status_code == 200
    assert phone.get("/employer/home").status_code == 401  # logged out everywhere
    identity = WechatIdentity(app=WechatApp.MINIPROGRAM, appid="wx-test", openid="o-hr2")
    db.session.add(identity)
    db.session.commit()
    assert bind_login_account(identity.id, world.hr2.username, "Newpass2026", None).id == world.hr2.id
    assert db.session.scalar(select(AccountEvent.action).where(AccountEvent.account_id == world.hr2.id,
                                                               AccountEvent.action == "password_reset"))
    other = admin.post(f"/employer/accounts/{world.other_hr.id}/password", {"password": "Newpass2026"})
    assert other.status_code == 404


def test_anyone_changes_their_own_password_with_the_current_one(client, world):
    me = ApiClient(client, world.hr2)
    wrong = me.post("/employer/password", {"old_password": "nope", "new_password": "Better2026x"})
    assert wrong.status_code == 400
    assert wrong.get_json()["error"]["fields"] == {"old_password": "当前密码不正确"}
    assert me.post("/employer/password", {"old_password": TEST_PASSWORD, "new_password": "Better2026x"}
                   ).status_code == 200
    identity = WechatIdentity(app=WechatApp.MINIPROGRAM, appid="wx-test", openid="o-hr2b")
    db.session.add(identity)
    db.session.commit()
    assert bind_login_account(identity.id, world.hr2.username, "Better2026x", None).id == world.hr2.id


def test_a_new_employer_is_administered_by_the_user_who_registered_it(client, dicts):
    from tests.test_api_employer_account import register_body

    response = client.post("/api/v1/employer/register", json=register_body())
    token = response.get_json()["token"]
    listed = client.get("/api/v1/employer/accounts", headers={"Authorization": f"Bearer {token}"}).get_json()
    assert listed["i_am_admin"] is True and listed["items"][0]["employer_admin"] is True


# -- the student's filters and 就业状态 ----------------------------------------------------------

def test_student_filters_letters_by_employer_name(client, world):
    world.employer.name, world.other_employer.name = "长沙星辰软件科技有限公司", "湖南远景建设集团"
    db.session.commit()
    invitations.send_invitations(world.actor(world.hr), [world.student.id], world.terms())
    invitations.send_invitations(world.actor(world.other_hr), [world.student.id], world.terms())
    me = ApiClient(client, world.student_account)
    mine = me.get("/student/invitations?employer_name=星辰软件").get_json()["items"]
    assert [i["employer_name"] for i in mine] == [world.employer.name]
    assert me.get("/student/invitations?employer_name=没有这家单位").get_json()["items"] == []


def test_student_home_says_which_destination_is_active_and_since_when(client, world):
    me = ApiClient(client, world.student_account)
    assert me.get("/student/home").get_json()["destination_status"] is None
    [sent] = invitations.send_invitations(world.actor(world.hr), [world.student.id], world.terms())
    responses.accept_invitation(world.actor(world.student_account), sent.invitation_id, 1, True)
    status = me.get("/student/home").get_json()["destination_status"]
    assert (status["kind"], status["kind_label"]) == ("online", "网上签约")
    assert status["since"].endswith("+08:00")


# -- subscribe-message grants ------------------------------------------------------------------

def mini_client(client, app, account, openid="o-mini"):
    """The phone after a mini-program log-in: a token that carries its mini-program identity."""
    from app.api.auth import issue_token

    identity = WechatIdentity(app=WechatApp.MINIPROGRAM, appid=app.config["WECHAT"]["MINIPROGRAM"]["APPID"],
                              openid=openid, account_id=account.id)
    db.session.add(identity)
    db.session.commit()
    phone = ApiClient.__new__(ApiClient)
    phone.client = client
    phone.headers = {"Authorization": f"Bearer {issue_token(account.id, identity.id)}"}
    return phone, identity


def test_a_moment_names_the_templates_to_ask_for(client, world):
    me = ApiClient(client, world.student_account)
    asked = me.get("/subscriptions/templates?moment=student_accepted").get_json()
    assert asked == {"moment": "student_accepted", "events": ["review_passed", "review_rejected",
                                                              "agreement_effective"],
                     "template_ids": ["SUB_REVIEW_PASSED", "SUB_REVIEW_REJECTED", "SUB_AGREEMENT_EFFECTIVE"]}
    assert me.get("/subscriptions/templates?moment=employer_sent").status_code == 400
    assert me.get("/subscriptions/templates?moment=whenever").status_code == 400


def test_reviewers_ask_for_the_service_level_reminders(client, world):
    """A reviewer bound in the mini-program can only get the overdue pushes as subscribe messages
    if they have a moment to grant them: the school's reviewer also gets the escalations."""
    college = ApiClient(client, world.college_reviewer)
    asked = college.get("/subscriptions/templates?moment=college_reviewer_reviewing").get_json()
    assert asked["template_ids"] == ["SUB_REVIEW_OVERDUE"]
    assert college.get("/subscriptions/templates?moment=school_reviewer_reviewing").status_code == 400
    school = ApiClient(client, world.school_reviewer)
    asked = school.get("/subscriptions/templates?moment=school_reviewer_reviewing").get_json()
    assert asked["template_ids"] == ["SUB_REVIEW_OVERDUE", "SUB_REVIEW_OVERDUE_ESCALATED"]


def test_each_accept_is_one_use_of_the_grant(client, app, world):
    """Does every 允许 the student taps add one message we may send, and only for the templates
    that moment asked for?"""
    phone, identity = mini_client(client, app, world.student_account)
    body = {"moment": "student_accepted", "results": {"SUB_REVIEW_PASSED": "accept",
                                                      "SUB_REVIEW_REJECTED": "reject",
                                                      "SUB_AGREEMENT_EFFECTIVE": "accept"}}
    first = phone.post("/subscriptions", body, headers={"Idempotency-Key": "subscribe-tap-1"})
    assert first.get_json() == {"granted": [{"template_id": "SUB_REVIEW_PASSED", "remaining": 1},
                                            {"template_id": "SUB_AGREEMENT_EFFECTIVE", "remaining": 1}]}
    replay = phone.post("/subscriptions", body, headers={"Idempotency-Key": "subscribe-tap-1"})
    assert replay.get_json() == first.get_json()  # a retried request is not a second tap
    phone.post("/subscriptions", body, headers={"Idempotency-Key": "subscribe-tap-2"})
    grants = dict(db.session.execute(select(SubscribeGrant.template_id, SubscribeGrant.remaining).where(
        SubscribeGrant.identity_id == identity.id)).all())
    assert grants == {"SUB_REVIEW_PASSED": 2, "SUB_AGREEMENT_EFFECTIVE": 2}
    foreign = phone.post("/subscriptions", {"moment": "student_accepted", "results": {"SUB_OTHER": "accept"}})
    assert foreign.status_code == 400


def test_grants_need_the_mini_program_log_in(client, world):
    """A token without a mini-program identity (another channel) cannot record grants."""
    me = ApiClient(client, world.student_account)
    response = me.post("/subscriptions", {"moment": "student_letters",
                                          "results": {"SUB_INVITATION_RECEIVED": "accept"}})
    assert (response.status_code, response.get_json()["error"]["code"]) == (403, "WECHAT_LOGIN_REQUIRED")
