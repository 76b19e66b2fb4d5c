"""Platform admins: every WeChat push, its outcome and WeChat's errcode (SPEC §9)."""
from __future__ import annotations

from datetime import date
from typing import Literal, Optional

from pydantic import BaseModel, ConfigDict, Field, model_validator
from spectree import Response

from app.api import bp, spec
from app.api.auth import roles_required
from app.services.paging import decode_cursor, encode_cursor
from app.api.schemas_common import ERRORS
from app.clock import iso_china
from app.domain.errors import InvalidInput
from app.domain.events import EVENTS
from app.models import DeliveryStatus
from app.services import delivery_admin

FIRST_DAY, LAST_DAY = date(2000, 1, 1), date(2100, 12, 31)
MAX_ID = 2**63 - 1
EventName = Literal[tuple(EVENTS)]  # type: ignore[valid-type]


class DeliveryQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")
    status: Optional[Literal["pending", "sent", "deferred", "failed"]] = None
    event: Optional[EventName] = None
    errcode: Optional[int] = Field(None, ge=-1, le=99999)
    date_from: Optional[date] = Field(None, ge=FIRST_DAY, le=LAST_DAY)  # Asia/Shanghai, inclusive
    date_to: Optional[date] = Field(None, ge=FIRST_DAY, le=LAST_DAY)
    cursor: Optional[str] = Field(None, max_length=40)
    limit: int = Field(20, ge=1, le=100)

    @model_validator(mode="after")
    def _range(self) -> "DeliveryQuery":
        if self.date_from and self.date_to and self.date_from > self.date_to:
            raise ValueError("开始日期不能晚于结束日期")
        return self


class DeliveryOut(BaseModel):
    id: int
    outbox_id: int
    notification_id: int
    event: str
    title: str
    recipient_type: str
    recipient_id: int
    channel: str
    openid: Optional[str] = None  # masked
    status: str
    attempts: int
    errcode: Optional[int] = None
    errmsg: Optional[str] = None
    msgid: Optional[str] = None
    created_at: str
    next_attempt_at: Optional[str] = None
    sent_at: Optional[str] = None


class FailureOut(BaseModel):
    errcode: Optional[int] = None
    count: int
    errmsg: Optional[str] = None


class DeliveryList(BaseModel):
    items: list[DeliveryOut]
    next_cursor: Optional[str] = None
    counts: dict[str, int]  # deliveries per status (the status filter aside)
    outbox_counts: dict[str, int]  # pushes owed per status; skipped = nobody to push to
    failures: list[FailureOut]


def mask_openid(openid: str | None) -> str | None:
    if not openid:
        return None
    return openid[:4] + "****" + openid[-4:] if len(openid) > 10 else openid[:2] + "****"


@bp.get("/admin/deliveries")
@roles_required("platform_admin")
@spec.validate(query=DeliveryQuery, resp=Response(HTTP_200=DeliveryList, **ERRORS), tags=["admin"])
def admin_deliveries(query: DeliveryQuery):
    """WeChat deliveries, newest first, with counts per status and failures by errcode."""
    f = delivery_admin.DeliveryFilter(
        status=DeliveryStatus(query.status) if query.status else None, event=query.event,
        errcode=query.errcode, date_from=query.date_from, date_to=query.date_to)
    before = decode_cursor(query.cursor)
    if before is not None and before > MAX_ID:
        raise InvalidInput("BAD_CURSOR", "分页参数无效", {"cursor": "分页参数无效"})
    rows, more = delivery_admin.list_deliveries(f, before, query.limit)
    items = [DeliveryOut(
        id=r.id, outbox_id=r.outbox_id, notification_id=r.notification_id, event=r.event,
        title=r.title, recipient_type=r.recipient_type, recipient_id=r.recipient_id,
        channel=r.channel, openid=mask_openid(r.openid), status=r.status, attempts=r.attempts,
        errcode=r.errcode, errmsg=r.errmsg, msgid=r.msgid, created_at=iso_china(r.created_at),
        next_attempt_at=iso_china(r.next_attempt_at), sent_at=iso_china(r.sent_at)) for r in rows]
    return DeliveryList(
        items=items, next_cursor=encode_cursor(rows[-1].id) if more and rows else None,
        counts=delivery_admin.delivery_counts(f), outbox_counts=delivery_admin.outbox_counts(f),
        failures=[FailureOut(**x) for x in delivery_admin.failure_summary(f)])
