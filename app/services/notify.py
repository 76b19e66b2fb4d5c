"""Emit a notification: an inbox row and an outbox row, in the caller's transaction."""
from __future__ import annotations

from typing import Any

from app.domain.events import EMPLOYER_INVITATION_PAGE, EVENTS
from app.extensions import db
from app.models import Notification, OutboxMessage, RecipientType


def rendered(event: str, page_override: str | None = None, **data: Any) -> dict[str, Any]:
    """The inbox row's words for an event: title, body, page and the template fields."""
    spec = EVENTS[event]
    fields = {k: ("" if v is None else v) for k, v in data.items()}
    return {"event": event, "title": spec.title, "body": spec.body.format(**fields)[:500],
            "page": page_override or (spec.page.format(**fields) if spec.page else None),
            "data": {k: str(v) for k, v in fields.items()}}


def dedupe_key(event: str, recipient_type: RecipientType, recipient_id: int, dedupe: str) -> str:
    return f"{event}:{recipient_type.value}:{recipient_id}:{dedupe}"[:100]


def notify(recipient_type: RecipientType, recipient_id: int, event: str, *, dedupe: str,
           subject_type: str | None = None, subject_id: int | None = None,
           page_override: str | None = None, **data: Any) -> Notification:
    """dedupe names this occurrence (e.g. the flow seq): the same occurrence is never pushed twice."""
    notification = Notification(recipient_type=recipient_type, recipient_id=recipient_id,
                                subject_type=subject_type, subject_id=subject_id,
                                **rendered(event, page_override, **data))
    db.session.add(notification)
    # Linked by relationship: the unit of work inserts both in order, batched, at the next flush.
    db.session.add(OutboxMessage(notification=notification, priority=EVENTS[event].priority,
                                 dedupe_key=dedupe_key(event, recipient_type, recipient_id, dedupe)))
    return notification


Item = tuple[RecipientType, int, int, str, dict[str, Any]]


def notify_new_subjects(event: str, subject_type: str, items: list[Item]) -> int:
    """notify() for many subjects of this transaction with bulk INSERTs: items are (recipient
    type, recipient id, subject id, dedupe, data)."""
    return notify_many(event, subject_type, [(*item, None) for item in items])


def notify_many(event: str, subject_type: str,
                items: list[tuple[RecipientType, int, int, str, dict[str, Any], str | None]]) -> int:
    """notify() for many (recipient, subject) pairs, each at most once, with bulk INSERTs: items
    are (recipient type, recipient id, subject id, dedupe, data, page override). Six statements
    whatever their number, each on a key; the outbox rows are enqueued when the transaction commits."""
    from sqlalchemy import func, select

    from app.clock import utcnow
    from app.services import outbox

    if not items:
        return 0
    now = utcnow()
    # Read back by primary-key range: the rows are newer than the largest id before the INSERT.
    before = db.session.scalar(select(func.max(Notification.id))) or 0
    # Core INSERTs (not the ORM's bulk path): a sweep writes thousands of rows per batch.
    db.session.execute(Notification.__table__.insert(), [
        {"recipient_type": rtype, "recipient_id": rid, "subject_type": subject_type, "subject_id": sid,
         "created_at": now, **rendered(event, page, **data)} for rtype, rid, sid, _, data, page in items])
    ids = {(rtype, rid, sid): nid for rtype, rid, sid, nid in db.session.execute(select(
        Notification.recipient_type, Notification.recipient_id, Notification.subject_id, Notification.id)
        .where(Notification.id > before, Notification.subject_type == subject_type,
               Notification.event == event,
               Notification.subject_id.in_({sid for _, _, sid, *_ in items})))}
    priority = EVENTS[event].priority
    keys = {dedupe_key(event, rtype, rid, dedupe): ids[(rtype, rid, sid)]
            for rtype, rid, sid, dedupe, *_ in items}
    due = outbox.first_due(now)
    db.session.execute(OutboxMessage.__table__.insert(), [
        {"notification_id": nid, "dedupe_key": key, "priority": priority, "status": "pending",
         "attempts": 0, "next_attempt_at": due, "created_at": now} for key, nid in keys.items()])
    created = db.session.scalars(select(OutboxMessage.id).where(OutboxMessage.dedupe_key.in_(list(keys))))
    outbox.enqueue_after_commit({i: priority for i in created})
    return len(keys)


def employer_page(invitation_id: int) -> str:
    return EMPLOYER_INVITATION_PAGE.format(invitation_id=invitation_id)
