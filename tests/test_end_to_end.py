"""The WeChat issue's promise, end to end through the emulator and real wechatpy HTTP: a student
logs in from the mini-program, binds with the SMS code, follows the official account, gets a
template message for a new invitation that opens that invitation, and accepts it."""
from __future__ import annotations

import json

import pytest

from app.extensions import redis_ext
from tests.api_helpers import terms_json
from tests.test_delivery import Env
from tests.wechat_fixtures import *  # noqa: F401,F403
from wechat.emulator import sent_messages

pytestmark = pytest.mark.committing


@pytest.fixture
def env(committing_db, live) -> Env:
    return Env(live)


def test_student_logs_in_binds_is_pushed_the_invitation_and_accepts(env):
    http, world = env.http, env.world
    student = world.student
    login = http.post("/api/v1/auth/wxa-login", json={"code": "dev:mp-e2e-student"}).get_json()
    assert login["bound"] is False
    bearer = {"Authorization": f"Bearer {login['token']}"}

    asked = http.post("/api/v1/auth/bind/student", headers=bearer, json={
        "school_code": world.school.code, "student_no": student.student_no, "name": student.name,
        "id_number": student.id_number})
    assert asked.status_code == 200, asked.get_json()
    sms = json.loads(redis_ext.client.lindex("wq:emu:sms", 0))
    assert sms["phone"] == asked.get_json()["phone_masked"]
    bound = http.post("/api/v1/auth/bind/student/confirm", headers=bearer, json={
        "sms_code": sms["code"], "email": "e2e@stu.example.edu.cn", "address": "长沙市岳麓区麓山南路2号"})
    assert bound.status_code == 200 and bound.get_json()["role"] == "student", bound.get_json()
    bearer = {"Authorization": f"Bearer {bound.get_json()['token']}"}

    follow = http.post("/_emulator/control/simulate-event", json={"openid": "oa-e2e-student",
                                                                  "event": "subscribe"})
    assert follow.status_code == 200

    hr_token = http.post("/api/v1/_test/token", json={"account_id": world.hr.id}).get_json()["token"]
    sent = http.post("/api/v1/employer/invitations", headers={"Authorization": f"Bearer {hr_token}"},
                     json={"student_ids": [student.id], "terms": terms_json()}).get_json()
    invitation_id = sent["results"][0]["invitation_id"]

    [message] = sent_messages(touser="oa-e2e-student")
    assert message["miniprogram"]["pagepath"] == f"pages/student/invitation/detail?id={invitation_id}"

    letter = http.get(f"/api/v1/student/invitations/{invitation_id}", headers=bearer).get_json()
    accepted = http.post(f"/api/v1/student/invitations/{invitation_id}/accept", headers=bearer,
                         json={"revision": letter["revision"], "confirm": True})
    assert accepted.status_code == 200 and accepted.get_json()["state"] == "college_review"


def test_employer_does_it_all_from_the_phone_and_the_student_is_told_by_subscribe_message(env):
    """Issue 11's promise: an employer searches (school picked by name), keeps the student in the
    send list, checks, previews and sends a letter, modifies it, and — once signed — asks for a
    termination, all through the mini-program API; the student, who only uses the mini-program,
    granted subscribe messages and is told of each step, and answers from the phone."""
    from app.extensions import db
    from app.models import Invitation
    from app.services import reviews
    from tests.factories import TEST_PASSWORD

    http, world = env.http, env.world
    student = world.student

    def wechat_login(code: str) -> dict:
        login = http.post("/api/v1/auth/wxa-login", json={"code": code}).get_json()
        return {"Authorization": f"Bearer {login['token']}"}

    # The employer binds its phone to its account (username and password).
    unbound = wechat_login("dev:mp-e2e-hr")
    bound = http.post("/api/v1/auth/bind/employer", headers=unbound,
                      json={"username": world.hr.username, "password": TEST_PASSWORD})
    assert bound.status_code == 200, bound.get_json()
    hr = {"Authorization": f"Bearer {bound.get_json()['token']}"}

    # The student is bound in the mini-program only and taps 允许 for the letter news.
    mini = env.mini(world.student_account, "mp-e2e-only")
    from app.api.auth import issue_token

    phone = {"Authorization": f"Bearer {issue_token(world.student_account.id, mini.id)}"}
    asked = http.get("/api/v1/subscriptions/templates?moment=student_letters", headers=phone).get_json()
    http.post("/api/v1/subscriptions", headers=phone, json={
        "moment": "student_letters", "results": {t: "accept" for t in asked["template_ids"]}})

    # 签约发起: the school by a part of its name, then the exact search, then the send list.
    part = world.school.name[:2]
    school = next(s for s in http.get(f"/api/v1/schools?q={part}", headers=hr).get_json()["items"]
                  if s["code"] == world.school.code)
    found = http.get("/api/v1/employer/students/search", headers=hr, query_string={
        "school_code": school["code"], "cohort": student.cohort, "name": student.name,
        "phone_or_id": student.phone}).get_json()["items"]
    assert [s["id"] for s in found] == [student.id]
    added = http.post("/api/v1/employer/favorites", headers=hr, json={"student_id": student.id})
    assert added.status_code == 200

    # The letter: checks, preview, send.
    letter = {"student_ids": [student.id], "terms": terms_json()}
    checks = http.post("/api/v1/employer/invitations/checks", headers=hr, json=letter).get_json()
    assert checks == {"checks": []}
    preview = http.post("/api/v1/employer/invitations/preview", headers=hr,
                        json={"student_id": student.id, "terms": letter["terms"]}).get_json()
    assert "我单位拟录用（聘用）你为 软件工程师 岗位员工" in preview["opening"]
    sent = http.post("/api/v1/employer/invitations", headers=hr, json=letter).get_json()
    invitation_id = sent["results"][0]["invitation_id"]
    [pushed] = sent_messages(touser="mp-e2e-only")
    assert pushed["kind"] == "subscribe"
    assert pushed["page"] == f"pages/student/invitation/detail?id={invitation_id}"

    # 修改邀约 before the answer: a new revision, which the student then accepts.
    modified = http.put(f"/api/v1/employer/invitations/{invitation_id}", headers=hr,
                        json=terms_json(regular_salary=12000))
    assert modified.status_code == 200 and modified.get_json()["revision"] == 2
    accepted = http.post(f"/api/v1/student/invitations/{invitation_id}/accept", headers=phone,
                         json={"revision": 2, "confirm": True})
    assert accepted.status_code == 200, accepted.get_json()
    reviews.approve_signing(world.actor(world.college_reviewer), invitation_id)
    reviews.approve_signing(world.actor(world.school_reviewer), invitation_id)
    db.session.expire_all()
    assert db.session.get(Invitation, invitation_id).state.value == "effective"

    # 申请解约 from the phone, with the notice read; the student agrees from theirs.
    notice = http.get(f"/api/v1/employer/agreements/{invitation_id}/termination-notice",
                      headers=hr).get_json()
    assert notice["limit_reached"] is False
    asked = http.post(f"/api/v1/employer/agreements/{invitation_id}/terminations", headers=hr,
                      json={"reason": "单位业务调整，经双方协商解除", "acknowledge": True})
    assert asked.status_code == 200, asked.get_json()
    termination = asked.get_json()
    mine = http.get("/api/v1/student/terminations", headers=phone).get_json()["items"]
    assert [(t["id"], t["initiated_by"], t["waiting_for_me"]) for t in mine] == [
        (termination["id"], "employer", True)]
    agreed = http.post(f"/api/v1/student/terminations/{termination['id']}/agree", headers=phone,
                       json={"confirm": True})
    assert agreed.status_code == 200 and agreed.get_json()["state"] == "college_review"
