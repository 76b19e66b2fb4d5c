"""签约邀请函 (seed 004 §5.1): the letter form for the students chosen in the favorites, with the
户档信息 as default, dictionary pickers, the pre-send checks and the preview shown before the
send button appears, then the batch send with a result per student. The same form modifies an
agreement (修改邀约). Thin: app/services/invitations.py, presend_checks.py."""
from __future__ import annotations

import hashlib
import json
from typing import Any

from flask import flash, request, url_for
from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from app.domain.errors import InvalidInput
from app.domain.terms import InvitationTerms
from app.extensions import db
from app.models import Student
from app.services import archive, directory, invitations, presend_checks, search
from app.services.dictionaries import names_of, region_options
from app.web import forms
from app.web.base import back_to, current_actor, render
from app.web.employer_pages import bp, employer_required

TERM_FIELDS = ("job_category_code", "position", "feedback_days", "probation_days", "probation_salary",
               "regular_salary", "liquidated_damages", "report_place", "report_deadline",
               "work_region_code", "work_address", "contact_name", "contact_phone", "supplementary_terms")
ARCHIVE_FIELDS = ("archive_receiving", "archive_unit", "archive_address", "archive_postcode",
                  "archive_contact", "archive_phone", "hukou_receiving", "hukou_address", "hukou_reason")
FIELD_LABELS = {"job_category_code": "工作职位类别", "position": "拟聘用职位", "feedback_days": "反馈有效期",
                "probation_days": "试用期", "probation_salary": "试用起薪", "regular_salary": "转正起薪",
                "liquidated_damages": "违约金", "report_place": "报到地点", "report_deadline": "报到期限",
                "work_region_code": "实际工作地点", "work_address": "工作地址", "contact_name": "签约联系人",
                "contact_phone": "联系电话", "supplementary_terms": "补充条款", "archive": "户档信息",
                **{f: "户档信息" for f in ARCHIVE_FIELDS}}


def chosen_ids(source) -> list[int]:
    """The students ticked in the favorites (student_ids, repeated)."""
    ids = []
    for raw in source.getlist("student_ids")[:invitations.MAX_BATCH + 1]:
        if not raw.isdigit() or len(raw) > 12:
            raise InvalidInput("VALIDATION_FAILED", "所选学生有误", {"student_ids": "应为学生编号"})
        ids.append(int(raw))
    return list(dict.fromkeys(ids))


def form_values() -> dict[str, str]:
    return {name: forms.text(name, limit=2000) for name in (*TERM_FIELDS, *ARCHIVE_FIELDS,
                                                            "archive_mode", "work_region_city")}


def form_digest(values: dict[str, str], ids: list[int]) -> str:
    """What the checks and preview were shown for: a send with anything changed since is shown
    its checks again instead of being sent (a guard for people, not against them)."""
    return hashlib.sha256(json.dumps([values, ids], sort_keys=True).encode()).hexdigest()[:32]


def reviewed_as(values: dict[str, str], ids: list[int]) -> bool:
    return forms.text("reviewed", limit=64) == form_digest(values, ids)


def terms_from(values: dict[str, str]) -> InvitationTerms:
    """The letter's terms from the form; a field the model refuses is named in Chinese."""
    data: dict[str, Any] = {k: values[k] or None for k in TERM_FIELDS}
    data["work_region_code"] = values["work_region_code"] or values["work_region_city"] or None
    if values["archive_mode"] == "custom":
        data["archive"] = {k: values[k] or None for k in ARCHIVE_FIELDS}
    try:
        return InvitationTerms.model_validate(data)
    except ValidationError as exc:
        fields = {}
        for error in exc.errors():
            name = str(error["loc"][0]) if error["loc"] else "terms"
            message = error["msg"].removeprefix("Value error, ")
            fields[name] = f"{FIELD_LABELS.get(name, name)}：{message}" if name != "terms" else message
        raise InvalidInput("VALIDATION_FAILED", "邀请函填写有误", fields) from None


def defaults(actor) -> dict[str, str]:
    """A fresh form: the 户档信息 as archive defaults, the account's name as contact."""
    values = {k: "" for k in (*TERM_FIELDS, *ARCHIVE_FIELDS, "work_region_city")}
    profile = archive.profile_of(actor.employer_id)
    values["archive_mode"] = "profile" if profile else "custom"
    if profile:
        values.update({k: str(v) for k, v in profile.data.items() if v is not None})
    else:
        values.update(archive_receiving="employer", hukou_receiving="not_received")
    values["contact_name"] = actor.display_name[:50]
    return values


def pickers(values: dict[str, str] | None = None) -> dict[str, Any]:
    """The dictionaries of the form; the districts of the city already chosen (else htmx loads
    them when a city is picked)."""
    values = values or {}
    code = values.get("work_region_code") or ""
    city = values.get("work_region_city") or (code[:4] + "00" if len(code) == 6 else "")
    return {"job_categories": directory.dictionary_options("job_category"), "regions": region_options(),
            "districts": directory.dictionary_options("region", city) if len(city) == 6 and city.isdigit() else [],
            "chosen_city": city}


def students_of(actor, ids: list[int]) -> list[dict]:
    """Masked cards of the chosen students this employer may invite (others are left out)."""
    reachable = search.reachable_ids(actor.employer_id, ids)
    by_id = {s.id: s for s in db.session.scalars(select(Student).where(Student.id.in_(reachable)).options(
        selectinload(Student.school), selectinload(Student.college), selectinload(Student.major)))
    } if reachable else {}
    return [search.student_card(by_id[i]) for i in ids if i in by_id]


@bp.route("/letter", methods=["GET", "POST"])
@employer_required
def letter():
    """GET: the form for the ticked students. POST action=review: checks and preview, then the
    send button; action=send: the batch, one result per student."""
    actor = current_actor()
    source = request.form if request.method == "POST" else request.args
    ids = chosen_ids(source)
    if not ids:
        flash("请先在收藏夹中勾选要邀请的学生", "warning")
        return back_to(url_for("web.employer.favorites"))
    students = students_of(actor, ids)
    values = defaults(actor) if request.method == "GET" else form_values()
    context = {"students": students, "has_profile": archive.profile_of(actor.employer_id) is not None,
               "checks": None, "preview": None, "results": None, **pickers(values)}
    if request.method == "GET":
        return render("employer/letter.html", values=values, **context)
    action = forms.choice("action", ("review", "send"), default="review")
    try:
        terms = terms_from(values)
        if not students:
            raise InvalidInput("NOT_IN_FAVORITES", invitations.NOT_REACHABLE, {"student_ids": "请重新选择"})
        checks = presend_checks.check_letter(actor, [s["id"] for s in students], terms)
        if action == "send" and reviewed_as(values, ids) and not any(c.level == "error" for c in checks):
            results = invitations.send_invitations(actor, [s["id"] for s in students], terms)
            names = {s["id"]: s["name"] for s in students}
            sent = sum(r.ok for r in results)
            flash(f"已发送{sent}份邀请函" + (f"，{len(results) - sent}名学生未发送（见下表）" if sent < len(results) else ""),
                  "success" if sent == len(results) else "warning")
            return render("employer/letter_sent.html", results=results, names=names)
        preview = invitations.preview_letter(actor, students[0]["id"], terms)
    except InvalidInput as exc:
        return render("employer/letter.html", values=values, errors=exc.fields or {"terms": exc.message},
                      error_message=exc.message, **context)
    labels = names_of({"job": ("job_category", terms.job_category_code),
                       "region": ("region", terms.work_region_code)})
    context.update(checks=checks, preview=preview, labels=labels, digest=form_digest(values, ids))
    return render("employer/letter.html", values=values, reviewed=True, **context)


@bp.get("/regions")
@employer_required
def districts():
    """The districts of the chosen city, for the work-place picker (htmx swaps the <select>)."""
    city = forms.text("work_region_city", args=True, limit=6)
    options = directory.dictionary_options("region", city) if city.isdigit() and len(city) == 6 else []
    return render("employer/_districts.html", options=options, selected=forms.text("selected", args=True, limit=6))
