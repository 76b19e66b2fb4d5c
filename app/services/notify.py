"""Emit a notification: an inbox row and an outbox row, in the caller's transaction."""
from __future__ import annotations

from typing import Any

from app.domain.events import EMPLOYER_INVITATION_PAGE, EVENTS
from app.extensions import db
from app.models import Notification, OutboxMessage, RecipientType


def notify(recipient_type: RecipientType, recipient_id: int, event: str, *, dedupe: str,
           subject_type: str | None = None, subject_id: int | None = None,
           page_override: str | None = None, **data: Any) -> Notification:
    """dedupe names this occurrence (e.g. the flow seq): the same occurrence is never pushed twice."""
    spec = EVENTS[event]
    fields = {k: ("" if v is None else v) for k, v in data.items()}
    page = page_override or (spec.page.format(**fields) if spec.page else None)
    notification = Notification(
        recipient_type=recipient_type, recipient_id=recipient_id, event=event,
        title=spec.title, body=spec.body.format(**fields)[:500], page=page,
        subject_type=subject_type, subject_id=subject_id,
        data={k: str(v) for k, v in fields.items()})
    db.session.add(notification)
    # Linked by relationship: the unit of work inserts both in order, batched, at the next flush.
    db.session.add(OutboxMessage(
        notification=notification, priority=spec.priority,
        dedupe_key=f"{event}:{recipient_type.value}:{recipient_id}:{dedupe}"[:100]))
    return notification


def employer_page(invitation_id: int) -> str:
    return EMPLOYER_INVITATION_PAGE.format(invitation_id=invitation_id)
