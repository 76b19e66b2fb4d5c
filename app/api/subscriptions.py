"""Subscribe-message grants from the mini-program (wx.requestSubscribeMessage)."""
from __future__ import annotations

from typing import Literal

from flask import current_app
from pydantic import BaseModel, ConfigDict, Field
from spectree import Response

from app.api import bp, spec
from app.api.auth import current_account, current_session, login_required
from app.api.conventions import idempotent
from app.api.schemas_common import ERRORS
from app.services import subscriptions

Moment = Literal[tuple(subscriptions.MOMENTS)]  # type: ignore[valid-type]
Choice = Literal["accept", "reject", "ban", "filter"]


class MomentQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")
    moment: Moment


class MomentTemplatesOut(BaseModel):
    moment: Moment
    template_ids: list[str] = Field(description="传给 wx.requestSubscribeMessage 的 tmplIds（至多3个）")
    events: list[str]


class ChoicesBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    moment: Moment
    results: dict[str, Choice] = Field(
        max_length=3, description="wx.requestSubscribeMessage 的结果：模板 id → accept/reject/ban/filter")


class GrantOut(BaseModel):
    template_id: str
    remaining: int


class ChoicesRecorded(BaseModel):
    granted: list[GrantOut]


@bp.get("/subscriptions/templates")
@login_required
@spec.validate(query=MomentQuery, resp=Response(HTTP_200=MomentTemplatesOut, **ERRORS),
               tags=["subscriptions"])
def subscription_templates(query: MomentQuery):
    """The subscribe templates to ask for at a moment (empty when none is configured)."""
    found = subscriptions.templates_for(current_app.config["WECHAT"], query.moment,
                                        current_account().role.value)
    return MomentTemplatesOut(**found.__dict__)


@bp.post("/subscriptions")
@login_required
@idempotent
@spec.validate(json=ChoicesBody, resp=Response(HTTP_200=ChoicesRecorded, **ERRORS),
               tags=["subscriptions"])
def record_subscriptions(json: ChoicesBody):
    """Record what the user chose in the subscribe dialog: each "accept" is one message we may send."""
    account = current_account()
    granted = subscriptions.record_choices(current_app.config["WECHAT"], current_session().identity_id,
                                           account.id, account.role.value, json.moment, json.results)
    return ChoicesRecorded(granted=[GrantOut(**g.__dict__) for g in granted])
