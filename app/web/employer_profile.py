"""户档信息管理 with its history, 单位信息 (what the agreement prints), 单位认证 (status, the
licence and authorisation-letter upload, the 网签授权书 template), 账号管理 (the employer's
admin adds colleagues, resets their passwords, disables them). Seed 004 §2, §9–11.
Thin: app/services/archive.py, employers.py, employer_accounts.py."""
from __future__ import annotations

from flask import Response, flash, request
from pydantic import ValidationError

from app.http import attachment
from app.domain.errors import InvalidInput
from app.domain.terms import ArchiveTerms
from app.services import archive, employer_accounts, employers
from app.services.dictionaries import names_of
from app.web import forms
from app.web.base import back_to, current_actor, render
from app.web.employer_letters import ARCHIVE_FIELDS, FIELD_LABELS
from app.web.employer_pages import bp, employer_required

VERIFICATION_LABELS = {"pending": "待审核", "approved": "已认证", "rejected": "认证未通过"}
ARCHIVE_LABELS = {"employer": "签约单位接收", "forward": "转寄至档案接收单位", "not_received": "单位不接收",
                  "received": "接收"}
AUTHORISATION_TEMPLATE = """网签授权书（模板）

全国高校毕业生毕业去向登记与网上签约平台：

兹授权我单位员工 ________（身份证号：__________________，手机号：___________）
作为我单位网上签约经办人，使用网签平台代表我单位向毕业生发送签约邀请、办理签约与解约等事宜。
经办人在网签平台的操作视为我单位行为，我单位对其操作承担相应责任。

单位名称：{name}
统一社会信用代码：{credit_code}

单位（盖章）：
法定代表人或负责人（签字）：
日期：      年    月    日

（请打印本授权书，盖章后扫描或拍照，在「单位信息 - 单位认证」中上传。）
"""


@bp.route("/archive", methods=["GET", "POST"], endpoint="archive")
@employer_required
def archive_page():
    """户档信息: one per employer, shared by its users; every saved version is listed."""
    actor = current_actor()
    errors: dict[str, str] = {}
    values = None
    if request.method == "POST":
        values = {k: forms.text(k, limit=200) for k in ARCHIVE_FIELDS}
        try:
            terms = ArchiveTerms.model_validate({k: v or None for k, v in values.items()})
        except ValidationError as exc:  # say what is wrong, in the model's Chinese messages
            errors = {"archive": "；".join(e["msg"].removeprefix("Value error, ") for e in exc.errors())}
        else:
            archive.save_profile(actor, terms)
            flash("户档信息已保存", "success")
            return back_to()
    profile, history = employers.archive_profile_with_history(actor)
    if values is None:
        values = {k: "" for k in ARCHIVE_FIELDS}
        values.update({k: "" if v is None else str(v) for k, v in (profile.data if profile else {}).items()})
    return render("employer/archive.html", profile=profile, history=history, values=values, errors=errors,
                  labels=ARCHIVE_LABELS, field_labels=FIELD_LABELS)


@bp.get("/unit")
@employer_required
def unit():
    """单位信息: the registered data the e-agreement prints (read-only here)."""
    employer = employers.employer_of(current_actor())
    names = names_of({"nature": ("unit_nature", employer.nature_code),
                      "industry": ("industry", employer.industry_code),
                      "region": ("region", employer.region_code)})
    return render("employer/unit.html", employer=employer, names=names,
                  status_label=VERIFICATION_LABELS[employer.verification_status.value])


@bp.route("/verification", methods=["GET", "POST"])
@employer_required
def verification():
    """单位认证: status, rejection reason, evidence; upload the licence and authorisation letter."""
    actor = current_actor()
    if request.method == "POST":
        employers.submit_evidence(actor, request.files.get("licence"), request.files.get("authorisation"),
                                  request.remote_addr)
        flash("认证材料已提交，请等待审核", "success")
        return back_to()
    employer = employers.employer_of(actor)
    return render("employer/verification.html", employer=employer,
                  status_label=VERIFICATION_LABELS[employer.verification_status.value])


@bp.get("/verification/authorisation-template.txt")
@employer_required
def authorisation_template():
    """下载网签授权书模板, filled with our name and credit code."""
    employer = employers.employer_of(current_actor())
    body = AUTHORISATION_TEMPLATE.format(name=employer.name, credit_code=employer.credit_code)
    response = Response(body.encode("utf-8-sig"), mimetype="text/plain")
    response.headers["Content-Disposition"] = attachment("网签授权书模板.txt")
    return response


@bp.route("/accounts", methods=["GET", "POST"])
@employer_required
def accounts():
    """账号管理: everyone sees the colleagues; the admin adds, resets, disables and enables."""
    actor = current_actor()
    if request.method == "POST":
        action = forms.choice("action", ("add", "reset", "disable", "enable"))
        ip = request.remote_addr
        if action == "add":
            username, name = forms.text("username", limit=50), forms.text("display_name", limit=50)
            if not username or not name:
                raise InvalidInput("VALIDATION_FAILED", "请填写用户名和姓名", {"username": "必填"})
            employer_accounts.add_colleague(actor, username, name, request.form.get("password", "")[:128], ip)
            flash(f"已添加账号 {username}，请将初始密码告知同事", "success")
        else:
            account_id = forms.required_int("account_id", label="账号")
            if action == "reset":
                employer_accounts.reset_password(actor, account_id, request.form.get("password", "")[:128], ip)
                flash("密码已重置", "success")
            else:
                employer_accounts.set_colleague_active(actor, account_id, action == "enable", ip)
                flash("账号已启用" if action == "enable" else "账号已停用", "success")
        return back_to()
    items = employers.accounts_of(actor)
    me = next(a for a in items if a.id == actor.account_id)
    return render("employer/accounts.html", items=items, me=me)
