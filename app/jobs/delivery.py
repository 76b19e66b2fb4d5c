"""Push one outbox message to WeChat: the RQ job ``deliver(outbox_id)`` (SPEC §9).

For each person the notification is for (a student's account; every active user of an
employer; a reviewer's or admin's account) one channel is chosen:

1. an official-account template message, when the person's official-account identity follows
   the account — or their mini-program identity's unionid leads to one that does;
2. else a mini-program subscribe message, when they granted one for this event's template
   (the grant is used up in the same transaction that plans the delivery);
3. else nothing: the in-app inbox has it. An outbox row with nobody to push to is SKIPPED.

Exactly once, whatever crashes:
- each (outbox row, openid, channel) is one ``Delivery`` row with a UNIQUE ``client_msg_id``;
  a second worker planning the same row fails on that key and sends nothing;
- a delivery is claimed (PENDING, attempts + 1, a send lease in ``next_attempt_at``) and that is
  committed BEFORE WeChat is called; the claim is a compare-and-set on ``attempts``, so two
  workers never send one delivery at once;
- a worker killed after claiming leaves the delivery PENDING; when its lease passes, the relay
  re-enqueues the outbox row and the next worker sends again with the same ``client_msg_id``,
  which WeChat uses to drop a message it already delivered (the kill window between WeChat's
  answer and our commit);
- a SENT or FAILED delivery is never sent again.

Errors: 40001/42001 are refreshed and retried once by the client; 45009 (quota), -1, 45011,
timeouts and other network failures are DEFERRED with exponential backoff; 43004 (not
following), 43101 (no subscription), 40003 (bad openid) and every other errcode are FAILED at
once and recorded; after ``MAX_ATTEMPTS`` a retryable failure is FAILED too.

Daily quota: template sends are counted per Asia/Shanghai day in Redis against
``WECHAT.MESSAGE_DAILY_QUOTA``. When our count says the quota is spent, or WeChat answers 45009,
low-priority messages (reminders) wait until the next day at ``CARRY_OVER_AT``; normal and high
priority messages are still attempted and WeChat decides (our count cannot see sends by other
systems on the same account, nor WeChat's own reset), with backoff on 45009. So the last of the
quota goes to invitations and outcomes, never to reminders.
"""
from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, time, timedelta, timezone
from typing import Any

from flask import Flask, current_app
from redis.exceptions import RedisError
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload
from wechatpy.exceptions import WeChatClientException

from app.clock import CHINA, to_china, utcnow
from app.domain.events import LOW
from app.extensions import db, redis_ext
from app.jobs import in_app_context
from app.models import (Account, Delivery, DeliveryStatus, Notification, OutboxMessage,
                        OutboxStatus, RecipientType, Role, SubscribeGrant, WechatApp, WechatIdentity)
from wechat import messages
from wechat.exceptions import TOKEN_ERRCODES, AccessTokenError

log = logging.getLogger("wq.delivery")

# app.config["DELIVERY"] (config.toml [DELIVERY], WQ_DELIVERY__KEY) overrides any of these.
DELIVERY_DEFAULTS: dict[str, Any] = {
    "ON_COMMIT": True,  # enqueue an event's pushes as soon as its transaction commits
    "RUN_LEASE": 300,  # s the relay leaves an enqueued row alone (queue wait + run)
    "SEND_LEASE": 60,  # s a claimed delivery belongs to the worker sending it
    "MAX_ATTEMPTS": 8,  # sends of one delivery before a retryable failure becomes final
    "BACKOFF_BASE": 30,  # s before the 2nd attempt; doubled each time …
    "BACKOFF_MAX": 3600,  # … up to this
    "RELAY_BATCH": 500,  # outbox rows enqueued per relay run
    "CARRY_OVER_AT": "00:05",  # Asia/Shanghai time at which quota-held reminders go out next day
}

FINAL = (DeliveryStatus.SENT, DeliveryStatus.FAILED)
# Worth another try later; anything else WeChat answers is final.
RETRYABLE = frozenset({-1, 45009, 45011}) | TOKEN_ERRCODES
QUOTA_HELD = "每日消息额度已用完，次日发送"
NO_RECIPIENT = "无可推送的微信用户（未绑定、未关注且无订阅授权），仅站内信"

# Called with the claimed Delivery after its claim is committed and before WeChat is called.
# For tests only (the worker test blocks here to kill a worker mid-delivery).
BEFORE_SEND: list[Callable[[Delivery], None]] = []


def config(app: Flask | None = None) -> dict[str, Any]:
    return {**DELIVERY_DEFAULTS, **((app or current_app).config.get("DELIVERY") or {})}


def enabled(app: Flask | None = None) -> bool:
    """Pushes need a configured official account or mini-program; until then rows wait."""
    settings = (app or current_app).config.get("WECHAT") or {}
    return bool(settings.get("OFFICIAL", {}).get("APPID") or settings.get("MINIPROGRAM", {}).get("APPID"))


def client_msg_id(outbox_id: int, openid: str, channel: str) -> str:
    """Deterministic: the same message to the same person on the same channel, every retry."""
    return hashlib.sha256(f"wq:{outbox_id}:{openid}:{channel}".encode()).hexdigest()[:32]


def backoff(attempts: int, cfg: dict[str, Any]) -> timedelta:
    seconds = float(cfg["BACKOFF_BASE"]) * 2 ** max(attempts - 1, 0)
    return timedelta(seconds=min(seconds, float(cfg["BACKOFF_MAX"])))


def next_day_at(now: datetime, hhmm: str) -> datetime:
    """Tomorrow (Asia/Shanghai) at hh:mm, as naive UTC."""
    hour, minute = (int(p) for p in hhmm.split(":"))
    local = datetime.combine(to_china(now).date() + timedelta(days=1), time(hour, minute), CHINA)
    return local.astimezone(timezone.utc).replace(tzinfo=None)


# -- daily quota (Redis) ----------------------------------------------------------------------


def _quota_key(now: datetime | None = None) -> str:
    appid = current_app.config["WECHAT"]["OFFICIAL"]["APPID"]
    return f"wq:delivery:quota:{appid}:{to_china(now or utcnow()):%Y%m%d}"


def quota_limit() -> int:
    return int(current_app.config["WECHAT"]["MESSAGE_DAILY_QUOTA"])


def quota_used(now: datetime | None = None) -> int:
    try:
        return int(redis_ext.client.get(_quota_key(now)) or 0)
    except RedisError:
        return 0


def quota_exhausted() -> bool:
    """Our count of today's template sends has reached the quota (unknown Redis: not exhausted)."""
    return quota_used() >= quota_limit()


def _count_send() -> None:
    now = utcnow()
    midnight = next_day_at(now, "00:00").replace(tzinfo=timezone.utc)
    try:
        pipe = redis_ext.client.pipeline()
        pipe.incr(_quota_key(now))
        pipe.expireat(_quota_key(now), int(midnight.timestamp()) + 3600)
        pipe.execute()
    except RedisError:
        log.warning("delivery: could not count a send against the daily quota (Redis)")


def _quota_spent() -> None:
    """WeChat said 45009: our count becomes the quota, so reminders stop asking today."""
    try:
        name = _quota_key()
        if int(redis_ext.client.get(name) or 0) < quota_limit():
            redis_ext.client.set(name, quota_limit(), keepttl=True)
            if redis_ext.client.ttl(name) < 0:
                redis_ext.client.expire(name, 2 * 86400)
    except RedisError:
        pass


# -- who gets it, on which channel ------------------------------------------------------------


@dataclass
class Target:
    identity: WechatIdentity  # the openid the message goes to
    channel: str
    grant_id: int | None = None


def recipients(notification: Notification) -> dict[int, dict[WechatApp, WechatIdentity]]:
    """The active accounts the notification is for, each with its WeChat identities (one query)."""
    stmt = select(Account.id, WechatIdentity).outerjoin(
        WechatIdentity, WechatIdentity.account_id == Account.id).where(Account.is_active.is_(True))
    rid = notification.recipient_id
    if notification.recipient_type == RecipientType.STUDENT:
        stmt = stmt.where(Account.role == Role.STUDENT, Account.student_id == rid)
    elif notification.recipient_type == RecipientType.EMPLOYER:
        stmt = stmt.where(Account.role == Role.EMPLOYER_USER, Account.employer_id == rid)
    else:
        stmt = stmt.where(Account.id == rid)
    found: dict[int, dict[WechatApp, WechatIdentity]] = {}
    for account_id, identity in db.session.execute(stmt.order_by(Account.id, WechatIdentity.id)
                                                   .execution_options(populate_existing=True)):
        ids = found.setdefault(account_id, {})
        if identity is not None:
            ids[identity.app] = identity
    return found


def resolve_targets(notification: Notification, settings: dict[str, Any]) -> list[Target]:
    """One target per person, on the best channel they can receive."""
    mine = recipients(notification)
    if not mine:
        return []
    account_ids = list(mine)
    official_appid = settings["OFFICIAL"]["APPID"]
    mp_appid = settings["MINIPROGRAM"]["APPID"]
    has_template = bool(official_appid) and messages.template_for(
        settings, notification.event, messages.TEMPLATE) is not None
    subscribe = messages.template_for(settings, notification.event, messages.SUBSCRIBE)
    minis = [i[WechatApp.MINIPROGRAM] for i in mine.values()
             if WechatApp.MINIPROGRAM in i and i[WechatApp.MINIPROGRAM].appid == mp_appid]
    unionids = {m.unionid for m in minis if m.unionid}
    linked = {}
    if unionids and has_template:  # the official identity of the same person (unionid)
        linked = {i.unionid: i for i in db.session.scalars(select(WechatIdentity).where(
            WechatIdentity.app == WechatApp.OFFICIAL, WechatIdentity.appid == official_appid,
            WechatIdentity.follows.is_(True), WechatIdentity.unionid.in_(unionids)))}
    grants = {}
    if minis and subscribe is not None:
        grants = {g.identity_id: g for g in db.session.scalars(select(SubscribeGrant).where(
            SubscribeGrant.identity_id.in_([m.id for m in minis]),
            SubscribeGrant.template_id == subscribe["template_id"], SubscribeGrant.remaining > 0))}
    targets: list[Target] = []
    seen: set[tuple[int, str]] = set()
    for account_id in account_ids:
        ids = mine.get(account_id, {})
        official, mini = ids.get(WechatApp.OFFICIAL), ids.get(WechatApp.MINIPROGRAM)
        if mini is not None and mini.appid != mp_appid:
            mini = None
        if has_template and official is not None and official.appid == official_appid \
                and official.follows:
            target = Target(official, messages.TEMPLATE)
        elif has_template and mini is not None and mini.unionid in linked:
            target = Target(linked[mini.unionid], messages.TEMPLATE)
        elif mini is not None and mini.id in grants:
            target = Target(mini, messages.SUBSCRIBE, grants[mini.id].id)
        else:
            continue
        if (target.identity.id, target.channel) not in seen:
            seen.add((target.identity.id, target.channel))
            targets.append(target)
    return targets


# -- the job ----------------------------------------------------------------------------------


@in_app_context
def deliver(outbox_id: int) -> str:
    """Push one outbox row to everyone it is for; safe to run any number of times, concurrently."""
    if not enabled():
        return "disabled"
    # What this job loads stays loaded across its own commits (no reload after each one);
    # every read that decides something is a fresh one (populate_existing, row lock).
    session = db.session()
    expire_on_commit, session.expire_on_commit = session.expire_on_commit, False
    try:
        return _deliver(outbox_id, first_try=True)
    except BaseException:
        session.rollback()  # a worker's session serves its next job: leave it clean
        raise
    finally:
        session.expire_on_commit = expire_on_commit
        session.expire_all()


def _deliver(outbox_id: int, first_try: bool) -> str:
    cfg = config()
    now = utcnow()
    # The outbox row's lock serialises planning and claiming (MariaDB; SQLite serialises writers).
    outbox = db.session.scalar(
        select(OutboxMessage).options(joinedload(OutboxMessage.notification))
        .where(OutboxMessage.id == outbox_id).with_for_update()
        .execution_options(populate_existing=True))
    if outbox is None or outbox.status != OutboxStatus.PENDING:
        db.session.rollback()
        return "done"
    rows = [] if outbox.attempts == 0 else list(db.session.scalars(  # never run: nothing planned
        select(Delivery).where(Delivery.outbox_id == outbox_id).order_by(Delivery.id)
        .execution_options(populate_existing=True)))
    if rows:
        claimed = _claim(outbox, rows, cfg, now)
    else:
        planned = _plan(outbox, cfg, now)
        if planned is None:  # another worker planned it between our read and our insert
            if not first_try:
                raise RuntimeError(f"outbox {outbox_id}: planning its deliveries failed twice")
            return _deliver(outbox_id, first_try=False)
        rows, claimed = planned
    for delivery in claimed:
        _attempt(delivery, outbox, rows, cfg)
    return outbox.status.value


def _plan(outbox: OutboxMessage, cfg: dict[str, Any], now: datetime
          ) -> tuple[list[Delivery], list[Delivery]] | None:
    """First run: one Delivery per target, claimed for sending, committed before any send."""
    settings = current_app.config["WECHAT"]
    held = outbox.priority >= LOW and quota_exhausted()
    rows: list[Delivery] = []
    for target in resolve_targets(outbox.notification, settings):
        if target.grant_id is not None:  # use up one tap of "允许"
            used = db.session.execute(update(SubscribeGrant).where(
                SubscribeGrant.id == target.grant_id, SubscribeGrant.remaining > 0).values(
                remaining=SubscribeGrant.remaining - 1).execution_options(synchronize_session=False))
            if used.rowcount != 1:
                continue
        wait = held and target.channel == messages.TEMPLATE
        rows.append(Delivery(
            outbox_id=outbox.id, identity_id=target.identity.id, channel=target.channel,
            client_msg_id=client_msg_id(outbox.id, target.identity.openid, target.channel),
            status=DeliveryStatus.DEFERRED if wait else DeliveryStatus.PENDING,
            attempts=0 if wait else 1, errmsg=QUOTA_HELD if wait else None,
            next_attempt_at=next_day_at(now, cfg["CARRY_OVER_AT"]) if wait
            else now + timedelta(seconds=float(cfg["SEND_LEASE"]))))
    db.session.add_all(rows)
    outbox.attempts += 1
    _settle(outbox, rows)
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        return None
    return rows, [r for r in rows if r.status == DeliveryStatus.PENDING]


def _claim(outbox: OutboxMessage, rows: list[Delivery], cfg: dict[str, Any], now: datetime
           ) -> list[Delivery]:
    """Later runs: claim each delivery that is due (deferred and due, or a dead worker's)."""
    held = outbox.priority >= LOW and quota_exhausted()
    claimed = []
    for d in rows:
        if d.status in FINAL or d.next_attempt_at > now:
            continue  # done, waiting for its time, or being sent by a live worker
        guard = (Delivery.id == d.id, Delivery.attempts == d.attempts, Delivery.status == d.status)
        if held and d.channel == messages.TEMPLATE:
            db.session.execute(update(Delivery).where(*guard).values(
                status=DeliveryStatus.DEFERRED, errmsg=QUOTA_HELD,
                next_attempt_at=next_day_at(now, cfg["CARRY_OVER_AT"])
            ).execution_options(synchronize_session="evaluate"))
            continue
        result = db.session.execute(update(Delivery).where(*guard).values(
            status=DeliveryStatus.PENDING, attempts=d.attempts + 1,
            next_attempt_at=now + timedelta(seconds=float(cfg["SEND_LEASE"]))
        ).execution_options(synchronize_session="evaluate"))
        if result.rowcount == 1:
            claimed.append(d)
    outbox.attempts += 1
    _settle(outbox, rows)
    db.session.commit()
    return claimed


def _attempt(delivery: Delivery, outbox: OutboxMessage, rows: list[Delivery],
             cfg: dict[str, Any]) -> None:
    """Send one claimed delivery and record the outcome (and the outbox row's) in one commit."""
    from wechat.clients import miniprogram_client, official_client

    settings = current_app.config["WECHAT"]
    identity = db.session.get(WechatIdentity, delivery.identity_id)
    notification = outbox.notification
    for hook in BEFORE_SEND:
        hook(delivery)
    try:
        if delivery.channel == messages.TEMPLATE:
            payload = messages.template_payload(notification, identity.openid, settings,
                                                client_msg_id=delivery.client_msg_id)
            _count_send()
            msgid = messages.send_template(official_client(), payload)
        else:
            payload = messages.subscribe_payload(notification, identity.openid, settings)
            msgid = messages.send_subscribe(miniprogram_client(), payload)
    except WeChatClientException as exc:
        _failed(delivery, outbox, identity, exc, cfg)
    except (LookupError, ValueError) as exc:  # no template for the event, a bad keyword name
        delivery.status, delivery.errcode = DeliveryStatus.FAILED, None
        delivery.errmsg = f"模板配置错误：{exc}"[:300]
        log.error("delivery %s: %s", delivery.id, exc)
    else:
        delivery.status, delivery.msgid, delivery.sent_at = DeliveryStatus.SENT, msgid[:64], utcnow()
        delivery.errcode = delivery.errmsg = None
    _settle(outbox, rows)
    db.session.commit()


def _failed(delivery: Delivery, outbox: OutboxMessage, identity: WechatIdentity,
            exc: WeChatClientException, cfg: dict[str, Any]) -> None:
    now = utcnow()
    code = exc.errcode
    delivery.errcode = code
    delivery.errmsg = str(exc.errmsg or type(exc).__name__)[:300]
    retryable = code is None or code in RETRYABLE or isinstance(exc, AccessTokenError)
    if not retryable:
        delivery.status = DeliveryStatus.FAILED
        if code == 43004 and identity.app == WechatApp.OFFICIAL and identity.follows:
            identity.follows, identity.unfollowed_at = False, now  # we missed the unsubscribe
        log.info("delivery %s failed for good: %s %s", delivery.id, code, delivery.errmsg)
    elif delivery.attempts >= int(cfg["MAX_ATTEMPTS"]):
        delivery.status = DeliveryStatus.FAILED
        log.warning("delivery %s failed after %s attempts: %s", delivery.id, delivery.attempts, code)
    else:
        delivery.status = DeliveryStatus.DEFERRED
        if code == 45009:
            _quota_spent()
        if code == 45009 and outbox.priority >= LOW:
            delivery.next_attempt_at = next_day_at(now, cfg["CARRY_OVER_AT"])
        else:
            delivery.next_attempt_at = now + backoff(delivery.attempts, cfg)


def _settle(outbox: OutboxMessage, rows: list[Delivery]) -> None:
    """The outbox row follows its deliveries: final when all are, else due with the earliest."""
    if not rows:
        outbox.status, outbox.last_error = OutboxStatus.SKIPPED, NO_RECIPIENT
        return
    channels = {r.channel for r in rows}
    outbox.channel = channels.pop() if len(channels) == 1 else "mixed"
    errors = sorted({f"{r.errcode} {r.errmsg or ''}".strip() if r.errcode is not None
                     else (r.errmsg or "") for r in rows if r.errmsg or r.errcode is not None})
    outbox.last_error = "; ".join(errors)[:300] or None
    waiting = [r for r in rows if r.status not in FINAL]
    if waiting:
        outbox.next_attempt_at = min(r.next_attempt_at for r in waiting)
        return
    sent = [r.sent_at for r in rows if r.status == DeliveryStatus.SENT]
    outbox.status = OutboxStatus.SENT if sent else OutboxStatus.FAILED
    outbox.sent_at = max(s for s in sent if s is not None) if sent else None


# -- the relay as a scheduled job -------------------------------------------------------------


@in_app_context
def relay_outbox() -> int:
    """Enqueue every outbox row that is due and not owned by a live job (see services/outbox)."""
    from app.services.outbox import relay_due

    return relay_due()


# (function, seconds between runs) for `flask scheduler`, next to app.jobs.sweeps.SCHEDULE.
DELIVERY_SCHEDULE = [(relay_outbox, 30)]
