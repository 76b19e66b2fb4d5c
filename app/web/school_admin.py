"""学校设置 for the school's reviewers (the school's administrators, SPEC §1): settings and
minimum wages, colleges and majors, reviewer accounts. The platform admin reaches the same
college and account pages of any school through /admin (app/web/platform_admin.py)."""
from __future__ import annotations

from flask import Blueprint, flash, request, url_for

from app.domain import school_admin as rules
from app.domain.errors import InvalidInput
from app.models import Role
from app.services import admin_accounts, organisation
from app.services.dictionaries import region_names, region_options
from app.services.organisation import SchoolSettings
from app.web import forms
from app.web.base import back_to, current_actor, render, role_required

bp = Blueprint("school", __name__, url_prefix="/school")
SCHOOL_ADMIN = ("school_reviewer",)


def _school():
    actor = current_actor()
    return organisation.require_school_admin(actor, actor.school_id)


def settings_from_form() -> SchoolSettings:
    cap = forms.optional_int("liquidated_damages_cap", label="违约金上限")
    return SchoolSettings(
        review_levels=forms.choice("review_levels", rules.REVIEW_LEVEL_LABELS) or "",
        default_feedback_days=forms.required_int("default_feedback_days", label="默认反馈有效期"),
        termination_limit=forms.required_int("termination_limit", label="解约次数上限"),
        forced_terminations_count=forms.checkbox("forced_terminations_count"),
        review_sla_days=forms.required_int("review_sla_days", label="审核时限"),
        liquidated_damages_cap=cap)


@bp.route("/settings", methods=["GET", "POST"])
@role_required(*SCHOOL_ADMIN)
def settings():
    """学校设置: review levels, feedback days, termination limit, service level, damages cap and
    the minimum monthly wage per region."""
    actor, school = current_actor(), _school()
    if request.method == "POST":
        action = forms.choice("action", ("settings", "wage_set", "wage_delete"))
        if action == "settings":
            organisation.update_settings(actor, school.id, settings_from_form())
            flash("学校设置已保存", "success")
        elif action == "wage_set":
            wage = organisation.set_minimum_wage(actor, school.id, forms.text("region_code"),
                                                 forms.required_int("monthly_wage", label="最低月工资"))
            flash(f"已设置地区 {wage.region_code} 的最低月工资：{wage.monthly_wage} 元", "success")
        elif action == "wage_delete":
            organisation.remove_minimum_wage(actor, school.id, forms.required_int("wage_id"))
            flash("已删除该地区的最低工资设置", "success")
        else:
            raise InvalidInput("VALIDATION_FAILED", "不支持的操作")
        return back_to()
    return render("school/settings.html", school=school, settings=organisation.settings_of(school),
                  levels=rules.REVIEW_LEVEL_LABELS, wages=organisation.minimum_wages(school.id),
                  region_names=region_names(), region_options=region_options(), bounds=rules)


# -- colleges and majors -----------------------------------------------------------------------

def handle_college_form(school_id: int) -> None:
    """The one POST of the 院系专业 page (school or platform admin): create or rename."""
    actor = current_actor()
    action = forms.choice("action", ("college_create", "college_rename", "major_create", "major_rename"))
    if action == "college_create":
        college = organisation.create_college(actor, school_id, forms.text("code"), forms.text("name"))
        flash(f"已添加学院：{college.name}", "success")
    elif action == "college_rename":
        college = organisation.rename_college(actor, forms.required_int("college_id"), forms.text("name"))
        flash(f"学院已更名为：{college.name}", "success")
    elif action == "major_create":
        major = organisation.create_major(actor, forms.required_int("college_id"), forms.text("code"),
                                          forms.text("name"))
        flash(f"已添加专业：{major.name}", "success")
    elif action == "major_rename":
        major = organisation.rename_major(actor, forms.required_int("major_id"), forms.text("name"))
        flash(f"专业已更名为：{major.name}", "success")
    else:
        raise InvalidInput("VALIDATION_FAILED", "不支持的操作")


@bp.route("/colleges", methods=["GET", "POST"])
@role_required(*SCHOOL_ADMIN)
def colleges():
    """院系专业 of my school: add and rename colleges and majors."""
    school = _school()
    if request.method == "POST":
        handle_college_form(school.id)
        return back_to()
    return render("school/colleges.html", school=school,
                  colleges=organisation.colleges_with_majors(school.id), admin_view=False)


# -- reviewer accounts ---------------------------------------------------------------------------

def handle_account_form(default_school_id: int | None):
    """The one POST of an accounts page: create, disable, enable, reset. Returns the one-time
    password to show (create without a password, reset), or None."""
    actor = current_actor()
    action = forms.choice("action", ("create", "disable", "enable", "reset"))
    if action == "create":
        role = admin_accounts.ensure_role(forms.text("role"))
        school_id = forms.optional_int("school_id") or default_school_id
        issued = admin_accounts.create_staff_account(
            actor, role, forms.text("username"), forms.text("display_name"), school_id=school_id,
            college_id=forms.optional_int("college_id") if role == Role.COLLEGE_REVIEWER else None)
        return issued, f"已创建账号 {issued.account.username}"
    account_id = forms.required_int("account_id")
    if action == "reset":
        issued = admin_accounts.reset_password(actor, account_id)
        return issued, f"已重置 {issued.account.username} 的密码"
    account = admin_accounts.set_active(actor, account_id, action == "enable")
    flash(f"账号 {account.username} 已{'启用' if action == 'enable' else '停用'}", "success")
    return None, None


@bp.route("/accounts", methods=["GET", "POST"])
@role_required(*SCHOOL_ADMIN)
def accounts():
    """审核员账号 of my school: college and school reviewers; create, disable, reset passwords."""
    actor, school = current_actor(), _school()
    issued, done = (handle_account_form(school.id) if request.method == "POST" else (None, None))
    if request.method == "POST" and issued is None:
        return back_to()
    return render("accounts/staff.html", accounts=admin_accounts.staff_accounts(actor, school.id),
                  school=school, schools=[school], colleges=organisation.colleges_with_majors(school.id),
                  roles={role: admin_accounts.ROLE_LABELS[role]
                         for role in (Role.COLLEGE_REVIEWER, Role.SCHOOL_REVIEWER)},
                  issued=issued, done=done, admin_view=False, page_url=url_for(".accounts"),
                  role_labels=admin_accounts.ROLE_LABELS)
