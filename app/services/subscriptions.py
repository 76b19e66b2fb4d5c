"""Mini-program subscribe messages: which grants to ask for at which moment, and recording them.

A subscribe message (the fallback channel of SPEC §9, for people who do not follow the official
account) can only be sent after the user tapped "允许" in ``wx.requestSubscribeMessage``, once per
tap and template. The mini-program asks at the moments that lead to the news (after accepting a
letter: the review outcomes; after sending letters: the student's answers …), at most three
templates at a time (WeChat's limit), and reports what the user chose; each "accept" adds one use
to the grant that ``app.jobs.delivery`` spends when it picks the subscribe channel.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import case, select, update
from sqlalchemy.exc import IntegrityError

from app.domain.errors import Forbidden, InvalidInput
from app.extensions import db
from app.models import SubscribeGrant, WechatApp, WechatIdentity
from app.services.unit import transactional
from wechat import messages

MAX_PER_REQUEST = 3  # wx.requestSubscribeMessage takes at most three template ids
MAX_REMAINING = 50  # uses kept per template: enough for a season, bounded against a looping client

# moment → (the role that meets it, the events whose news it leads to)
MOMENTS: dict[str, tuple[str, tuple[str, ...]]] = {
    "student_letters": ("student", ("invitation_received", "invitation_modified", "invitation_expiring")),
    "student_accepted": ("student", ("review_passed", "review_rejected", "agreement_effective")),
    "student_termination": ("student", ("termination_agreed", "termination_disagreed",
                                        "termination_approved")),
    "student_termination_answered": ("student", ("termination_approved", "termination_rejected")),
    "employer_sent": ("employer_user", ("invitation_accepted", "invitation_rejected", "invitation_expired")),
    "employer_modified": ("employer_user", ("revision_accepted", "revision_declined", "agreement_effective")),
    "employer_termination": ("employer_user", ("termination_agreed", "termination_disagreed",
                                               "termination_approved")),
    "employer_termination_answered": ("employer_user", ("termination_approved", "termination_rejected")),
    "employer_verification": ("employer_user", ("employer_verified", "employer_verification_rejected")),
    # A reviewer deciding on the phone: the service-level reminders (for those who do not follow the
    # official account, the only way these reach them).
    "college_reviewer_reviewing": ("college_reviewer", ("review_overdue",)),
    "school_reviewer_reviewing": ("school_reviewer", ("review_overdue", "review_overdue_escalated")),
}
CHOICES = ("accept", "reject", "ban", "filter")


@dataclass
class MomentTemplates:
    moment: str
    template_ids: list[str]  # to pass to wx.requestSubscribeMessage, in this order
    events: list[str]


@dataclass
class GrantCount:
    template_id: str
    remaining: int


def _check_moment(moment: str, role: str) -> tuple[str, ...]:
    if moment not in MOMENTS:
        raise InvalidInput("VALIDATION_FAILED", "未知的订阅时机", {"moment": "未知的订阅时机"})
    owner, events = MOMENTS[moment]
    if owner != role:
        raise InvalidInput("VALIDATION_FAILED", "该订阅时机不适用于当前账号", {"moment": "不适用于当前账号"})
    return events


def templates_for(settings: dict[str, Any], moment: str, role: str) -> MomentTemplates:
    """The subscribe templates configured for the moment's events (none configured: empty)."""
    events = _check_moment(moment, role)
    ids: list[str] = []
    covered: list[str] = []
    for event in events:
        template = messages.template_for(settings, event, messages.SUBSCRIBE)
        if template is None:
            continue
        if template["template_id"] not in ids:
            ids.append(template["template_id"])
        covered.append(event)
    return MomentTemplates(moment, ids[:MAX_PER_REQUEST], covered)


def _mini_identity(identity_id: int | None, account_id: int, appid: str) -> WechatIdentity:
    identity = db.session.get(WechatIdentity, identity_id) if identity_id else None
    if identity is None or identity.app != WechatApp.MINIPROGRAM or identity.account_id != account_id \
            or identity.appid != appid:
        raise Forbidden("WECHAT_LOGIN_REQUIRED", "请在微信小程序中登录后订阅消息")
    return identity


@transactional
def record_choices(settings: dict[str, Any], identity_id: int | None, account_id: int, role: str,
                   moment: str, choices: dict[str, str]) -> list[GrantCount]:
    """What the user chose in the subscribe dialog of ``moment``: each "accept" adds one use of
    that template to the caller's mini-program identity. Template ids the moment did not ask for
    are refused (a client cannot grant itself arbitrary templates)."""
    asked = templates_for(settings, moment, role).template_ids
    unknown = [t for t in choices if t not in asked]
    if unknown:
        raise InvalidInput("VALIDATION_FAILED", "订阅的模板与该时机不符",
                           {"results": "、".join(unknown)[:200]})
    bad = [t for t, choice in choices.items() if choice not in CHOICES]
    if bad:
        raise InvalidInput("VALIDATION_FAILED", "订阅结果应为 accept、reject、ban 或 filter",
                           {"results": "、".join(bad)[:200]})
    identity = _mini_identity(identity_id, account_id, settings["MINIPROGRAM"]["APPID"])
    counts = []
    for template_id in asked:
        if choices.get(template_id) != "accept":
            continue
        counts.append(GrantCount(template_id, _add_use(identity.id, template_id)))
    return counts


def _add_use(identity_id: int, template_id: str) -> int:
    """One more use of a grant (created on the first), capped; the row lock keeps concurrent
    taps from losing one."""
    for _ in range(2):
        grant = db.session.scalar(select(SubscribeGrant).where(
            SubscribeGrant.identity_id == identity_id, SubscribeGrant.template_id == template_id)
            .with_for_update())
        if grant is not None:
            db.session.execute(update(SubscribeGrant).where(SubscribeGrant.id == grant.id).values(
                remaining=case((SubscribeGrant.remaining >= MAX_REMAINING, MAX_REMAINING),
                               else_=SubscribeGrant.remaining + 1))
                .execution_options(synchronize_session=False))
            db.session.refresh(grant)
            return grant.remaining
        try:
            with db.session.begin_nested():
                db.session.add(SubscribeGrant(identity_id=identity_id, template_id=template_id, remaining=1))
            return 1
        except IntegrityError:  # a concurrent first tap created it: add to that one
            continue
    raise AssertionError("unreachable")
