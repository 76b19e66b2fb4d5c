"""Who the tester can "be" in WeChat: bound demo identities and openids the emulator has seen."""
from __future__ import annotations

from sqlalchemy import select

from app.extensions import db
from app.models.accounts import Account
from app.models.wechat import WechatApp, WechatIdentity
from wechat.emulator.core import key, settings, store


def follow_key() -> str:
    """The hash of openid → "1"/"0" once the emulator has pushed a subscribe/unsubscribe."""
    return key("follow", settings()["OFFICIAL"]["APPID"])


def following(openid: str) -> bool | None:
    """True/False once the emulator has pushed a subscribe/unsubscribe for this user."""
    value = store().hget(follow_key(), openid)
    return None if value is None else value == b"1"


def set_following(openid: str, follows: bool) -> None:
    store().hset(follow_key(), openid, "1" if follows else "0")


def candidate_users(limit: int = 30) -> list[dict[str, str]]:
    """Official-account identities bound to accounts first, then recently seen openids."""
    users: list[dict[str, str]] = []
    rows = db.session.execute(
        select(WechatIdentity.openid, Account.display_name, Account.role)
        .join(Account, Account.id == WechatIdentity.account_id)
        .where(WechatIdentity.app == WechatApp.OFFICIAL)
        .order_by(WechatIdentity.id).limit(limit)).all()
    db.session.rollback()
    for openid, name, role in rows:
        users.append({"openid": openid, "label": f"{name}（{role.value}，已绑定）"})
    seen = {u["openid"] for u in users}
    for raw in store().zrevrange(key("users"), 0, limit - 1):
        openid = raw.decode()
        if openid not in seen:
            users.append({"openid": openid, "label": "模拟器见过的用户"})
    return users
