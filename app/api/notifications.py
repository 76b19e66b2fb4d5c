"""The in-app inbox: every notification, always, whatever WeChat delivered."""
from __future__ import annotations

from typing import Optional

from pydantic import BaseModel, ConfigDict, Field
from spectree import Response

from app.api import bp, spec
from app.api.auth import current_actor, login_required
from app.services.paging import paginate
from app.api.schemas_common import ErrorEnvelope, Id
from app.clock import iso_china
from app.models import Notification
from app.services import inbox, signing_reads


class NotificationOut(BaseModel):
    id: int
    event: str
    title: str
    body: str
    page: Optional[str] = None
    created_at: str
    read: bool


class NotificationList(BaseModel):
    items: list[NotificationOut]
    next_cursor: Optional[str] = None
    unread: int


class NotificationQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")
    unread_only: bool = False
    cursor: Optional[str] = Field(None, max_length=40)
    limit: int = Field(20, ge=1, le=100)


class ReadBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    ids: Optional[list[Id]] = Field(None, max_length=500)  # omitted: mark all read


class ReadResult(BaseModel):
    marked: int


@bp.get("/notifications")
@login_required
@spec.validate(query=NotificationQuery, resp=Response(
    HTTP_200=NotificationList, HTTP_400=ErrorEnvelope, HTTP_401=ErrorEnvelope,
    HTTP_403=ErrorEnvelope), tags=["common"])
def notifications(query: NotificationQuery):
    """My notifications, newest first."""
    actor = current_actor()
    items, next_cursor = paginate(inbox.listing(actor, query.unread_only), Notification.id,
                                  query.cursor, query.limit)
    unread = signing_reads.unread_count(*inbox.inbox_of(actor))
    return NotificationList(items=[NotificationOut(
        id=n.id, event=n.event, title=n.title, body=n.body, page=n.page,
        created_at=iso_china(n.created_at), read=n.read_at is not None) for n in items],
        next_cursor=next_cursor, unread=unread)


@bp.post("/notifications/read")
@login_required
@spec.validate(json=ReadBody, resp=Response(HTTP_200=ReadResult, HTTP_400=ErrorEnvelope,
                                            HTTP_401=ErrorEnvelope, HTTP_403=ErrorEnvelope),
               tags=["common"])
def mark_read(json: ReadBody):
    """Mark some (ids) or all of my notifications read; repeating it changes nothing."""
    return ReadResult(marked=inbox.mark_read(current_actor(), json.ids))
