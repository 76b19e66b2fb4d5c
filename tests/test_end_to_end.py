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
