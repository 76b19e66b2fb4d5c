"""GET|POST /wechat/callback: the official account's server URL (服务器配置).

GET answers WeChat's URL check. POST checks the signature and timestamp window, decrypts
(safe mode), refuses DTDs, parses, drops retries already handled, and answers within WeChat's
5 s budget: (un)follows and scans go to the handlers the app registered in wechat.hooks (which
store the follow state and enqueue anything slow); this module stores nothing itself.
"""
from __future__ import annotations

import logging

from flask import Blueprint, Response, current_app, request
from wechatpy import parse_message
from wechatpy.crypto import WeChatCrypto
from wechatpy.exceptions import InvalidAppIdException, InvalidSignatureException
from wechatpy.messages import BaseMessage
from wechatpy.replies import TextReply
from wechatpy.utils import check_signature

from wechat import hooks
from wechat.clients import shared_redis
from wechat.clock import epoch_now, from_epoch

log = logging.getLogger(__name__)

bp = Blueprint("wechat_callback", __name__)

MAX_BODY = 64 * 1024
DEDUPE_SECONDS = 600  # WeChat retries three times within ~15 s
HELP_TEXT = ("您好，这里是网签服务号。查看和签署就业协议请打开「网签」小程序；"
             "电脑端登录请用微信扫描网页上的二维码。如有疑问请联系学校就业指导中心。")


class Refused(Exception):
    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


@bp.errorhandler(Refused)
def _refused(exc: Refused):
    log.warning("wechat callback refused (%s): %s", exc.status, exc.reason)
    return Response(exc.reason, status=exc.status, mimetype="text/plain")


def _official() -> dict:
    return current_app.config["WECHAT"]["OFFICIAL"]


def _verify_signature() -> tuple[str, str]:
    """Check signature = sha1(sort(token, timestamp, nonce)) and the timestamp window."""
    token = _official()["TOKEN"]
    if not token:
        raise Refused(403, "callback token not configured")
    timestamp = request.args.get("timestamp", "")
    nonce = request.args.get("nonce", "")
    try:
        check_signature(token, request.args.get("signature", ""), timestamp, nonce)
    except InvalidSignatureException:
        raise Refused(403, "bad signature") from None
    window = int(current_app.config["WECHAT"]["CALLBACK_TIMESTAMP_WINDOW"])
    if not timestamp.isdigit() or abs(epoch_now() - int(timestamp)) > window:
        raise Refused(403, "timestamp outside the accepted window")
    return timestamp, nonce


def _refuse_dtd(xml: bytes | str) -> None:
    text = xml.lower() if isinstance(xml, bytes) else xml.lower().encode()
    if b"<!doctype" in text or b"<!entity" in text:
        raise Refused(400, "DTDs are not accepted")


@bp.get("/wechat/callback")
def verify_url():
    """WeChat's server-URL check: echo ``echostr`` when the signature is ours."""
    _verify_signature()
    echostr = request.args.get("echostr", "")
    if not echostr or len(echostr) > 256 or not echostr.isalnum():
        raise Refused(400, "bad echostr")
    return Response(echostr, mimetype="text/plain")


@bp.post("/wechat/callback")
def receive():
    """A message or event pushed by WeChat; answers "success" or a passive reply."""
    timestamp, nonce = _verify_signature()
    if (request.content_length or 0) > MAX_BODY:
        raise Refused(413, "body too large")
    raw = request.stream.read(MAX_BODY + 1)
    if len(raw) > MAX_BODY:
        raise Refused(413, "body too large")
    _refuse_dtd(raw)
    crypto = _crypto_for_request()
    xml = _decrypt(crypto, raw, timestamp, nonce) if crypto else raw
    try:
        message = parse_message(xml)
    except Exception as exc:  # malformed XML or missing MsgType: the sender's fault
        raise Refused(400, f"unparseable message ({type(exc).__name__})") from None
    if message is None or not _well_formed(message):
        raise Refused(400, "message lacks FromUserName, CreateTime or a valid MsgId")

    key = _dedupe_key(message)
    if not shared_redis().set(key, "1", nx=True, ex=DEDUPE_SECONDS):
        log.info("wechat callback retry dropped: %s", key)
        return _success()
    try:
        reply = handle_message(message)
    except Exception:
        shared_redis().delete(key)  # let WeChat's retry try again
        raise
    if reply is None:
        return _success()
    xml_reply = TextReply(message=message, content=reply, time=epoch_now()).render()
    if crypto:
        xml_reply = crypto.encrypt_message(xml_reply, nonce, str(epoch_now()))
    return Response(xml_reply, mimetype="application/xml")


def _success() -> Response:
    return Response("success", mimetype="text/plain")


def _crypto_for_request() -> WeChatCrypto | None:
    official = _official()
    encrypted = request.args.get("encrypt_type") == "aes"
    if official["ENCRYPT_MODE"] == "safe" and not encrypted:
        raise Refused(400, "safe mode: encrypted messages only")
    if not encrypted:
        return None
    if not official["AES_KEY"]:
        raise Refused(400, "no EncodingAESKey configured")
    return WeChatCrypto(official["TOKEN"], official["AES_KEY"], official["APPID"])


def _decrypt(crypto: WeChatCrypto, raw: bytes, timestamp: str, nonce: str) -> str:
    try:
        xml = crypto.decrypt_message(raw, request.args.get("msg_signature", ""), timestamp, nonce)
    except (InvalidSignatureException, InvalidAppIdException):
        raise Refused(403, "bad msg_signature or appid") from None
    except Exception as exc:  # bad XML, base64, padding: not a message from WeChat
        raise Refused(400, f"undecryptable message ({type(exc).__name__})") from None
    _refuse_dtd(xml)
    return xml


def _well_formed(message: BaseMessage) -> bool:
    try:
        return (isinstance(message.source, str) and bool(message.source)
                and isinstance(message.target, str) and message.id >= 0
                and 0 < message.time < 2**32 and from_epoch(message.time) is not None)
    except (TypeError, ValueError, OverflowError, OSError):
        return False


def _dedupe_key(message: BaseMessage) -> str:
    """MsgId for messages; FromUserName + CreateTime (+ event) for events, as WeChat advises."""
    if message.id:
        return f"wq:wechat:cb:{message.target}:msg:{message.id}"
    event = getattr(message, "event", message.type)
    return f"wq:wechat:cb:{message.target}:evt:{message.source}:{message.time}:{event}"


def handle_message(message: BaseMessage) -> str | None:
    """Act on one message; returns the text to reply, or None for a plain "success"."""
    if message.type == "event":
        event = message.event
        if event in ("subscribe", "subscribe_scan", "unsubscribe"):
            hooks.dispatch_follow(_official()["APPID"], message.source, event != "unsubscribe",
                                  from_epoch(message.time))
        if event in ("subscribe_scan", "scan") and message.scene_id:
            return hooks.dispatch_scan(str(message.scene_id), message.source)
        return None
    if message.type == "text":
        return HELP_TEXT
    return None
