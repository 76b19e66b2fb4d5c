"""Push a message or event to our own /wechat/callback exactly as WeChat's servers would."""
from __future__ import annotations

import hashlib
import random
import re
from typing import Any
from xml.sax.saxutils import escape

from flask import current_app
from wechatpy.crypto import WeChatCrypto

from wechat.emulator.core import now, remember_user, settings
from wechat.emulator.users import set_following


def original_id() -> str:
    """The official account's original id (gh_…), as ToUserName carries it."""
    return "gh_" + hashlib.sha1(settings()["OFFICIAL"]["APPID"].encode()).hexdigest()[:12]


def _cdata(value: str) -> str:
    return "<![CDATA[" + value.replace("]]>", "]]]]><![CDATA[>") + "]]>"


def event_xml(openid: str, event: str, event_key: str | None = None,
              ticket: str | None = None, create_time: int | None = None) -> str:
    fields = [("ToUserName", _cdata(original_id())), ("FromUserName", _cdata(openid)),
              ("CreateTime", str(create_time or now())), ("MsgType", _cdata("event")),
              ("Event", _cdata(event))]
    if event_key is not None:
        fields.append(("EventKey", _cdata(event_key)))
    if ticket:
        fields.append(("Ticket", _cdata(ticket)))
    return "<xml>" + "".join(f"<{n}>{v}</{n}>" for n, v in fields) + "</xml>"


def text_xml(openid: str, content: str) -> str:
    msg_id = random.randint(10**18, 10**19 - 1)
    return (f"<xml><ToUserName>{_cdata(original_id())}</ToUserName>"
            f"<FromUserName>{_cdata(openid)}</FromUserName><CreateTime>{now()}</CreateTime>"
            f"<MsgType>{_cdata('text')}</MsgType><Content>{_cdata(escape(content))}</Content>"
            f"<MsgId>{msg_id}</MsgId></xml>")


def signed_request(xml: str, openid: str) -> dict[str, Any]:
    """Query string and body of WeChat's POST; AES-encrypted in safe mode."""
    official = settings()["OFFICIAL"]
    timestamp, nonce = str(now()), str(random.randint(10**8, 10**10))
    signature = hashlib.sha1("".join(sorted([official["TOKEN"], timestamp, nonce])).encode())
    query = {"signature": signature.hexdigest(), "timestamp": timestamp, "nonce": nonce,
             "openid": openid}
    if official["ENCRYPT_MODE"] != "safe":
        return {"query_string": query, "body": xml}
    crypto = WeChatCrypto(official["TOKEN"], official["AES_KEY"], official["APPID"])
    envelope = crypto.encrypt_message(xml, nonce, timestamp)
    encrypted = re.search(r"<Encrypt><!\[CDATA\[(.*?)\]\]></Encrypt>", envelope).group(1)
    msg_signature = re.search(r"<MsgSignature><!\[CDATA\[(.*?)\]\]>", envelope).group(1)
    query.update(encrypt_type="aes", msg_signature=msg_signature)
    body = (f"<xml><ToUserName>{_cdata(original_id())}</ToUserName>"
            f"<Encrypt>{_cdata(encrypted)}</Encrypt></xml>")
    return {"query_string": query, "body": body}


def deliver(xml: str, openid: str) -> dict[str, Any]:
    """POST to /wechat/callback in-process; returns what was sent and what came back."""
    sent = signed_request(xml, openid)
    response = current_app.test_client().post("/wechat/callback", query_string=sent["query_string"],
                                              data=sent["body"].encode(), content_type="text/xml")
    return {"status": response.status_code, "response": response.get_data(as_text=True),
            "request": sent}


def push_event(openid: str, event: str, event_key: str | None = None,
               ticket: str | None = None) -> dict[str, Any]:
    """subscribe / unsubscribe / SCAN as WeChat sends them; the emulator tracks who follows."""
    if event == "subscribe":
        set_following(openid, True)
    elif event == "unsubscribe":
        set_following(openid, False)
    remember_user(openid)
    return deliver(event_xml(openid, event, event_key, ticket), openid)
