"""Mini-program log-in and binding through the WeChat emulator: wxa-login, student binding
with the SMS code, employer binding with lockout, unbind, rebind, log-out."""
from __future__ import annotations

import json
from datetime import timedelta

import pytest
import time_machine
from sqlalchemy import select

from app.clock import utcnow
from app.models import Account, AccountEvent, Role
from app.models.wechat import WechatApp, WechatIdentity
from app.services.binding import SESSION_KEY_PREFIX, session_key_of
from tests.factories import TEST_PASSWORD, StudentFactory
from tests.wechat_fixtures import *  # noqa: F401,F403

API = "/api/v1"


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


def wxa_login(wx, openid: str) -> dict:
    """Log in as ``openid``; the emulator's dev codes are single-use, so a repeat log-in of the
    same user first forgets the used code (a real phone gets a new code from each wx.login)."""
    from wechat.emulator.core import key, store

    store().delete(key("used", "jscode", f"dev:{openid}"))
    response = wx.post(f"{API}/auth/wxa-login", json={"code": f"dev:{openid}"})
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()


def details(student, **changes) -> dict:
    return {"school_code": student.school.code, "student_no": student.student_no,
            "name": student.name, "id_number": student.id_number, **changes}


def last_sms_code(redis_client) -> str:
    return json.loads(redis_client.lindex("wq:emu:sms", 0))["code"]


CONFIRM = {"email": "zhang@example.edu.cn", "address": "湖南省长沙市岳麓区麓山南路932号"}


def bind_student(wx, redis_client, student, openid: str, ip: str = "198.51.100.7") -> dict:
    token = wxa_login(wx, openid)["token"]
    env = {"REMOTE_ADDR": ip}
    started = wx.post(f"{API}/auth/bind/student", json=details(student), headers=bearer(token),
                      environ_base=env)
    assert started.status_code == 200, started.get_data(as_text=True)
    confirmed = wx.post(f"{API}/auth/bind/student/confirm", headers=bearer(token), environ_base=env,
                        json={"sms_code": last_sms_code(redis_client), **CONFIRM})
    assert confirmed.status_code == 200, confirmed.get_data(as_text=True)
    return {"unbound_token": token, **confirmed.get_json()}


def events(db_session, action: str) -> list[AccountEvent]:
    return list(db_session.scalars(select(AccountEvent).where(AccountEvent.action == action)))


def test_wxa_login_gives_an_unbound_token_that_may_only_bind(wx, db_session, redis_client):
    """Does a first mini-program log-in answer bound=false, keep the session_key server-side
    only, and refuse the student pages until the account is bound?"""
    body = wxa_login(wx, "mp-newcomer")
    assert body["bound"] is False and body["role"] is None and body["token"]
    assert "session_key" not in json.dumps(body)
    identity = db_session.scalar(select(WechatIdentity).where(WechatIdentity.openid == "mp-newcomer"))
    assert identity.app == WechatApp.MINIPROGRAM and identity.unionid and identity.account_id is None
    stored = redis_client.get(SESSION_KEY_PREFIX + str(identity.id)).decode()
    assert session_key_of(identity.id) not in stored  # encrypted at rest, readable by the server
    home = wx.get(f"{API}/student/home", headers=bearer(body["token"]))
    assert home.status_code == 403 and home.get_json()["error"]["code"] == "BINDING_REQUIRED"


@pytest.mark.parametrize(("errcode", "status", "code"), [
    (45011, 429, "WX_RATE_LIMITED"), (-1, 503, "WECHAT_UNAVAILABLE")])
def test_wechat_refusals_become_clear_errors(wx, errcode, status, code):
    """When WeChat rate-limits or is busy, does the mini-program get a Chinese message and a
    status it can act on (retry later) instead of a 500?"""
    wx.post("/_emulator/control/fail", json={"api": "jscode2session", "errcode": errcode})
    response = wx.post(f"{API}/auth/wxa-login", json={"code": "dev:mp-unlucky"})
    assert response.status_code == status and response.get_json()["error"]["code"] == code
    assert response.get_json()["error"]["message"]
    if status == 429:
        assert int(response.headers["Retry-After"]) > 0


def test_bad_and_reused_codes_are_400(wx):
    """Is a code WeChat never issued, or one already used, refused with 400 and a reason?"""
    bad = wx.post(f"{API}/auth/wxa-login", json={"code": "garbage"})
    assert bad.status_code == 400 and bad.get_json()["error"]["code"] == "WX_CODE_INVALID"
    wx.post(f"{API}/auth/wxa-login", json={"code": "dev:mp-once"})
    reused = wx.post(f"{API}/auth/wxa-login", json={"code": "dev:mp-once"})
    assert reused.status_code == 400 and reused.get_json()["error"]["code"] == "WX_CODE_USED"
    assert "已被使用" in reused.get_json()["error"]["message"]


def test_student_binds_with_the_sms_code_and_sees_home(wx, world, db_session, redis_client):
    """Details → SMS code to the phone on file → email and address → a token that opens the
    student home; the binding is audited with the IP; the next log-in is already bound."""
    student = world.other_college_student  # has no account yet: one is created
    token = wxa_login(wx, "mp-zhang")["token"]
    started = wx.post(f"{API}/auth/bind/student", json=details(student), headers=bearer(token))
    assert started.get_json() == {"phone_masked": student.phone[:3] + "****" + student.phone[-4:]}
    code = last_sms_code(redis_client)
    assert len(code) == 6 and code.isdigit()
    assert code.encode() not in b"".join(v for v in redis_client.hvals(
        next(redis_client.scan_iter("wq:sms:code:*"))))  # stored as an HMAC only

    body = wx.post(f"{API}/auth/bind/student/confirm", headers=bearer(token),
                   json={"sms_code": code, **CONFIRM}, environ_base={"REMOTE_ADDR": "198.51.100.7"})
    assert body.status_code == 200, body.get_data(as_text=True)
    result = body.get_json()
    assert result["bound"] is True and result["role"] == "student"
    assert result["profile"]["student_no"] == student.student_no
    home = wx.get(f"{API}/student/home", headers=bearer(result["token"]))
    assert home.status_code == 200 and home.get_json()["profile"]["name"] == student.name
    assert wx.get(f"{API}/student/home", headers=bearer(token)).status_code == 401  # replaced

    db_session.expire_all()
    assert (student.email, student.address) == (CONFIRM["email"], CONFIRM["address"])
    account = db_session.scalar(select(Account).where(Account.student_id == student.id))
    assert account.role == Role.STUDENT and account.school_id == student.school_id
    [bind] = events(db_session, "bind")
    assert bind.account_id == account.id and bind.ip == "198.51.100.7"
    again = wxa_login(wx, "mp-zhang")
    assert again["bound"] is True and again["role"] == "student"


@pytest.mark.parametrize("field", ["school_code", "student_no", "name", "id_number"])
def test_wrong_details_get_one_generic_answer(wx, world, field):
    """Whichever field is wrong, is the answer the same (nothing to enumerate) and no SMS sent?"""
    wrong = {"school_code": "99999", "student_no": "X1", "name": "无此人",
             "id_number": world.student2.id_number}[field]
    token = wxa_login(wx, "mp-guess")["token"]
    response = wx.post(f"{API}/auth/bind/student", json=details(world.student, **{field: wrong}),
                       headers=bearer(token))
    assert response.status_code == 400
    error = response.get_json()["error"]
    assert error["code"] == "STUDENT_NOT_MATCHED" and error["fields"] == {}
    assert "核对学校代码、学号、姓名和身份证号" in error["message"]


def test_guessing_details_is_limited_per_identity(wx, world):
    """After 5 wrong attempts in an hour, is the 6th refused with 429 even when it is right?"""
    token = wxa_login(wx, "mp-guesser")["token"]
    for n in range(5):
        wrong = wx.post(f"{API}/auth/bind/student", headers=bearer(token),
                        json=details(world.student, student_no=f"NO{n}"))
        assert wrong.status_code == 400
    right = wx.post(f"{API}/auth/bind/student", json=details(world.student), headers=bearer(token))
    assert right.status_code == 429 and int(right.headers["Retry-After"]) > 0


def test_wrong_sms_code_five_times_locks_the_code(wx, world, redis_client):
    """Are 5 wrong codes the limit, after which even the right code is refused?"""
    token = wxa_login(wx, "mp-fumble")["token"]
    wx.post(f"{API}/auth/bind/student", json=details(world.student), headers=bearer(token))
    code = last_sms_code(redis_client)
    wrong = "000000" if code != "000000" else "111111"
    answers = [wx.post(f"{API}/auth/bind/student/confirm", headers=bearer(token),
                       json={"sms_code": wrong, **CONFIRM}).get_json()["error"]["code"]
               for _ in range(5)]
    assert answers == ["SMS_CODE_WRONG"] * 4 + ["SMS_CODE_LOCKED"]
    late = wx.post(f"{API}/auth/bind/student/confirm", headers=bearer(token),
                   json={"sms_code": code, **CONFIRM})
    assert late.status_code == 400 and late.get_json()["error"]["code"] == "SMS_CODE_LOCKED"


def test_sms_code_expires_after_ten_minutes(wx, world, redis_client):
    """Is a code entered 10 minutes and 1 second after it was sent refused as expired?"""
    token = wxa_login(wx, "mp-slow")["token"]
    with time_machine.travel(utcnow(), tick=False) as clock:
        wx.post(f"{API}/auth/bind/student", json=details(world.student), headers=bearer(token))
        clock.shift(timedelta(minutes=10, seconds=1))
        late = wx.post(f"{API}/auth/bind/student/confirm", headers=bearer(token),
                       json={"sms_code": last_sms_code(redis_client), **CONFIRM})
    assert late.status_code == 400 and late.get_json()["error"]["code"] == "SMS_CODE_EXPIRED"


def test_sms_is_sent_at_most_once_a_minute_per_phone(wx, world):
    """Does asking for a second code within the minute get 429 with Retry-After, and a minute
    later a new code?"""
    token = wxa_login(wx, "mp-eager")["token"]
    with time_machine.travel(utcnow(), tick=False) as clock:
        first = wx.post(f"{API}/auth/bind/student", json=details(world.student), headers=bearer(token))
        again = wx.post(f"{API}/auth/bind/student", json=details(world.student), headers=bearer(token))
        assert first.status_code == 200 and again.status_code == 429
        assert again.get_json()["error"]["code"] == "RATE_LIMITED"
        assert 1 <= int(again.headers["Retry-After"]) <= 60
        clock.shift(timedelta(seconds=61))
        later = wx.post(f"{API}/auth/bind/student", json=details(world.student), headers=bearer(token))
    assert later.status_code == 200


def test_a_repeated_bind_request_with_its_idempotency_key_gets_the_first_answer(wx, world,
                                                                              redis_client):
    """When the phone repeats the request after a lost answer, does it get the first answer
    (the code already sent) instead of a rate-limit error, and no second SMS?"""
    token = wxa_login(wx, "mp-flaky")["token"]
    headers = {**bearer(token), "Idempotency-Key": "bind-0001-abcd"}
    first = wx.post(f"{API}/auth/bind/student", json=details(world.student), headers=headers)
    again = wx.post(f"{API}/auth/bind/student", json=details(world.student), headers=headers)
    assert again.status_code == 200 and again.get_json() == first.get_json()
    assert again.headers["Idempotent-Replayed"] == "true" and redis_client.llen("wq:emu:sms") == 1


def test_student_without_a_phone_on_file_is_told_to_ask_the_school(wx, world):
    """Can a student whose school recorded no phone learn why binding cannot proceed?"""
    student = StudentFactory(major=world.major, phone=None)
    token = wxa_login(wx, "mp-nophone")["token"]
    response = wx.post(f"{API}/auth/bind/student", json=details(student), headers=bearer(token))
    assert response.status_code == 409 and response.get_json()["error"]["code"] == "NO_PHONE_ON_FILE"


def test_rebinding_moves_the_account_and_logs_the_old_phone_out(wx, world, db_session, redis_client):
    """When the student binds from a second WeChat, is the first unbound, its token revoked,
    and the rebind audited?"""
    first = bind_student(wx, redis_client, world.student, "mp-oldphone")
    redis_client.delete(*redis_client.keys("wq:rl:sms-phone*"))  # the minute limit, not tested here
    second = bind_student(wx, redis_client, world.student, "mp-newphone")
    assert wx.get(f"{API}/student/home", headers=bearer(first["token"])).status_code == 401
    assert wx.get(f"{API}/student/home", headers=bearer(second["token"])).status_code == 200
    db_session.expire_all()
    old = db_session.scalar(select(WechatIdentity).where(WechatIdentity.openid == "mp-oldphone"))
    assert old.account_id is None
    [rebind] = events(db_session, "rebind")
    assert rebind.account_id == world.student_account.id and old.id in rebind.detail["previous_identities"]
    assert wxa_login(wx, "mp-oldphone")["bound"] is False


def test_employer_user_binds_by_password_with_lockout(wx, world, db_session):
    """Do 5 wrong passwords lock the account for 15 minutes (even the right password is refused),
    and does it bind afterwards?"""
    token = wxa_login(wx, "mp-hr")["token"]
    url, creds = f"{API}/auth/bind/employer", {"username": world.hr.username}
    with time_machine.travel(utcnow(), tick=False) as clock:
        codes = [wx.post(url, json={**creds, "password": "wrong"}, headers=bearer(token))
                 for _ in range(5)]
        assert [r.status_code for r in codes] == [400] * 4 + [429]
        assert codes[0].get_json()["error"]["code"] == "BAD_CREDENTIALS"
        locked = wx.post(url, json={**creds, "password": TEST_PASSWORD}, headers=bearer(token))
        assert locked.status_code == 429 and locked.get_json()["error"]["code"] == "ACCOUNT_LOCKED"
        assert 800 < int(locked.headers["Retry-After"]) <= 900
        clock.shift(timedelta(minutes=15, seconds=1))
        bound = wx.post(url, json={**creds, "password": TEST_PASSWORD}, headers=bearer(token))
    assert bound.status_code == 200 and bound.get_json()["role"] == "employer_user"
    assert bound.get_json()["profile"]["employer"] == world.employer.name
    assert len(events(db_session, "lockout")) == 1 and len(events(db_session, "bind")) == 1
    unknown = wx.post(url, json={"username": "nobody", "password": "x"},
                      headers=bearer(wxa_login(wx, "mp-hr2")["token"]))
    assert unknown.get_json()["error"]["code"] == "BAD_CREDENTIALS"  # same as a wrong password


def test_unbind_revokes_every_token_of_the_account(wx, world, db_session, redis_client):
    """After unbinding, do the account's tokens stop working, and does the next log-in start
    unbound?"""
    bound = bind_student(wx, redis_client, world.student, "mp-leaving")
    response = wx.post(f"{API}/auth/unbind", headers=bearer(bound["token"]))
    assert response.status_code == 200
    assert wx.get(f"{API}/student/home", headers=bearer(bound["token"])).status_code == 401
    assert wxa_login(wx, "mp-leaving")["bound"] is False
    assert [e.account_id for e in events(db_session, "unbind")] == [world.student_account.id]


def test_logout_ends_only_this_token(wx, world, redis_client):
    """Does log-out end the token it was called with?"""
    bound = bind_student(wx, redis_client, world.student, "mp-bye")
    assert wx.post(f"{API}/auth/logout", headers=bearer(bound["token"])).status_code == 200
    assert wx.get(f"{API}/student/home", headers=bearer(bound["token"])).status_code == 401


def test_following_the_official_account_after_binding_links_the_same_person(emu, emu_app, world,
                                                                             db_session, monkeypatch):
    """A student bound in the mini-program later follows the official account: is the follower's
    identity linked to the student's account (via user/info's unionid), so pushes can reach them?"""
    from app.models import WechatIdentity
    from app.services import binding
    from wechat import clients
    from wechat.emulator.core import unionid_for

    class FakeUsers:  # user/info itself is covered by the emulator's tests
        def get(self, openid):
            return {"subscribe": 1, "openid": openid, "unionid": unionid_for(openid)}

    monkeypatch.setattr(clients, "official_client", lambda: type("C", (), {"user": FakeUsers()})())
    with emu_app.app_context():
        mini = binding.upsert_identity(WechatApp.MINIPROGRAM, emu_app.config["WECHAT"]["MINIPROGRAM"]["APPID"],
                                       "mp-follow", unionid_for("mp-follow"))
        mini.account_id = world.student_account.id
        db_session.commit()
    answer = emu.post("/_emulator/control/simulate-event", json={"openid": "oa-follow", "event": "subscribe"})
    assert answer.status_code == 200
    official = db_session.scalar(select(WechatIdentity).where(WechatIdentity.openid == "oa-follow"))
    assert official is not None and official.follows
    assert official.account_id == world.student_account.id
