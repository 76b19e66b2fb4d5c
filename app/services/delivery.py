"""Push outbox rows to WeChat (SPEC §9): planning, claiming, attempts and the daily quota.

The RQ job (app/jobs/delivery.py) hands a batch of outbox ids to ``deliver_batch``.

For each person the notification is for (a student's account; every active user of an
employer; a reviewer's or admin's account) one channel is chosen:

1. an official-account template message, when the person's official-account identity follows
   the account — or their mini-program identity's unionid leads to one that does;
2. else a mini-program subscribe message, when they granted one for this event's template
   (the grant is used up in the same transaction that plans the delivery);
3. else nothing: the in-app inbox has it. An outbox row with nobody to push to is SKIPPED.

A batch is three steps: claim (one transaction, one commit), send (every claimed delivery over
the WeChat client's kept-alive HTTP session, SEND_CONCURRENCY calls in flight, no database
writes), record (one transaction, one commit). Exactly once, whatever crashes:
- each (outbox row, openid, channel) is one ``Delivery`` row with a UNIQUE ``client_msg_id``;
  a second worker planning the same row fails on that key and sends nothing;
- a delivery is claimed (PENDING, attempts + 1, a send lease in ``next_attempt_at``) and that is
  committed BEFORE WeChat is called; the claim is a compare-and-set on ``attempts``, so two
  workers never send one delivery at once;
- a worker killed after claiming leaves its deliveries PENDING; when their lease passes, the
  relay re-enqueues the outbox rows and the next worker sends again with the same
  ``client_msg_id``, which WeChat uses to drop a message it already delivered (the kill window
  between WeChat's answer and the record commit);
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
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from typing import Any

from flask import Flask, current_app
from redis.exceptions import RedisError
from sqlalchemy import case, inspect, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload
from sqlalchemy.orm.attributes import set_committed_value
from wechatpy.exceptions import WeChatClientException

from app.clock import CHINA, to_china, utcnow
from app.domain.events import LOW
from app.extensions import db, redis_ext
from app.services.bulk import update_alike
from app.models import (
    Account,
    Delivery,
    DeliveryStatus,
    Notification,
    OutboxMessage,
    OutboxStatus,
    RecipientType,
    Role,
    SubscribeGrant,
    WechatApp,
    WechatIdentity,
)
from wechat import messages
from wechat.exceptions import TOKEN_ERRCODES, AccessTokenError

log = logging.getLogger("wq.delivery")

FINAL = (DeliveryStatus.SENT, DeliveryStatus.FAILED)
# Worth another try later; anything else WeChat answers is final.
RETRYABLE = frozenset({-1, 45009, 45011}) | TOKEN_ERRCODES
QUOTA_HELD = "每日消息额度已用完，次日发送"
NO_RECIPIENT = "无可推送的微信用户（未绑定、未关注且无订阅授权），仅站内信"


def config(app: Flask | None = None) -> dict[str, Any]:
    """app.config["DELIVERY"]: defaults in app.config.DEFAULTS, [DELIVERY] in config.toml."""
    return (app or current_app).config["DELIVERY"]


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
    return local.astimezone(UTC).replace(tzinfo=None)


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


def _count_sends(count: int) -> None:
    if not count:
        return
    now = utcnow()
    midnight = next_day_at(now, "00:00").replace(tzinfo=UTC)
    try:
        pipe = redis_ext.client.pipeline()
        pipe.incrby(_quota_key(now), count)
        pipe.expireat(_quota_key(now), int(midnight.timestamp()) + 3600)
        pipe.execute()
    except RedisError:
        log.warning("delivery: could not count %d sends against the daily quota (Redis)", count)


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


def _recipients_many(notifications: list[Notification]
                     ) -> dict[int, dict[int, dict[WechatApp, WechatIdentity]]]:
    """Per notification: its active accounts, each with its WeChat identities (one query)."""
    by_kind: dict[RecipientType, set[int]] = {}
    for n in notifications:
        by_kind.setdefault(n.recipient_type, set()).add(n.recipient_id)
    if not by_kind:
        return {}
    conditions = []
    if RecipientType.STUDENT in by_kind:
        conditions.append((Account.role == Role.STUDENT)
                          & Account.student_id.in_(by_kind[RecipientType.STUDENT]))
    if RecipientType.EMPLOYER in by_kind:
        conditions.append((Account.role == Role.EMPLOYER_USER)
                          & Account.employer_id.in_(by_kind[RecipientType.EMPLOYER]))
    if RecipientType.ACCOUNT in by_kind:
        conditions.append(Account.id.in_(by_kind[RecipientType.ACCOUNT]))
    stmt = (select(Account.id, Account.role, Account.student_id, Account.employer_id, WechatIdentity)
            .outerjoin(WechatIdentity, WechatIdentity.account_id == Account.id)
            .where(Account.is_active.is_(True), or_(*conditions))
            .order_by(Account.id, WechatIdentity.id).execution_options(populate_existing=True))
    owners: dict[tuple[RecipientType, int], dict[int, dict[WechatApp, WechatIdentity]]] = {}
    for account_id, role, student_id, employer_id, identity in db.session.execute(stmt):
        keys = [(RecipientType.ACCOUNT, account_id)]
        if role == Role.STUDENT:
            keys.append((RecipientType.STUDENT, student_id))
        elif role == Role.EMPLOYER_USER:
            keys.append((RecipientType.EMPLOYER, employer_id))
        for key in keys:
            ids = owners.setdefault(key, {}).setdefault(account_id, {})
            if identity is not None:
                ids[identity.app] = identity
    return {n.id: owners.get((n.recipient_type, n.recipient_id), {}) for n in notifications}


def resolve_targets(notification: Notification, settings: dict[str, Any]) -> list[Target]:
    """One target per person, on the best channel they can receive."""
    return resolve_targets_many([notification], settings)[notification.id]


def resolve_targets_many(notifications: list[Notification], settings: dict[str, Any]
                         ) -> dict[int, list[Target]]:
    """Targets of many notifications with a fixed number of queries (at most three)."""
    mine = _recipients_many(notifications)
    official_appid = settings["OFFICIAL"]["APPID"]
    mp_appid = settings["MINIPROGRAM"]["APPID"]
    has_template = {n.event: bool(official_appid) and messages.template_for(
        settings, n.event, messages.TEMPLATE) is not None for n in notifications}
    subscribe = {n.event: messages.template_for(settings, n.event, messages.SUBSCRIBE)
                 for n in notifications}
    minis = {i[WechatApp.MINIPROGRAM].id: i[WechatApp.MINIPROGRAM]
             for accounts in mine.values() for i in accounts.values()
             if WechatApp.MINIPROGRAM in i and i[WechatApp.MINIPROGRAM].appid == mp_appid}
    unionids = {m.unionid for m in minis.values() if m.unionid}
    linked: dict[str, WechatIdentity] = {}
    if unionids and any(has_template.values()):  # the official identity of the same person
        linked = {i.unionid: i for i in db.session.scalars(select(WechatIdentity).where(
            WechatIdentity.app == WechatApp.OFFICIAL, WechatIdentity.appid == official_appid,
            WechatIdentity.follows.is_(True), WechatIdentity.unionid.in_(unionids)))}
    template_ids = {s["template_id"] for s in subscribe.values() if s is not None}
    grants: dict[tuple[int, str], SubscribeGrant] = {}
    if minis and template_ids:
        grants = {(g.identity_id, g.template_id): g for g in db.session.scalars(select(SubscribeGrant).where(
            SubscribeGrant.identity_id.in_(list(minis)), SubscribeGrant.template_id.in_(template_ids),
            SubscribeGrant.remaining > 0))}
    result: dict[int, list[Target]] = {}
    for n in notifications:
        targets: list[Target] = []
        seen: set[tuple[int, str]] = set()
        sub = subscribe[n.event]
        for ids in mine.get(n.id, {}).values():
            official, mini = ids.get(WechatApp.OFFICIAL), ids.get(WechatApp.MINIPROGRAM)
            if mini is not None and mini.appid != mp_appid:
                mini = None
            grant = grants.get((mini.id, sub["template_id"])) if mini is not None and sub else None
            if has_template[n.event] and official is not None and official.appid == official_appid \
                    and official.follows:
                target = Target(official, messages.TEMPLATE)
            elif has_template[n.event] and mini is not None and mini.unionid in linked:
                target = Target(linked[mini.unionid], messages.TEMPLATE)
            elif grant is not None:
                target = Target(mini, messages.SUBSCRIBE, grant.id)
            else:
                continue
            if (target.identity.id, target.channel) not in seen:
                seen.add((target.identity.id, target.channel))
                targets.append(target)
        result[n.id] = targets
    return result


# -- a batch: claim, send, record -------------------------------------------------------------


@dataclass
class Work:
    """One outbox row of a batch: all its deliveries, and those this run claimed to send."""
    outbox: OutboxMessage
    rows: list[Delivery]
    claimed: list[Delivery] = field(default_factory=list)
    planned: bool = False  # its rows were planned by this run (not stored until _insert_planned)


def deliver_batch(outbox_ids: Iterable[int]) -> dict[int, str]:
    """Push outbox rows to everyone they are for; safe to run any number of times, concurrently.

    Returns each row's status afterwards ("done" for rows another run already finished)."""
    ids = sorted(set(outbox_ids))
    if not enabled():
        return {i: "disabled" for i in ids}
    # What this run loads stays loaded across its own commits (no reload after each one);
    # every read that decides something is a fresh one (populate_existing, row locks).
    session = db.session()
    expire_on_commit, session.expire_on_commit = session.expire_on_commit, False
    try:
        work = _claim(ids, first_try=True)
        identities = _identities(work)
        claimed = [(d, item.outbox) for item in work for d in item.claimed]
        sent = []
        for (delivery, outbox), outcome in zip(claimed, _send_all(claimed, identities), strict=True):
            if isinstance(outcome, str):
                sent.append((delivery, outcome[:64]))
            else:
                _record(delivery, outbox, identities[delivery.identity_id], outcome)
        with db.session.no_autoflush:  # the sent rows and the settled outbox rows: written in bulk
            _record_sent(sent)
            for item in work:
                _settle(item.outbox, item.rows)
            _write_alike([item.outbox for item in work])
        _count_sends(sum(1 for item in work for d in item.claimed
                         if d.channel == messages.TEMPLATE and d.status == DeliveryStatus.SENT))
        db.session.commit()
        statuses = {i: "done" for i in ids}
        statuses.update({item.outbox.id: item.outbox.status.value for item in work})
        return statuses
    except BaseException:
        session.rollback()  # a worker's session serves its next job: leave it clean
        raise
    finally:
        session.expire_on_commit = expire_on_commit
        session.expire_all()


def _claim(ids: list[int], first_try: bool) -> list[Work]:
    """Plan first runs and claim what is due, for every row of the batch, in one commit."""
    cfg = config()
    now = utcnow()
    # The rows' locks serialise planning and claiming (MariaDB; SQLite serialises writers).
    outboxes = db.session.scalars(
        select(OutboxMessage).options(joinedload(OutboxMessage.notification))
        .where(OutboxMessage.id.in_(ids), OutboxMessage.status == OutboxStatus.PENDING)
        .order_by(OutboxMessage.id).with_for_update()
        .execution_options(populate_existing=True)).all()
    if not outboxes:
        db.session.rollback()
        return []
    held = any(o.priority >= LOW for o in outboxes) and quota_exhausted()
    earlier = [o.id for o in outboxes if o.attempts > 0]  # never run: nothing planned
    existing: dict[int, list[Delivery]] = {}
    if earlier:
        for d in db.session.scalars(select(Delivery).where(Delivery.outbox_id.in_(earlier))
                                    .order_by(Delivery.id).execution_options(populate_existing=True)):
            existing.setdefault(d.outbox_id, []).append(d)
    fresh = [o for o in outboxes if o.attempts == 0]
    targets = resolve_targets_many([o.notification for o in fresh], current_app.config["WECHAT"]) \
        if fresh else {}
    work: list[Work] = []
    for outbox in outboxes:
        low_held = held and outbox.priority >= LOW
        if outbox.attempts == 0:
            rows = _plan(outbox, targets[outbox.notification.id], low_held, cfg, now)
            item = Work(outbox, rows, planned=True)
        else:
            rows = existing.get(outbox.id, [])
            item = Work(outbox, rows, _claim_due(rows, low_held, cfg, now))
        outbox.attempts += 1
        _settle(outbox, item.rows)
        work.append(item)
    try:
        with db.session.no_autoflush:  # the outbox rows' changes are _write_alike's to write
            _insert_planned(work)
            _write_alike(outboxes)
        db.session.commit()
    except IntegrityError:  # another worker planned one of these rows between our read and insert
        db.session.rollback()
        if not first_try:
            raise RuntimeError(f"outbox {ids}: planning their deliveries failed twice") from None
        return _claim(ids, first_try=False)
    return work


def _plan(outbox: OutboxMessage, targets: list[Target], held: bool, cfg: dict[str, Any],
          now: datetime) -> list[Delivery]:
    """First run: one Delivery per target, claimed for sending (committed before any send)."""
    rows: list[Delivery] = []
    for target in targets:
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
            else now + timedelta(seconds=float(cfg["SEND_LEASE"])), created_at=now))
    return rows  # inserted together by _insert_planned


def _insert_planned(work: list[Work]) -> None:
    """The batch's new deliveries in one INSERT, then read back as rows of the session: the unit
    of work would insert them one by one to learn each id (MySQL has no INSERT … RETURNING)."""
    planned = [row for item in work if item.planned for row in item.rows]
    if not planned:
        return
    table = Delivery.__table__
    columns = [c.key for c in table.columns if c.key != "id"]
    db.session.execute(table.insert(), [{k: getattr(row, k) for k in columns} for row in planned])
    stored = {(d.outbox_id, d.identity_id, d.channel): d for d in db.session.scalars(
        select(Delivery).where(Delivery.outbox_id.in_({row.outbox_id for row in planned})))}
    for item in work:
        if item.planned:
            item.rows = [stored[(r.outbox_id, r.identity_id, r.channel)] for r in item.rows]
            item.claimed = [r for r in item.rows if r.status == DeliveryStatus.PENDING]


def _claim_due(rows: list[Delivery], held: bool, cfg: dict[str, Any], now: datetime) -> list[Delivery]:
    """Later runs: claim each delivery that is due (deferred and due, or a dead worker's)."""
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
    return claimed


def _identities(work: list[Work]) -> dict[int, WechatIdentity]:
    wanted = {d.identity_id for item in work for d in item.claimed}
    if not wanted:
        return {}
    return {i.id: i for i in db.session.scalars(select(WechatIdentity).where(WechatIdentity.id.in_(wanted)))}


def send_one(delivery: Delivery, notification: Notification, identity: WechatIdentity,
             settings: dict[str, Any], clients: dict[str, Any]) -> str:
    """Call WeChat for one claimed delivery over the process's kept-alive client; the msgid.
    Runs in a sender thread: it reads what the batch loaded and writes nothing."""
    if delivery.channel == messages.TEMPLATE:
        payload = messages.template_payload(notification, identity.openid, settings,
                                            client_msg_id=delivery.client_msg_id)
        return messages.send_template(clients[messages.TEMPLATE], payload)
    payload = messages.subscribe_payload(notification, identity.openid, settings)
    return messages.send_subscribe(clients[messages.SUBSCRIBE], payload)


_senders: dict[int, ThreadPoolExecutor] = {}


def _send_all(claimed: list[tuple[Delivery, OutboxMessage]], identities: dict[int, WechatIdentity]
              ) -> list[str | Exception]:
    """Each claimed delivery's msgid, or the WeChat / template error it met; up to
    SEND_CONCURRENCY calls in flight. Anything else (a crash) propagates: nothing is recorded."""
    if not claimed:
        return []
    from wechat.clients import miniprogram_client, official_client

    settings = current_app.config["WECHAT"]
    channels = {d.channel for d, _ in claimed}
    clients = {messages.TEMPLATE: official_client() if messages.TEMPLATE in channels else None,
               messages.SUBSCRIBE: miniprogram_client() if messages.SUBSCRIBE in channels else None}

    def call(item: tuple[Delivery, OutboxMessage]) -> str | Exception:
        delivery, outbox = item
        try:
            return send_one(delivery, outbox.notification, identities[delivery.identity_id], settings, clients)
        except (WeChatClientException, LookupError, ValueError) as exc:
            return exc

    threads = max(int(config()["SEND_CONCURRENCY"]), 1)
    if threads == 1 or len(claimed) == 1:
        return [call(item) for item in claimed]
    pool = _senders.get(threads)
    if pool is None:
        pool = _senders[threads] = ThreadPoolExecutor(threads, thread_name_prefix="wq-send")
    return list(pool.map(call, claimed))


def _record(delivery: Delivery, outbox: OutboxMessage, identity: WechatIdentity,
            outcome: str | Exception) -> None:
    """A send's outcome on its delivery; committed with the batch."""
    if isinstance(outcome, WeChatClientException):
        _failed(delivery, outbox, identity, outcome, config())
    elif isinstance(outcome, Exception):  # no template for the event, a bad keyword name
        delivery.status, delivery.errcode = DeliveryStatus.FAILED, None
        delivery.errmsg = f"模板配置错误：{outcome}"[:300]
        log.error("delivery %s: %s", delivery.id, outcome)
    else:
        delivery.status, delivery.msgid, delivery.sent_at = DeliveryStatus.SENT, outcome[:64], utcnow()
        delivery.errcode = delivery.errmsg = None


def _record_sent(sent: list[tuple[Delivery, str]]) -> None:
    """The common outcome, sent with its msgid, for a whole batch in one UPDATE (the unit of work
    would send one per row: a third of a worker's time in the fan-out benchmark)."""
    if not sent:
        return
    now = utcnow()
    values = {"status": DeliveryStatus.SENT, "sent_at": now, "errcode": None, "errmsg": None}
    table = Delivery.__table__
    db.session.execute(table.update().where(table.c.id.in_([d.id for d, _ in sent])).values(
        **values, msgid=case({d.id: msgid for d, msgid in sent}, value=table.c.id)))
    for delivery, msgid in sent:  # what the rows now hold, so the flush writes nothing again
        for name, value in {**values, "msgid": msgid}.items():
            set_committed_value(delivery, name, value)


def _write_alike(rows: list[OutboxMessage]) -> None:
    """The outbox rows' pending changes by update_alike (they mostly settle alike), then marked
    written so the flush sends nothing again."""
    changes = []
    for row in rows:
        state = inspect(row)
        changes.append((row.id, {k: state.dict[k] for k, old in state.committed_state.items()
                                 if k in state.mapper.column_attrs.keys() and old != state.dict.get(k)}))
    update_alike(OutboxMessage.__table__, changes)
    for row, (_, values) in zip(rows, changes, strict=True):
        for name, value in values.items():
            set_committed_value(row, name, value)


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
