"""Parametric QR codes (create, showqrcode, the "scan it as" page) and mini-program codes."""
from __future__ import annotations

import io
import re
import secrets

import qrcode
from flask import Response, jsonify, render_template, request, url_for

from wechat.emulator.core import OPENID_RE, EmuError, api_call, bp, json_body, key, load_json, \
    now, save_json, store
from wechat.emulator.push import push_event
from wechat.emulator.users import candidate_users, following

MAX_EXPIRE = 2592000  # 30 days
# Visible characters WeChat allows in a wxacode scene.
SCENE_RE = re.compile(r"^[0-9A-Za-z!#$&'()*+,/:;=?@\-._~]{1,32}$")


def png(data: str) -> bytes:
    out = io.BytesIO()
    qrcode.make(data).save(out, format="PNG")
    return out.getvalue()


def _scene(body: dict) -> str:
    action = body.get("action_name")
    info = body.get("action_info")
    scene = info.get("scene") if isinstance(info, dict) else None
    if action not in ("QR_SCENE", "QR_STR_SCENE", "QR_LIMIT_SCENE", "QR_LIMIT_STR_SCENE") or \
            not isinstance(scene, dict):
        raise EmuError(40053 if action else 47001, "invalid action info")
    value = scene.get("scene_str") if "STR" in action else scene.get("scene_id")
    if "STR" in action:
        if not isinstance(value, str) or not 0 < len(value) <= 64:
            raise EmuError(40053, "invalid scene_str")
        return value
    if not isinstance(value, int) or not 0 < value <= (100000 if "LIMIT" in action else 2**32 - 1):
        raise EmuError(40053, "invalid scene_id")
    return str(value)


@bp.post("/cgi-bin/qrcode/create")
def qrcode_create():
    """A ticket for a parametric code; temporary ones expire after expire_seconds."""
    appid = api_call("qrcode_create")
    body = json_body()
    scene = _scene(body)
    permanent = "LIMIT" in body["action_name"]
    expire = body.get("expire_seconds", 60)
    if not isinstance(expire, int) or expire <= 0:
        raise EmuError(47001)
    expire = min(expire, MAX_EXPIRE)
    ticket = "gQ" + secrets.token_urlsafe(48)
    expires_at = None if permanent else now() + expire
    url = url_for("wechat_emulator.scan_page", ticket=ticket, _external=True)
    save_json(key("qr", ticket), {"appid": appid, "scene": scene, "expires_at": expires_at,
                                  "url": url}, None if permanent else expire + 86400)
    store().zadd(key("qr_index"), {ticket: expires_at or 2**40})
    answer = {"ticket": ticket, "url": url}
    if not permanent:
        answer["expire_seconds"] = expire
    return jsonify(answer)


def live_ticket(ticket: str) -> dict | None:
    info = load_json(key("qr", ticket)) if ticket else None
    if info is None or (info["expires_at"] is not None and info["expires_at"] <= now()):
        return None
    return info


@bp.get("/cgi-bin/showqrcode")
def showqrcode():
    """The QR image of a ticket (it encodes the emulator's "scan as" page)."""
    info = live_ticket(request.args.get("ticket", ""))
    if info is None:
        return Response("ticket invalid or expired", status=404, mimetype="text/plain")
    return Response(png(info["url"]), mimetype="image/png")


@bp.get("/scan/<ticket>")
def scan_page(ticket: str):
    """Pretend to scan a parametric code: pick the WeChat user who scans."""
    info = live_ticket(ticket)
    if info is None:
        return render_template("wechat_emulator/message.html", title="二维码已过期",
                               text="该二维码不存在或已过期，请在网页上刷新二维码。"), 404
    return render_template("wechat_emulator/pick_user.html", title="模拟扫码",
                           action="wechat_emulator.scan_as",
                           action_args={"ticket": ticket}, hidden={},
                           users=candidate_users(), intro=f"场景值 {info['scene']}：选择扫码的微信用户：")


@bp.get("/scan/<ticket>/as")
def scan_as(ticket: str):
    """Send SCAN (already following) or subscribe with qrscene_ (not yet) to the callback."""
    info = live_ticket(ticket)
    openid = request.args.get("openid", "").strip()
    if info is None or not OPENID_RE.match(openid):
        return render_template("wechat_emulator/message.html", title="扫码失败",
                               text="二维码已过期，或 openid 不合法。"), 400
    if following(openid):
        result = push_event(openid, "SCAN", info["scene"], ticket)
    else:
        result = push_event(openid, "subscribe", "qrscene_" + info["scene"], ticket)
    ok = result["status"] == 200
    return render_template("wechat_emulator/message.html", title="已扫码" if ok else "回调失败",
                           text=f"已以 {openid} 的身份扫码，回调返回 {result['status']}。"
                           + ("请回到电脑网页查看登录状态。" if ok else ""))


@bp.post("/wxa/getwxacodeunlimit")
def wxacode_unlimit():
    """Mini-program code for a scene: PNG on success, JSON errcode otherwise."""
    appid = api_call("wxacode")
    body = json_body()
    scene = body.get("scene")
    if not isinstance(scene, str) or not SCENE_RE.match(scene):
        raise EmuError(40169)
    page = body.get("page") or "pages/index/index"
    return Response(png(f"wxacode:{appid}:{page}?scene={scene}"), mimetype="image/png")


@bp.post("/wxa/business/getuserphonenumber")
def getuserphonenumber():
    """getPhoneNumber code -> phone: "dev:<phone>" works once; anything else is 40029."""
    appid = api_call("phonenumber")
    code = str(json_body().get("code", ""))
    phone = code[4:] if code.startswith("dev:") else ""
    if not re.fullmatch(r"1\d{10}", phone):
        raise EmuError(40029)
    if not store().set(key("used", "phone", code), 1, nx=True, ex=86400):
        raise EmuError(40163)
    return jsonify({"errcode": 0, "errmsg": "ok", "phone_info": {
        "phoneNumber": phone, "purePhoneNumber": phone, "countryCode": "86",
        "watermark": {"timestamp": now(), "appid": appid}}})
