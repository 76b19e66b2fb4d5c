"""Template messages (official account) and subscribe messages (mini-program) for our events.

Configuration: ``WECHAT.TEMPLATES`` maps an event of app/domain/events.py to
``{"template_id": ..., "fields": {keyword: source}, "subscribe": {"template_id": ..., "fields": ...}}``;
whatever an entry leaves out comes from ``DEFAULT_TEMPLATES`` below (fake ids the emulator
accepts; production configures the ids it picked in the MP console, and their keywords).

The 2023 template rules: no ``first``/``remark``, only keywords, each value within its type's
limit. The type is the keyword's name without its number (``thing1``, ``time2``, ``phrase3``):
thing ≤ 20 characters, phrase ≤ 5, name ≤ 10, character_string / number ≤ 32, time a date/time.
A ``source`` is a ``str.format`` string over the notification: its ``data`` (employer_name,
student_name, position, deadline, remark, agreement_no, requester, counterpart …) plus
``title``, ``body``, ``created_time`` (its time in Asia/Shanghai) and ``deadline_time``.
Text without braces is a literal ("待反馈").
"""
from __future__ import annotations

import re
import string
from datetime import datetime
from typing import Any, Protocol

from wechat.clock import to_china

TEMPLATE = "template"  # official-account template message
SUBSCRIBE = "subscribe"  # mini-program subscribe message

# Characters allowed per keyword type (WeChat's documented limits).
LIMITS = {"thing": 20, "phrase": 5, "name": 10, "character_string": 32, "number": 32,
          "letter": 32, "symbol": 5, "amount": 32, "phone_number": 17, "car_number": 8,
          "time": 32, "date": 32, "const": 20}
# What an empty value becomes: WeChat refuses an empty keyword (47003).
EMPTY = {"thing": "无", "phrase": "无", "name": "未知", "time": "-", "date": "-"}
KEYWORD_RE = re.compile(r"^([a-z_]+?)(\d+)$")


class NotificationLike(Protocol):
    event: str
    title: str
    body: str
    page: str | None
    data: dict[str, Any] | None
    created_at: datetime


def _tpl(event: str, fields: dict[str, str]) -> dict[str, Any]:
    name = event.upper()
    return {"template_id": f"TPL_{name}", "fields": fields,
            "subscribe": {"template_id": f"SUB_{name}", "fields": dict(fields)}}


_EMPLOYER_SIDE = {"thing1": "{employer_name}", "thing2": "{position}"}
_STUDENT_SIDE = {"name1": "{student_name}", "thing2": "{position}"}


def _outcome(phrase: str, with_remark: bool = True) -> dict[str, str]:
    fields = {**_EMPLOYER_SIDE, "phrase3": phrase}
    if with_remark:
        fields["thing4"] = "{remark}"
    fields["time5" if with_remark else "time4"] = "{created_time}"
    return fields


DEFAULT_TEMPLATES: dict[str, dict[str, Any]] = {
    # to the student
    "invitation_received": _tpl("invitation_received", {
        **_EMPLOYER_SIDE, "time3": "{deadline_time}", "phrase4": "待反馈"}),
    "invitation_modified": _tpl("invitation_modified", {
        **_EMPLOYER_SIDE, "phrase3": "已修改", "time4": "{created_time}"}),
    "invitation_expiring": _tpl("invitation_expiring", {
        **_EMPLOYER_SIDE, "time3": "{deadline_time}", "phrase4": "即将过期"}),
    "review_passed": _tpl("review_passed", _outcome("学院通过", with_remark=False)),
    "review_rejected": _tpl("review_rejected", _outcome("不通过")),
    "agreement_effective": _tpl("agreement_effective", {
        **_EMPLOYER_SIDE, "character_string3": "{agreement_no}", "phrase4": "已生效",
        "time5": "{created_time}"}),
    "approval_withdrawn": _tpl("approval_withdrawn", _outcome("已撤回")),
    "agreement_voided": _tpl("agreement_voided", _outcome("已作废")),
    "agreement_invalidated": _tpl("agreement_invalidated", _outcome("已失效")),
    "agreement_force_terminated": _tpl("agreement_force_terminated", _outcome("强制解约")),
    # to the employer
    "invitation_accepted": _tpl("invitation_accepted", {
        **_STUDENT_SIDE, "phrase3": "已同意", "time4": "{created_time}"}),
    "invitation_rejected": _tpl("invitation_rejected", {
        **_STUDENT_SIDE, "phrase3": "已拒绝", "thing4": "{remark}", "time5": "{created_time}"}),
    "invitation_expired": _tpl("invitation_expired", {
        **_STUDENT_SIDE, "phrase3": "已过期", "time4": "{created_time}"}),
    "revision_accepted": _tpl("revision_accepted", {
        **_STUDENT_SIDE, "phrase3": "已同意", "time4": "{created_time}"}),
    "revision_declined": _tpl("revision_declined", {
        **_STUDENT_SIDE, "phrase3": "不同意", "time4": "{created_time}"}),
    "employer_verified": _tpl("employer_verified", {
        "thing1": "{employer_name}", "phrase2": "已通过", "time3": "{created_time}"}),
    "employer_verification_rejected": _tpl("employer_verification_rejected", {
        "thing1": "{employer_name}", "phrase2": "未通过", "thing3": "{remark}",
        "time4": "{created_time}"}),
    # terminations, to either party
    "termination_requested": _tpl("termination_requested", {
        "thing1": "{requester}", "thing2": "{position}", "thing3": "{remark}", "phrase4": "待确认",
        "time5": "{created_time}"}),
    "termination_agreed": _tpl("termination_agreed", {
        "thing1": "{counterpart}", "thing2": "{position}", "phrase3": "已同意",
        "time4": "{created_time}"}),
    "termination_disagreed": _tpl("termination_disagreed", {
        "thing1": "{counterpart}", "thing2": "{position}", "phrase3": "不同意",
        "time4": "{created_time}"}),
    "termination_approved": _tpl("termination_approved", _outcome("已解约", with_remark=False)),
    "termination_rejected": _tpl("termination_rejected", _outcome("不通过")),
    # 线下签约, to the student
    "paper_approved": _tpl("paper_approved", {
        **_EMPLOYER_SIDE, "character_string3": "{agreement_no}", "phrase4": "待反馈",
        "time5": "{created_time}"}),
    "paper_rejected": _tpl("paper_rejected", _outcome("不通过")),
    "paper_effective": _tpl("paper_effective", {
        **_EMPLOYER_SIDE, "character_string3": "{agreement_no}", "phrase4": "已生效",
        "time5": "{created_time}"}),
    "paper_scan_rejected": _tpl("paper_scan_rejected", _outcome("请重新反馈")),
    "paper_termination_approved": _tpl("paper_termination_approved", _outcome("已解约", with_remark=False)),
    "paper_termination_rejected": _tpl("paper_termination_rejected", _outcome("不通过")),
    # to reviewers (service levels)
    "review_overdue": _tpl("review_overdue", {
        "thing1": "{kind_label}", "number2": "{count}", "thing3": "超过{limit}个工作日未处理",
        "time4": "{created_time}"}),
    "review_overdue_escalated": _tpl("review_overdue_escalated", {
        "thing1": "{scope_name}{kind_label}", "number2": "{count}", "thing3": "超过{limit}个工作日未处理",
        "time4": "{created_time}"}),
}


def _merged(event: str, base: dict[str, Any] | None, entry: Any) -> dict[str, Any]:
    if not isinstance(entry, dict):
        raise ValueError(f"WECHAT.TEMPLATES.{event} must be a table")
    merged = {**(base or {}), **{k: v for k, v in entry.items() if k != "subscribe"}}
    if isinstance(entry.get("subscribe"), dict):
        merged["subscribe"] = {**(base or {}).get("subscribe", {}), **entry["subscribe"]}
    return merged


def template_for(settings: dict[str, Any], event: str, channel: str) -> dict[str, Any] | None:
    """{"template_id", "fields"} of an event on a channel, or None when none is configured."""
    configured = (settings.get("TEMPLATES") or {}).get(event)
    entry = DEFAULT_TEMPLATES.get(event) if configured is None else _merged(
        event, DEFAULT_TEMPLATES.get(event), configured)
    if entry is None:
        return None
    chosen = entry if channel == TEMPLATE else entry.get("subscribe") or {}
    if not chosen.get("template_id") or not chosen.get("fields"):
        return None
    return {"template_id": chosen["template_id"], "fields": chosen["fields"]}


# -- rendering --------------------------------------------------------------------------------


def keyword_type(keyword: str) -> str:
    match = KEYWORD_RE.match(keyword)
    if not match:
        raise ValueError(f"template keyword {keyword!r} must be a type and a number, e.g. thing1")
    return match.group(1)


def fit(kind: str, value: str) -> str:
    """A value within its keyword type's rules: trimmed, never empty."""
    value = " ".join(str(value).split())  # no newlines or runs of blanks in a keyword
    if kind in ("character_string", "number", "letter", "amount"):
        value = value.replace(" ", "")
    if kind == "number":
        value = "".join(ch for ch in value if ch.isdigit() or ch == ".")
    if not value:
        value = EMPTY.get(kind, "-")
    limit = LIMITS.get(kind, 20)
    if len(value) > limit:
        value = value[:limit - 1] + "…" if kind == "thing" else value[:limit]
    return value


class _Blank(dict):
    def __missing__(self, key: str) -> str:
        return ""


def _china_time(value: datetime | None) -> str:
    return "" if value is None else f"{to_china(value):%Y年%m月%d日 %H:%M}"


def _deadline_time(deadline: str) -> str:
    """"2026/07/15" (as notify stores it; "reply by the 15th, 24:00") → "2026年07月15日 23:59"."""
    try:
        day = datetime.strptime(deadline.strip(), "%Y/%m/%d")
    except ValueError:
        return deadline
    return f"{day:%Y年%m月%d日} 23:59"  # WeChat's time type has no 24:00


def context(notification: NotificationLike) -> dict[str, str]:
    data = {str(k): "" if v is None else str(v) for k, v in (notification.data or {}).items()}
    return _Blank({**data, "title": notification.title, "body": notification.body,
                   "event": notification.event,
                   "created_time": _china_time(notification.created_at),
                   "deadline_time": _deadline_time(data.get("deadline", ""))})


def render_fields(fields: dict[str, str], ctx: dict[str, str]) -> dict[str, dict[str, str]]:
    """{"thing1": {"value": "..."}, ...}: every keyword filled and within its type's limit."""
    formatter = string.Formatter()
    out = {}
    for keyword, source in fields.items():
        out[keyword] = {"value": fit(keyword_type(keyword), formatter.vformat(source, (), ctx))}
    return out


def template_payload(notification: NotificationLike, openid: str, settings: dict[str, Any], *,
                     client_msg_id: str) -> dict[str, Any]:
    """The body of POST /cgi-bin/message/template/send; the message opens ``notification.page``."""
    spec = template_for(settings, notification.event, TEMPLATE)
    if spec is None:
        raise LookupError(f"no template message configured for {notification.event}")
    payload: dict[str, Any] = {
        "touser": openid, "template_id": spec["template_id"],
        "data": render_fields(spec["fields"], context(notification)),
        # WeChat sends one message per (openid, client_msg_id): a retry after a crash is safe.
        "client_msg_id": client_msg_id,
    }
    if notification.page and settings["MINIPROGRAM"].get("APPID"):
        payload["miniprogram"] = {"appid": settings["MINIPROGRAM"]["APPID"],
                                  "pagepath": notification.page}
    return payload


def subscribe_payload(notification: NotificationLike, openid: str,
                      settings: dict[str, Any]) -> dict[str, Any]:
    """The body of POST /cgi-bin/message/subscribe/send (mini-program ``page`` to open)."""
    spec = template_for(settings, notification.event, SUBSCRIBE)
    if spec is None:
        raise LookupError(f"no subscribe message configured for {notification.event}")
    payload: dict[str, Any] = {
        "touser": openid, "template_id": spec["template_id"],
        "data": render_fields(spec["fields"], context(notification)),
        "miniprogram_state": settings.get("MINIPROGRAM_STATE", "formal"), "lang": "zh_CN",
    }
    if notification.page:
        payload["page"] = notification.page
    return payload


def send_template(client: Any, payload: dict[str, Any]) -> str:
    """Send through a ConfiguredWeChatClient (wechatpy's send_template has no client_msg_id)."""
    return str(client.post("message/template/send", data=payload).get("msgid", ""))


def send_subscribe(client: Any, payload: dict[str, Any]) -> str:
    return str(client.post("message/subscribe/send", data=payload).get("msgid", ""))
