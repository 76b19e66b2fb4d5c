"""wechatpy clients against the emulator over real HTTP: token cache, refresh, retries, errors."""
from __future__ import annotations

import threading
from datetime import timedelta

import pytest
import requests
import time_machine
from wechatpy.exceptions import APILimitedException, WeChatClientException

from app.clock import utcnow
from app.extensions import redis_ext
from tests.wechat_fixtures import *  # noqa: F401,F403
from wechat.clients import REDIS_PREFIX, build_client, official_client
from wechat.emulator import calls
from wechat.exceptions import AccessTokenError, WeChatNetworkError

OPENID = "oa-zhangsan"
TEMPLATE = "tmpl-signing-invitation"
DATA = {"thing1": {"value": "星河科技邀请你签约"}, "time2": {"value": "2025-06-01 10:00"}}


def send(client, openid: str = OPENID) -> dict:
    return client.message.send_template(
        openid, TEMPLATE, DATA, url="https://wq.example.edu.cn/invitations/7",
        mini_program={"appid": "wxemu0miniprog001", "pagepath": "pages/invitation/detail?id=7"})


def control(app, path: str, body: dict) -> dict:
    response = app.test_client().post(f"/_emulator/control/{path}", json=body)
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()


def cached_token(app) -> str | None:
    raw = redis_ext.client.get(f"{REDIS_PREFIX}:{app.config['WECHAT']['OFFICIAL']['APPID']}"
                               "_access_token")
    return None if raw is None else raw.decode().strip('"')


def test_token_comes_from_stable_token_and_is_shared_through_redis(live):
    """Does one stable_token fetch serve a second client instance (another process) from Redis?"""
    first = official_client()
    assert send(first)["errcode"] == 0
    assert calls("stable_token") == 1 and calls("token") == 0
    token = cached_token(live)
    assert token and 0 < redis_ext.client.ttl(f"{REDIS_PREFIX}:wxemu0fficial0001_access_token") <= 7140

    other = build_client(live.config["WECHAT"], "OFFICIAL", redis_ext.client)
    assert other is not first and other.access_token == token
    assert send(other)["errcode"] == 0
    assert calls("stable_token") == 1 and calls("template_send") == 2


def test_many_processes_needing_a_token_fetch_it_once(live):
    """Do eight cold clients asking at once share one fetch (lock) instead of stampeding?"""
    clients = [build_client(live.config["WECHAT"], "OFFICIAL", redis_ext.client) for _ in range(8)]
    barrier = threading.Barrier(len(clients))
    tokens: list[str] = []

    def work(client) -> None:
        barrier.wait()
        tokens.append(client.access_token)

    threads = [threading.Thread(target=work, args=(c,)) for c in clients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=10)
    assert len(tokens) == 8 and len(set(tokens)) == 1
    assert calls("stable_token") == 1


def test_invalidated_token_is_refreshed_once_and_the_call_succeeds(live):
    """After WeChat drops our token (40001), is it refreshed exactly once and the send retried?"""
    client = official_client()
    old = client.access_token
    control(live, "invalidate-tokens", {})
    assert send(client)["errcode"] == 0
    assert calls("template_send") == 2  # the 40001 and the retry
    assert calls("stable_token") == 2  # the first fetch and one refresh
    assert cached_token(live) not in (None, old)


def test_rejected_token_that_is_still_current_gets_force_refreshed(live):
    """When stable_token hands back the very token WeChat rejected, is force_refresh used?"""
    client = official_client()
    old = client.access_token
    control(live, "fail", {"api": "template_send", "errcode": 40001, "times": 1})
    assert send(client)["errcode"] == 0
    assert calls("stable_token") == 3  # first fetch, normal refresh (same token), forced refresh
    assert cached_token(live) != old


def test_permanent_40001_gives_up_after_one_refresh(live):
    """Does a token error that never goes away raise after one retry, not recurse forever?"""
    client = official_client()
    _ = client.access_token  # fetch and cache a token first
    control(live, "fail", {"api": "template_send", "errcode": 40001, "times": 50})
    with pytest.raises(WeChatClientException) as info:
        send(client)
    assert info.value.errcode == 40001
    assert calls("template_send") == 2


@pytest.mark.parametrize("errcode", [45009, 43004, -1])
def test_programmed_failures_surface_with_their_errcode(live, errcode):
    """Do quota, not-following and busy errors reach the caller with WeChat's errcode, unretried?"""
    control(live, "fail", {"api": "template_send", "errcode": errcode, "times": 1})
    with pytest.raises(WeChatClientException) as info:
        send(official_client())
    assert info.value.errcode == errcode
    assert isinstance(info.value, APILimitedException) == (errcode == 45009)
    assert calls("template_send") == 1
    assert send(official_client())["errcode"] == 0  # only the next call was told to fail


def test_expired_token_is_replaced(live):
    """Two hours later, is a new token used (cache expiry or 42001 + refresh) and the send ok?"""
    client = official_client()
    old = client.access_token
    with time_machine.travel(utcnow() + timedelta(seconds=7201), tick=False):
        assert send(client)["errcode"] == 0
        assert cached_token(live) not in (None, old)


def test_unreachable_wechat_raises_a_network_error(live):
    """Does a refused connection surface as WeChatNetworkError, not a raw requests exception?"""
    settings = dict(live.config["WECHAT"], API_BASE="http://127.0.0.1:9/_emulator",
                    HTTP_TIMEOUT=0.5)
    client = build_client(settings, "OFFICIAL", redis_ext.client)
    with pytest.raises(WeChatNetworkError) as info:
        _ = client.access_token
    assert info.value.errcode is None and info.value.retryable


def test_wrong_secret_is_an_access_token_error(live):
    """Does a misconfigured AppSecret raise AccessTokenError with WeChat's 40125?"""
    settings = dict(live.config["WECHAT"], OFFICIAL=dict(live.config["WECHAT"]["OFFICIAL"],
                                                         SECRET="wrong"))
    client = build_client(settings, "OFFICIAL", redis_ext.client)
    with pytest.raises(AccessTokenError) as info:
        send(client)
    assert info.value.errcode == 40125


def test_parametric_qr_code_ticket_and_image(live):
    """Does qrcode/create give a temporary ticket whose showqrcode PNG exists until it expires?"""
    client = official_client()
    result = client.qrcode.create({"expire_seconds": 120, "action_name": "QR_STR_SCENE",
                                   "action_info": {"scene": {"scene_str": "login:abc123"}}})
    assert result["expire_seconds"] == 120 and result["ticket"]
    image = requests.get(client.showqrcode_url(result["ticket"]), timeout=5)
    assert image.status_code == 200 and image.content.startswith(b"\x89PNG")
    with time_machine.travel(utcnow() + timedelta(seconds=121), tick=False):
        assert requests.get(client.showqrcode_url(result["ticket"]), timeout=5).status_code == 404


def test_miniprogram_code_image_and_scene_check(live):
    """Does getwxacodeunlimit return a PNG for a valid scene and 40169 for an overlong one?"""
    from wechat.clients import miniprogram_client

    image = miniprogram_client().wxa.get_wxa_code_unlimited("inv=7", page="pages/index/index")
    assert image.content.startswith(b"\x89PNG")
    with pytest.raises(WeChatClientException) as info:
        miniprogram_client().wxa.get_wxa_code_unlimited("x" * 33)
    assert info.value.errcode == 40169


def test_a_repeated_client_msg_id_is_sent_once(live):
    """Does a retried template send with the same client_msg_id get the first msgid back and
    reach the user once, as WeChat de-duplicates it?"""
    client = official_client()
    body = {"touser": OPENID, "template_id": "TPL_INVITATION_RECEIVED",
            "data": {"thing1": {"value": "星辰软件"}}, "client_msg_id": "wq-outbox-1-dedupe"}
    first = client.post("message/template/send", data=body)
    second = client.post("message/template/send", data=body)
    assert first["errcode"] == second["errcode"] == 0 and first["msgid"] == second["msgid"]
    page = live.test_client().get("/_emulator/").get_data(as_text=True)
    assert page.count("星辰软件") == 1
