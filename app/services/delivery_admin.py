"""What platform admins see of WeChat pushes: every delivery, counts per status, failures."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from typing import Any

from sqlalchemy import Select, func, select

from app.clock import CHINA, utcnow
from app.extensions import db
from app.models import (Delivery, DeliveryStatus, Notification, OutboxMessage, OutboxStatus,
                        WechatIdentity)


@dataclass(frozen=True)
class DeliveryFilter:
    status: DeliveryStatus | None = None
    event: str | None = None
    errcode: int | None = None
    date_from: date | None = None  # Asia/Shanghai days, inclusive
    date_to: date | None = None


@dataclass(frozen=True)
class DeliveryRow:
    id: int
    outbox_id: int
    notification_id: int
    event: str
    title: str
    recipient_type: str
    recipient_id: int
    channel: str
    openid: str | None
    status: str
    attempts: int
    errcode: int | None
    errmsg: str | None
    msgid: str | None
    created_at: datetime
    next_attempt_at: datetime | None
    sent_at: datetime | None


def _utc_start(day: date) -> datetime:
    return datetime.combine(day, time(0), CHINA).astimezone(timezone.utc).replace(tzinfo=None)


def _where(stmt: Select, f: DeliveryFilter, *, with_status: bool = True) -> Select:
    if with_status and f.status is not None:
        stmt = stmt.where(Delivery.status == f.status)
    if f.event:
        stmt = stmt.where(Notification.event == f.event)
    if f.errcode is not None:
        stmt = stmt.where(Delivery.errcode == f.errcode)
    if f.date_from:
        stmt = stmt.where(Delivery.created_at >= _utc_start(f.date_from))
    if f.date_to:
        stmt = stmt.where(Delivery.created_at < _utc_start(f.date_to + timedelta(days=1)))
    return stmt


def _joined(stmt: Select) -> Select:
    return (stmt.join(OutboxMessage, OutboxMessage.id == Delivery.outbox_id)
            .join(Notification, Notification.id == OutboxMessage.notification_id))


def list_deliveries(f: DeliveryFilter, before_id: int | None = None, limit: int = 20
                    ) -> tuple[list[DeliveryRow], bool]:
    """Newest first; (rows, more). One query."""
    stmt = _joined(select(
        Delivery, Notification.id.label("nid"), Notification.event, Notification.title,
        Notification.recipient_type, Notification.recipient_id, WechatIdentity.openid)
    ).outerjoin(WechatIdentity, WechatIdentity.id == Delivery.identity_id)
    stmt = _where(stmt, f)
    if before_id is not None:
        stmt = stmt.where(Delivery.id < before_id)
    rows = db.session.execute(stmt.order_by(Delivery.id.desc()).limit(limit + 1)).all()
    out = [DeliveryRow(
        id=d.id, outbox_id=d.outbox_id, notification_id=nid, event=event, title=title,
        recipient_type=rtype.value, recipient_id=rid, channel=d.channel, openid=openid,
        status=d.status.value, attempts=d.attempts, errcode=d.errcode, errmsg=d.errmsg,
        msgid=d.msgid, created_at=d.created_at,
        next_attempt_at=None if d.status in (DeliveryStatus.SENT, DeliveryStatus.FAILED)
        else d.next_attempt_at, sent_at=d.sent_at)
        for d, nid, event, title, rtype, rid, openid in rows[:limit]]
    return out, len(rows) > limit


def delivery_counts(f: DeliveryFilter) -> dict[str, int]:
    """Deliveries per status under the filter (its status aside), every status present."""
    stmt = _where(_joined(select(Delivery.status, func.count())), f, with_status=False)
    counts = {s.value: 0 for s in DeliveryStatus}
    counts.update({s.value: n for s, n in db.session.execute(stmt.group_by(Delivery.status))})
    return counts


def outbox_counts(f: DeliveryFilter) -> dict[str, int]:
    """Outbox rows per status (skipped ones have no delivery: nobody to push to)."""
    stmt = select(OutboxMessage.status, func.count()).join(
        Notification, Notification.id == OutboxMessage.notification_id)
    if f.event:
        stmt = stmt.where(Notification.event == f.event)
    if f.date_from:
        stmt = stmt.where(OutboxMessage.created_at >= _utc_start(f.date_from))
    if f.date_to:
        stmt = stmt.where(OutboxMessage.created_at < _utc_start(f.date_to + timedelta(days=1)))
    counts = {s.value: 0 for s in OutboxStatus}
    counts.update({s.value: n for s, n in db.session.execute(stmt.group_by(OutboxMessage.status))})
    return counts


def failure_summary(f: DeliveryFilter, limit: int = 20) -> list[dict[str, Any]]:
    """Failed deliveries grouped by errcode, most frequent first, with one errmsg each."""
    stmt = _where(_joined(select(Delivery.errcode, func.count(), func.max(Delivery.errmsg))),
                  f, with_status=False).where(Delivery.status == DeliveryStatus.FAILED)
    rows = db.session.execute(stmt.group_by(Delivery.errcode).order_by(
        func.count().desc()).limit(limit)).all()
    return [{"errcode": code, "count": n, "errmsg": msg} for code, n, msg in rows]


def stats(day: date | None = None) -> dict[str, Any]:
    """One day's picture (Asia/Shanghai; default today) for `flask delivery-stats`."""
    from app.services.delivery import quota_limit, quota_used

    f = DeliveryFilter(date_from=day, date_to=day) if day else DeliveryFilter()
    today = day is None or day == utcnow().replace(tzinfo=timezone.utc).astimezone(CHINA).date()
    return {"outbox": outbox_counts(f), "deliveries": delivery_counts(f),
            "failures": failure_summary(f),
            "quota": {"used": quota_used(), "limit": quota_limit()} if today else None}
