"""The emulator itself: mounting rules, WeChat-shaped answers, the page, the "scan as" flow."""
from __future__ import annotations

import json
from datetime import timedelta

import pytest
import time_machine

from flask import Flask

import wechat
from app.clock import utcnow
from app.extensions import db, redis_ext
from tests import conftest as _conftest
from tests.wechat_fixtures import *  # noqa: F401,F403
from wechat.emulator import sent_messages

OFFICIAL = {"appid": "wxemu0fficial0001", "secret": "03084169c81703e513c96a94f410e241"}
MESSAGE = {"touser": "oa-zhoujiu", "template_id": "tmpl-1",
           "url": "https://wq.example.edu.cn/invitations/9",
           "data": {"thing1": {"value": "请确认就业协议"}, "time2": {"value": "2025-06-01"}}}


def token(emu) -> str:
    body = emu.get("/_emulator/cgi-bin/token", query_string={"grant_type": "client_credential",
                                                             **OFFICIAL}).get_json()
    return body["access_token"]


def template_send(emu, access_token: str, message: dict) -> dict:
    return emu.post("/_emulator/cgi-bin/message/template/send",
                    query_string={"access_token": access_token}, json=message).get_json()


def test_emulator_is_not_mounted_by_default(client):
    """Does an app without WECHAT.EMULATOR answer 404 under /_emulator?"""
    assert client.get("/_emulator/").status_code == 404
    assert client.get("/_emulator/cgi-bin/token").status_code == 404


def test_only_the_development_entry_point_mounts_the_emulator(app):
    """Does the app factory leave the emulator out even with WECHAT.EMULATOR on, while
    devapp.py (make run, the tests) mounts it?"""
    import app as production
    import devapp

    config = _conftest.test_config(app.config["DATABASE_URL"]) | {"WECHAT": {"EMULATOR": True}}
    bare, dev = production.create_app(config), devapp.create_app(config)
    assert "wechat_emulator" not in bare.blueprints
    assert "wechat_emulator" in dev.blueprints
    assert bare.test_client().get("/_emulator/cgi-bin/token").status_code == 404
    for one in (bare, dev):
        with one.app_context():
            db.engine.dispose()


def test_emulator_is_refused_in_production():
    """Does a production app with the emulator switched on refuse to start?"""
    bare = Flask(__name__)
    bare.config.update(ENV="production", WECHAT={"EMULATOR": True})
    with pytest.raises(RuntimeError, match="emulator"):
        wechat.init_app(bare, redis=lambda: None)
    assert "wechat_emulator" not in bare.blueprints


def test_token_errors_have_wechats_codes(emu):
    """Unknown appid 40013, wrong secret 40001, bad grant_type 40002, missing token 41001."""
    get = lambda **q: emu.get("/_emulator/cgi-bin/token", query_string=q).get_json()  # noqa: E731
    assert get(grant_type="client_credential", appid="wxnope", secret="x")["errcode"] == 40013
    assert get(grant_type="client_credential", appid=OFFICIAL["appid"],
               secret="x")["errcode"] == 40001
    assert get(grant_type="password", **OFFICIAL)["errcode"] == 40002
    assert template_send(emu, "", MESSAGE)["errcode"] == 41001


def test_tokens_expire_after_two_hours(emu):
    """Is a token good for 7200 s and answered 42001 after that?"""
    access_token = token(emu)
    with time_machine.travel(utcnow() + timedelta(seconds=7100), tick=False):
        assert template_send(emu, access_token, MESSAGE)["errcode"] == 0
    with time_machine.travel(utcnow() + timedelta(seconds=7201), tick=False):
        assert template_send(emu, access_token, MESSAGE)["errcode"] == 42001


def test_stable_token_is_stable_until_forced(emu):
    """Does stable_token return the same token until force_refresh, which invalidates the old?"""
    post = lambda force: emu.post("/_emulator/cgi-bin/stable_token", json={  # noqa: E731
        "grant_type": "client_credential", "force_refresh": force, **OFFICIAL}).get_json()
    first, again = post(False), post(False)
    assert first["access_token"] == again["access_token"] and again["expires_in"] <= 7200
    forced = post(True)
    assert forced["access_token"] != first["access_token"]
    assert template_send(emu, first["access_token"], MESSAGE)["errcode"] == 40001
    assert template_send(emu, forced["access_token"], MESSAGE)["errcode"] == 0


@pytest.mark.parametrize(("change", "errcode"), [
    ({"touser": ""}, 40003),
    ({"template_id": ""}, 40037),
    ({"data": {}}, 47003),
    ({"data": {"thing1": {"value": "超" * 21}}}, 47003),
    ({"data": {"thing1": {"value": ""}}}, 47003),
    ({"data": {"thing1": "not an object"}}, 47003),
    ({"miniprogram": {"appid": "wxsomeoneelse", "pagepath": "pages/x"}}, 40166),
])
def test_template_send_validates_like_wechat(emu, change, errcode):
    """Does a malformed template message get WeChat's errcode and stay unrecorded?"""
    body = template_send(emu, token(emu), MESSAGE | change)
    assert body["errcode"] == errcode and "rid:" in body["errmsg"]
    assert sent_messages() == []


def test_template_send_to_an_unfollower_is_43004(emu):
    """After the user unfollows the account, does sending answer 43004 (require subscribe)?"""
    emu.post("/_emulator/control/simulate-event",
             json={"openid": MESSAGE["touser"], "event": "unsubscribe"})
    assert template_send(emu, token(emu), MESSAGE)["errcode"] == 43004


def test_daily_quota_gives_45009(emu, emu_app, monkeypatch):
    """Past MESSAGE_DAILY_QUOTA sends in a day, does WeChat answer 45009?"""
    monkeypatch.setitem(emu_app.config["WECHAT"], "MESSAGE_DAILY_QUOTA", 2)
    access_token = token(emu)
    codes = [template_send(emu, access_token, MESSAGE)["errcode"] for _ in range(3)]
    assert codes == [0, 0, 45009]


def test_sent_messages_and_sms_codes_show_on_the_page(emu):
    """Does /_emulator/ list each user's messages with their link, and the SMS codes sent?"""
    msgid = template_send(emu, token(emu), MESSAGE)["msgid"]
    redis_ext.client.lpush("wq:emu:sms", json.dumps({"phone": "13800138000", "code": "482913",
                                                     "at": 1750000000}))
    [recorded] = sent_messages("oa-zhoujiu")
    assert recorded["msgid"] == msgid and recorded["data"]["thing1"]["value"] == "请确认就业协议"
    page = emu.get("/_emulator/").get_data(as_text=True)
    assert "oa-zhoujiu" in page and "请确认就业协议" in page
    assert 'href="https://wq.example.edu.cn/invitations/9"' in page
    assert "13800138000" in page and "482913" in page


def test_subscribe_message_is_recorded_with_its_page(emu):
    """Is a mini-program subscribe message recorded with the page it opens?"""
    mini_token = emu.get("/_emulator/cgi-bin/token", query_string={
        "grant_type": "client_credential", "appid": "wxemu0miniprog001",
        "secret": "d6c6e483c9fde73a4a0519ea68e1b67e"}).get_json()["access_token"]
    body = emu.post("/_emulator/cgi-bin/message/subscribe/send",
                    query_string={"access_token": mini_token},
                    json={"touser": "mp-zhoujiu", "template_id": "sub-1",
                          "page": "pages/agreement/detail?id=3",
                          "data": {"thing1": {"value": "协议已审核通过"}}}).get_json()
    assert body["errcode"] == 0
    assert sent_messages("mp-zhoujiu")[0]["page"] == "pages/agreement/detail?id=3"
    assert "pages/agreement/detail?id=3" in emu.get("/_emulator/").get_data(as_text=True)


def test_scanning_a_login_qr_as_a_user_reaches_the_hook(emu, scan_calls):
    """Can a tester open a live QR from the page and "scan" it as a user, first and again?"""
    ticket = emu.post("/_emulator/cgi-bin/qrcode/create", query_string={"access_token": token(emu)},
                      json={"expire_seconds": 300, "action_name": "QR_STR_SCENE",
                            "action_info": {"scene": {"scene_str": "login:t1"}}}).get_json()["ticket"]
    assert f"/_emulator/scan/{ticket}" in emu.get("/_emulator/").get_data(as_text=True)
    assert "选择扫码的微信用户" in emu.get(f"/_emulator/scan/{ticket}").get_data(as_text=True)

    first = emu.get(f"/_emulator/scan/{ticket}/as", query_string={"openid": "oa-wu"})
    assert first.status_code == 200 and "已扫码" in first.get_data(as_text=True)
    emu.get(f"/_emulator/scan/{ticket}/as", query_string={"openid": "oa-wu"})
    assert scan_calls == [("login:t1", "oa-wu"), ("login:t1", "oa-wu")]  # subscribe, then SCAN


def test_expired_qr_cannot_be_scanned(emu):
    """After expire_seconds, is the scan page a 404 that says the code expired?"""
    ticket = emu.post("/_emulator/cgi-bin/qrcode/create", query_string={"access_token": token(emu)},
                      json={"expire_seconds": 60, "action_name": "QR_STR_SCENE",
                            "action_info": {"scene": {"scene_str": "login:t2"}}}).get_json()["ticket"]
    with time_machine.travel(utcnow() + timedelta(seconds=61), tick=False):
        page = emu.get(f"/_emulator/scan/{ticket}")
    assert page.status_code == 404 and "已过期" in page.get_data(as_text=True)


def test_oauth_page_refuses_an_unknown_appid(emu):
    """Does the authorize page explain a wrong appid in Chinese instead of issuing codes?"""
    page = emu.get("/_emulator/connect/oauth2/authorize", query_string={
        "appid": "wxnope", "redirect_uri": "https://x.example/cb", "response_type": "code",
        "scope": "snsapi_base"})
    assert page.status_code == 400 and "appid 参数错误" in page.get_data(as_text=True)


def test_phone_number_code_works_once(emu):
    """Does getuserphonenumber turn "dev:<phone>" into the number once, then 40163?"""
    mini_token = emu.get("/_emulator/cgi-bin/token", query_string={
        "grant_type": "client_credential", "appid": "wxemu0miniprog001",
        "secret": "d6c6e483c9fde73a4a0519ea68e1b67e"}).get_json()["access_token"]
    call = lambda code: emu.post("/_emulator/wxa/business/getuserphonenumber",  # noqa: E731
                                 query_string={"access_token": mini_token},
                                 json={"code": code}).get_json()
    assert call("dev:13912345678")["phone_info"]["purePhoneNumber"] == "13912345678"
    assert call("dev:13912345678")["errcode"] == 40163
    assert call("nonsense")["errcode"] == 40029


@pytest.mark.parametrize("body", [{"api": "nope", "errcode": 1}, {"api": "template_send"},
                                  {"api": "template_send", "errcode": 45009, "times": -1}])
def test_control_fail_rejects_bad_instructions(emu, body):
    """Is a failure instruction the emulator cannot follow answered 400?"""
    assert emu.post("/_emulator/control/fail", json=body).status_code == 400


def test_user_info_tells_whether_the_user_follows(emu):
    """Does cgi-bin/user/info say subscribe=1 with a unionid after following, 0 before?"""
    access_token = token(emu)
    info = lambda openid: emu.get("/_emulator/cgi-bin/user/info", query_string={  # noqa: E731
        "access_token": access_token, "openid": openid}).get_json()
    assert info("oa-zheng")["subscribe"] == 0
    emu.post("/_emulator/control/simulate-event", json={"openid": "oa-zheng", "event": "subscribe"})
    followed = info("oa-zheng")
    assert followed["subscribe"] == 1 and followed["unionid"].startswith("oemuU")
