"""签约/解约 (seed 004 §5–8): one list per status group with every filter of the API, keyset
pages and Excel export; the detail with the letter, the flow log, the e-agreement downloads and
the terminations; 修改邀约; 解约 both ways (we ask, or we answer the student).

Every route takes the agreement's id and loads it for this employer first: another employer's
agreement is a 404 before any form is read. Thin: signing_reads, employer_lists, invitations,
terminations."""
from __future__ import annotations

from datetime import date

from flask import Response, flash, request, url_for
from sqlalchemy import select

from app.http import attachment
from app.clock import utcnow
from app.domain.signing import is_overdue
from app.services.invitation_views import invitation_detail, invitation_summary
from app.domain import termination as termination_rules
from app.domain import workbench
from app.domain.errors import InvalidInput
from app.extensions import db
from app.models import Termination
from app.services import employer_desk, employer_lists, invitations, presend_checks, signing_reads
from app.services import terminations as termination_service
from app.services.dictionaries import names_of
from app.services.employer_lists import EmployerFilter
from app.services.search import student_card
from app.web import forms
from app.web.base import back_to, current_actor, render
from app.web.employer_letters import (
    ARCHIVE_FIELDS,
    TERM_FIELDS,
    form_digest,
    form_values,
    pickers,
    reviewed_as,
    terms_from,
)
from app.web.employer_pages import bp, cohort_arg, employer_required

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PAGE = 20


def _date(name: str) -> date | None:
    raw = forms.text(name, args=True, limit=10)
    if not raw:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise InvalidInput("BAD_FILTER", "日期格式应为 年-月-日", {name: "日期格式不正确"}) from None


def parse_filter() -> EmployerFilter:
    """The list's filters from the query string, checked as the API checks them."""
    school_code = forms.text("school_code", args=True, limit=10)
    id_number = forms.text("id_number", args=True, limit=18)
    if school_code and not (len(school_code) == 5 and school_code.isdigit()):
        raise InvalidInput("BAD_FILTER", "学校代码应为5位数字", {"school_code": "应为5位数字"})
    if id_number and len(id_number) < 15:
        raise InvalidInput("BAD_FILTER", "请输入完整的身份证号", {"id_number": "身份证号不完整"})
    f = EmployerFilter(group=forms.choice("status", workbench.GROUPS, args=True), cohort=cohort_arg(),
                       school_code=school_code or None, name=forms.text("name", args=True, limit=50) or None,
                       id_number=id_number or None, major=forms.text("major", args=True, limit=100) or None,
                       date_from=_date("from"), date_to=_date("to"))
    if f.date_from and f.date_to and f.date_from > f.date_to:
        raise InvalidInput("BAD_FILTER", "开始日期不能晚于结束日期", {"from": "开始日期不能晚于结束日期"})
    return f


def _filter_args() -> dict[str, str]:
    return {k: v for k, v in request.args.items() if k != "cursor" and v}


@bp.get("/agreements")
@employer_required
def agreements():
    """签约/解约 list of one status group (all by default), newest first, 20 a page."""
    actor = current_actor()
    f = parse_filter()
    cursor = forms.optional_int("cursor", args=True, label="页码")
    rows, more = signing_reads.list_page(employer_lists.filtered(actor, f), cursor, PAGE)
    now = utcnow()
    items = [{**invitation_summary(r), "group": workbench.GROUPS[workbench.group_of(
        r.invitation.state.value, r.invitation.termination_status,
        is_overdue(r.invitation.state.value, r.invitation.deadline_at, now))]} for r in rows]
    next_cursor = rows[-1].invitation.id if more and rows else None
    return render("employer/agreements.html", fragment="results", rows=items, f=f, next_cursor=next_cursor,
                  first_page=cursor is None, filter_args=_filter_args(), groups=workbench.GROUPS,
                  active=f.group or "all", cohorts=employer_desk.cohorts_of(actor))


@bp.get("/agreements/export.xlsx")
@employer_required
def agreements_export():
    """导出Excel of the filtered list."""
    with employer_lists.write_export(current_actor(), parse_filter()) as out:
        body = out.read()
    response = Response(body, mimetype=XLSX)
    response.headers["Content-Disposition"] = attachment("签约名单.xlsx")
    return response


def _terminations_of(agreement_id: int) -> list[Termination]:
    return list(db.session.scalars(select(Termination).where(
        Termination.invitation_id == agreement_id).order_by(Termination.id.desc())))


def _load(agreement_id: int) -> dict:
    """The agreement as this employer sees it (404 if not ours)."""
    actor = current_actor()
    return invitation_detail(signing_reads.invitation_detail(actor, agreement_id), actor)


@bp.route("/agreements/<int:agreement_id>", methods=["GET", "POST"])
@employer_required
def agreement(agreement_id: int):
    """Detail; POST action=request_termination | agree | disagree (解约 both ways)."""
    detail = _load(agreement_id)
    actor = current_actor()
    if request.method == "POST":
        action = forms.choice("action", ("request_termination", "agree", "disagree"))
        if action is None:
            raise InvalidInput("VALIDATION_FAILED", "请选择要进行的操作", {"action": "必填"})
        if action == "request_termination":
            termination_service.request_termination(actor, agreement_id, forms.text("reason", limit=300),
                                                    forms.checkbox("acknowledge"))
            flash("解约申请已提交，等待学生回应", "success")
        else:
            waiting = _waiting_for_us(agreement_id)
            if waiting is None:
                raise InvalidInput("NOTHING_TO_ANSWER", "没有等待本单位回应的解约申请")
            termination_service.answer_termination(actor, waiting.id, action == "agree",
                                                   forms.checkbox("confirm"),
                                                   forms.text("reason", limit=200) or None)
            flash("已同意解约，等待院校审核" if action == "agree" else "已不同意解约，签约仍有效", "success")
        return back_to()
    items = _terminations_of(agreement_id)
    notice = (termination_service.termination_notice(actor, agreement_id)
              if "request_termination" in detail["allowed_actions"] else None)
    return render("employer/agreement.html", d=detail, terminations=items, notice=notice,
                  waiting=_waiting_for_us(agreement_id, items),
                  termination_labels=termination_rules.STATE_LABELS)


def _waiting_for_us(agreement_id: int, items: list[Termination] | None = None) -> Termination | None:
    actor = current_actor()
    for t in items if items is not None else _terminations_of(agreement_id):
        if t.state.value == termination_rules.AWAITING_PARTY and t.initiated_by.value == "student" \
                and "agree" in termination_service.allowed_actions(t, actor):
            return t
    return None


def _values_of(terms: dict) -> dict[str, str]:
    values = {k: "" if terms.get(k) is None else str(terms[k]) for k in TERM_FIELDS}
    values.update({k: "" if (terms.get("archive") or {}).get(k) is None else str(terms["archive"][k])
                   for k in ARCHIVE_FIELDS})
    values.update(archive_mode="custom", work_region_city="")
    return values


@bp.route("/agreements/<int:agreement_id>/modify", methods=["GET", "POST"])
@employer_required
def modify(agreement_id: int):
    """修改邀约: the letter form filled with the current terms; checks before saving."""
    detail = _load(agreement_id)
    if "modify" not in detail["allowed_actions"]:
        raise InvalidInput("ACTION_NOT_ALLOWED", "当前状态不能修改邀约")
    actor = current_actor()
    invitation = signing_reads.invitation_detail(actor, agreement_id).invitation
    card = student_card(invitation.student)
    values = _values_of(detail["terms"]) if request.method == "GET" else form_values()
    context = {"students": [card], "modify_of": detail, "has_profile": False, "checks": None,
               "preview": None, **pickers(values)}
    if request.method == "GET":
        return render("employer/letter.html", values=values, **context)
    try:
        terms = terms_from(values)
        checks = presend_checks.check_letter(actor, [card["id"]], terms)
        if forms.choice("action", ("review", "send"), default="review") == "send" \
                and reviewed_as(values, [card["id"]]):
            invitations.modify_invitation(actor, agreement_id, terms)
            flash("邀约已修改" + ("，等待学生确认" if detail["state"] != "invited" else ""), "success")
            return back_to(url_for("web.employer.agreement", agreement_id=agreement_id))
    except InvalidInput as exc:
        return render("employer/letter.html", values=values, errors=exc.fields or {}, error_message=exc.message,
                      **context)
    labels = names_of({"job": ("job_category", terms.job_category_code),
                       "region": ("region", terms.work_region_code)})
    context.update(checks=checks, labels=labels, digest=form_digest(values, [card["id"]]))
    return render("employer/letter.html", values=values, reviewed=True, **context)


