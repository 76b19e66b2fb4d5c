"""平台管理 for the platform admin: schools (with their settings, colleges and majors), reviewer
and admin accounts with their scopes, employer user accounts, dictionaries."""
from __future__ import annotations

from flask import Blueprint, flash, redirect, request, url_for

from app.domain import school_admin as rules
from app.domain.errors import InvalidInput
from app.models import Role
from app.services import admin_accounts, dictionaries, organisation
from app.web import forms
from app.web.base import back_to, current_actor, render, role_required
from app.web.school_admin import handle_account_form, handle_college_form, settings_from_form

bp = Blueprint("admin", __name__, url_prefix="/admin")
ADMIN = ("platform_admin",)


# -- schools -----------------------------------------------------------------------------------------

@bp.route("/schools", methods=["GET", "POST"])
@role_required(*ADMIN)
def schools():
    """Every school with its colleges and students; create a school."""
    if request.method == "POST":
        school = organisation.create_school(current_actor(), forms.text("code"), forms.text("name"),
                                            forms.text("region_code") or None, settings_from_form())
        flash(f"已创建学校：{school.code} {school.name}", "success")
        return redirect(url_for(".school", school_id=school.id), code=303)
    return render("admin/schools.html", rows=organisation.schools_page(forms.text("q", args=True)),
                  q=forms.text("q", args=True), levels=rules.REVIEW_LEVEL_LABELS, bounds=rules,
                  region_options=dictionaries.region_options(), defaults=organisation.SchoolSettings(
                      "college_school", 5, 1, True, 3, None))


@bp.route("/schools/<int:school_id>", methods=["GET", "POST"])
@role_required(*ADMIN)
def school(school_id: int):
    """A school's name, region and settings."""
    actor = current_actor()
    record = organisation.require_school_admin(actor, school_id)
    if request.method == "POST":
        action = forms.choice("action", ("profile", "settings"))
        if action == "profile":
            organisation.update_school(actor, school_id, forms.text("name"),
                                       forms.text("region_code") or None)
        elif action == "settings":
            organisation.update_settings(actor, school_id, settings_from_form())
        else:
            raise InvalidInput("VALIDATION_FAILED", "不支持的操作")
        flash("已保存", "success")
        return back_to()
    return render("admin/school.html", school=record, settings=organisation.settings_of(record),
                  levels=rules.REVIEW_LEVEL_LABELS, bounds=rules,
                  region_options=dictionaries.region_options())


@bp.route("/schools/<int:school_id>/colleges", methods=["GET", "POST"])
@role_required(*ADMIN)
def school_colleges(school_id: int):
    """A school's colleges and majors."""
    record = organisation.require_school_admin(current_actor(), school_id)
    if request.method == "POST":
        handle_college_form(record.id)
        return back_to()
    return render("school/colleges.html", school=record,
                  colleges=organisation.colleges_with_majors(record.id), admin_view=True)


# -- accounts ----------------------------------------------------------------------------------------

@bp.route("/accounts", methods=["GET", "POST"])
@role_required(*ADMIN)
def accounts():
    """Reviewer and admin accounts of every school, with their scope."""
    actor = current_actor()
    school_id = forms.optional_int("school", args=True)
    issued, done = handle_account_form(None) if request.method == "POST" else (None, None)
    if request.method == "POST" and issued is None:
        return back_to()
    schools = admin_accounts.schools_for(actor)
    school = next((s for s in schools if s.id == school_id), None)
    colleges = [c for s in ([school] if school else schools) for c in organisation.colleges_with_majors(s.id)]
    return render("accounts/staff.html", accounts=admin_accounts.staff_accounts(actor, school_id,
                                                                               forms.text("q", args=True)),
                  school=school, schools=schools, colleges=colleges, q=forms.text("q", args=True),
                  roles={Role.SCHOOL_REVIEWER: admin_accounts.ROLE_LABELS[Role.SCHOOL_REVIEWER],
                         Role.COLLEGE_REVIEWER: "学院审核员", Role.PLATFORM_ADMIN: "平台管理员"},
                  issued=issued, done=done, admin_view=True, page_url=url_for(".accounts"),
                  role_labels=admin_accounts.ROLE_LABELS)


@bp.route("/employers", methods=["GET", "POST"])
@role_required(*ADMIN)
def employers():
    """单位账号: employer users; disable, enable, reset the password (one-time, shown once)."""
    actor = current_actor()
    issued = done = None
    if request.method == "POST":
        action = forms.choice("action", ("disable", "enable", "reset"))
        account_id = forms.required_int("account_id")
        if action == "reset":
            issued = admin_accounts.reset_password(actor, account_id)
            done = f"已重置 {issued.account.username} 的密码"
        else:
            account = admin_accounts.set_active(actor, account_id, action == "enable")
            flash(f"账号 {account.username} 已{'启用' if action == 'enable' else '停用'}", "success")
            return back_to()
    q, page = forms.text("q", args=True, limit=50), forms.page_number()
    rows, total = admin_accounts.employer_accounts(actor, q, page)
    return render("admin/employers.html", rows=rows, total=total, q=q, page=page,
                  pages=max(1, -(-total // admin_accounts.PAGE_SIZE)), issued=issued, done=done)


# -- dictionaries ------------------------------------------------------------------------------------

@bp.get("/dictionaries")
@role_required(*ADMIN)
def dictionary_kinds():
    """The code dictionaries and their sizes."""
    return render("admin/dictionaries.html", kinds=dictionaries.kinds())


@bp.route("/dictionaries/<kind>", methods=["GET", "POST"])
@role_required(*ADMIN)
def dictionary(kind: str):
    """One dictionary's entries: rename, re-parent, enable or disable, add."""
    actor = current_actor()
    if request.method == "POST":
        action = forms.choice("action", ("update", "add"))
        if action == "update":
            entry = dictionaries.update_entry(actor, forms.required_int("entry_id"), forms.text("name"),
                                              forms.checkbox("is_active"), forms.text("parent_code"))
            flash(f"已保存：{entry.code} {entry.name}", "success")
        else:
            entry = dictionaries.add_entry(actor, kind, forms.text("code"), forms.text("name"),
                                           forms.text("parent_code"))
            flash(f"已添加：{entry.code} {entry.name}", "success")
        return back_to()
    q, page = forms.text("q", args=True, limit=50), forms.page_number()
    rows, total = dictionaries.entries(kind, q, page)
    return render("admin/dictionary.html", kind=kind, label=dictionaries.KIND_LABELS[kind], rows=rows,
                  total=total, q=q, page=page, pages=max(1, -(-total // dictionaries.PAGE_SIZE)))
