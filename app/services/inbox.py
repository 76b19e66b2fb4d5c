"""A user's notification inbox: whose it is, the query over it, marking it read."""
from __future__ import annotations

from sqlalchemy import ColumnElement, Select, select, update

from app.clock import utcnow
from app.domain.actors import Actor
from app.extensions import db
from app.models import Notification, RecipientType
from app.services.unit import transactional


def inbox_of(actor: Actor) -> tuple[RecipientType, int]:
    """Students and employers read their own shared inbox; reviewers and admins their account's."""
    if actor.role == "student":
        return RecipientType.STUDENT, actor.student_id
    if actor.role == "employer_user":
        return RecipientType.EMPLOYER, actor.employer_id
    return RecipientType.ACCOUNT, actor.account_id


def _mine(actor: Actor) -> ColumnElement[bool]:
    kind, owner = inbox_of(actor)
    return (Notification.recipient_type == kind) & (Notification.recipient_id == owner)


def listing(actor: Actor, unread_only: bool) -> Select:
    """The actor's notifications (the caller pages them, newest first)."""
    stmt = select(Notification).where(_mine(actor))
    return stmt.where(Notification.read_at.is_(None)) if unread_only else stmt


@transactional
def mark_read(actor: Actor, ids: list[int] | None) -> int:
    """Mark some (ids) or all of the actor's notifications read; repeating it changes nothing."""
    stmt = update(Notification).where(_mine(actor), Notification.read_at.is_(None))
    if ids is not None:
        stmt = stmt.where(Notification.id.in_(ids))
    result = db.session.execute(stmt.values(read_at=utcnow()).execution_options(
        synchronize_session=False))
    return result.rowcount
