"""/wechat/callback: signature, timestamp window, safe-mode AES, dedupe, follow state, scan hook."""
from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from sqlalchemy import select
from wechatpy.crypto import WeChatCrypto
from wechatpy.parser import parse_message

from app.clock import utcnow
from app.models.wechat import WechatApp, WechatIdentity
from tests.wechat_fixtures import *  # noqa: F401,F403
from tests.wechat_fixtures import sign
from wechat.clock import epoch_now

OPENID = "oa-chenba"


def official(emu_app) -> dict:
    return emu_app.config["WECHAT"]["OFFICIAL"]


def simulate(emu, **body) -> dict:
    response = emu.post("/_emulator/control/simulate-event", json={"openid": OPENID, **body})
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()


def identity(db_session, openid: str = OPENID) -> WechatIdentity | None:
    db_session.expire_all()
    return db_session.scalar(select(WechatIdentity).where(WechatIdentity.openid == openid))


def signed_query(emu_app, timestamp: int | None = None, **extra) -> dict:
    timestamp = str(timestamp or epoch_now())
    nonce = "1234567"
    return {"signature": sign(official(emu_app)["TOKEN"], timestamp, nonce),
            "timestamp": timestamp, "nonce": nonce, **extra}


def test_url_check_echoes_with_a_good_signature(emu, emu_app):
    """Does WeChat's server-URL check get its echostr back when signed with our token?"""
    response = emu.get("/wechat/callback", query_string=signed_query(emu_app, echostr="8361234"))
    assert response.status_code == 200 and response.get_data(as_text=True) == "8361234"


def test_url_check_with_a_bad_signature_is_403(emu, emu_app):
    """Is a request not signed with our token refused?"""
    query = signed_query(emu_app, echostr="8361234") | {"signature": "0" * 40}
    assert emu.get("/wechat/callback", query_string=query).status_code == 403


def test_subscribe_then_unsubscribe_updates_follow_state(emu, db_session):
    """Does following the account create the identity (unbound) and unfollowing clear it?"""
    result = simulate(emu, event="subscribe")
    assert result["status"] == 200 and result["response"] == "success"
    assert result["request"]["query_string"]["encrypt_type"] == "aes"
    row = identity(db_session)
    assert row.follows and row.followed_at is not None and row.account_id is None
    assert row.app == WechatApp.OFFICIAL and row.appid == "wxemu0fficial0001"

    simulate(emu, event="unsubscribe")
    row = identity(db_session)
    assert not row.follows and row.unfollowed_at is not None


def test_an_older_event_arriving_late_does_not_win(emu, db_session):
    """If an unsubscribe from 10 s ago arrives after a newer subscribe, does following stand?"""
    simulate(emu, event="subscribe")
    with time_machine.travel(utcnow() - timedelta(seconds=10), tick=False):
        simulate(emu, event="unsubscribe")
    assert identity(db_session).follows


def test_replayed_event_is_accepted_but_handled_once(emu, scan_calls):
    """Does WeChat's retry of the same encrypted SCAN get "success" without a second scan?"""
    sent = simulate(emu, event="SCAN", event_key="login:r1")["request"]
    replay = emu.post("/wechat/callback", query_string=sent["query_string"],
                      data=sent["body"].encode(), content_type="text/xml")
    assert replay.status_code == 200 and replay.get_data(as_text=True) == "success"
    assert scan_calls == [("login:r1", OPENID)]


def test_stale_replay_outside_the_window_is_403(emu, emu_app, scan_calls):
    """Is a captured request replayed 6 minutes later refused by the timestamp window?"""
    sent = simulate(emu, event="SCAN", event_key="login:old")["request"]
    with time_machine.travel(utcnow() + timedelta(seconds=360), tick=False):
        late = emu.post("/wechat/callback", query_string=sent["query_string"],
                        data=sent["body"].encode(), content_type="text/xml")
    assert late.status_code == 403
    future = signed_query(emu_app, epoch_now() + 3600, echostr="1")
    assert emu.get("/wechat/callback", query_string=future).status_code == 403


def test_doctype_payload_is_400(emu, emu_app, db_session):
    """Is an XML body with a DTD (entity expansion) refused before parsing?"""
    body = ('<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaaaaaa"><!ENTITY b "&a;&a;&a;">]>'
            f"<xml><ToUserName>gh</ToUserName><FromUserName>{OPENID}</FromUserName>"
            "<CreateTime>1</CreateTime><MsgType>event</MsgType><Event>subscribe</Event>"
            "<Encrypt>&b;</Encrypt></xml>")
    response = emu.post("/wechat/callback", data=body,
                        query_string=signed_query(emu_app, encrypt_type="aes", msg_signature="x"))
    assert response.status_code == 400
    assert identity(db_session) is None


def test_tampered_ciphertext_is_refused(emu, db_session):
    """Does a body whose msg_signature no longer matches get 403 and change nothing?"""
    sent = simulate(emu, event="SCAN", event_key="login:t")["request"]
    body = sent["body"].replace("<Encrypt><![CDATA[", "<Encrypt><![CDATA[AAAA")
    response = emu.post("/wechat/callback", query_string=sent["query_string"], data=body.encode())
    assert response.status_code == 403


def test_plain_message_is_refused_in_safe_mode(emu, emu_app):
    """In safe mode, is an unencrypted (plain) push refused?"""
    body = (f"<xml><ToUserName>gh</ToUserName><FromUserName>{OPENID}</FromUserName>"
            "<CreateTime>1</CreateTime><MsgType>event</MsgType><Event>subscribe</Event></xml>")
    response = emu.post("/wechat/callback", data=body, query_string=signed_query(emu_app))
    assert response.status_code == 400


def test_scan_event_calls_the_registered_hook(emu, scan_calls, db_session):
    """Does scanning a login QR (already following) hand the scene and openid to the hook?"""
    simulate(emu, event="SCAN", event_key="login:abc")
    assert scan_calls == [("login:abc", OPENID)]
    assert identity(db_session) is None  # a SCAN does not change follow state


def test_subscribe_through_a_qr_code_follows_and_scans(emu, scan_calls, db_session):
    """Does a first-time scan (subscribe with qrscene_) both follow and reach the hook?"""
    simulate(emu, event="subscribe", event_key="qrscene_login:xyz", ticket="gQticket")
    assert scan_calls == [("login:xyz", OPENID)]
    assert identity(db_session).follows


def test_scan_without_a_handler_is_ignored(emu):
    """With no QR-login handler registered, is a scan still answered "success"?"""
    assert simulate(emu, event="SCAN", event_key="login:none")["response"] == "success"


def test_text_message_gets_an_encrypted_chinese_help_reply(emu, emu_app):
    """Does a user typing to the account get an encrypted passive reply with the help text?"""
    result = simulate(emu, text="你好")
    query = result["request"]["query_string"]
    crypto = WeChatCrypto(official(emu_app)["TOKEN"], official(emu_app)["AES_KEY"],
                          official(emu_app)["APPID"])
    import xmltodict

    envelope = xmltodict.parse(result["response"])["xml"]
    reply = parse_message(crypto.decrypt_message(
        result["response"], envelope["MsgSignature"], envelope["TimeStamp"], query["nonce"]))
    assert reply.target == OPENID and "网签" in reply.content


@pytest.mark.parametrize("body", [b"", b"<xml><MsgType>event</MsgType></xml>", b"not xml"])
def test_malformed_bodies_are_400(emu, emu_app, body):
    """Are empty, incomplete and non-XML bodies refused with 400, not a 500?"""
    response = emu.post("/wechat/callback", data=body,
                        query_string=signed_query(emu_app, encrypt_type="aes", msg_signature="x"))
    assert response.status_code in (400, 403)


def test_follow_changes_reach_follow_handlers(emu):
    """Are (un)follows handed to every registered follow handler, with the event's time?"""
    from wechat import hooks

    seen: list[tuple[str, str, bool]] = []

    def record(appid: str, openid: str, follows: bool, at) -> None:
        assert at is not None
        seen.append((appid, openid, follows))

    hooks.on_follow(record)
    try:
        simulate(emu, event="subscribe")
        simulate(emu, event="unsubscribe")
    finally:
        hooks.remove(record)
    assert seen == [("wxemu0fficial0001", OPENID, True), ("wxemu0fficial0001", OPENID, False)]


def test_a_scan_handlers_text_becomes_the_passive_reply(emu, emu_app):
    """Does the phone get a QR log-in handler's text (the confirmation link) in the chat at once?"""
    from wechat import hooks

    def confirm_link(scene: str, openid: str) -> str:
        return f"请点击确认：https://example.test/wechat/qr/{scene}"

    hooks.on_scan(confirm_link)
    try:
        result = simulate(emu, event="SCAN", event_key="login:abc")
    finally:
        hooks.remove(confirm_link)
    crypto = WeChatCrypto(official(emu_app)["TOKEN"], official(emu_app)["AES_KEY"],
                          official(emu_app)["APPID"])
    import xmltodict

    envelope = xmltodict.parse(result["response"])["xml"]
    reply = parse_message(crypto.decrypt_message(
        result["response"], envelope["MsgSignature"], envelope["TimeStamp"],
        result["request"]["query_string"]["nonce"]))
    assert reply.content == "请点击确认：https://example.test/wechat/qr/login:abc"
