"""单位注册 on the desktop (seed 004 §2): the employer's registered data and its first user (the
admin of its accounts), then straight to 单位认证 to upload the licence. Public, like /login:
the registration service limits attempts per IP. Thin: app/services/employers.py."""
from __future__ import annotations

from flask import flash, redirect, request, url_for
from pydantic import ValidationError

from app.domain.registration import RegisterBody
from app.domain.errors import Conflict, InvalidInput
from app.services import directory, employers
from app.services.dictionaries import region_options
from app.web import forms
from app.web.base import render
from app.web.employer_pages import bp
from app.web.login import start_web_session, web_account

FIELDS = {"name": "单位名称", "credit_code": "统一社会信用代码", "nature_code": "单位性质",
          "industry_code": "所属行业", "region_code": "所在地区", "affiliation_code": "单位隶属",
          "address": "通讯地址", "contact_name": "联系人", "contact_phone": "联系电话", "email": "电子邮箱",
          "username": "用户名", "password": "密码"}


@bp.route("/register", methods=["GET", "POST"])
def register():
    """The registration form; on success the new user is logged in and sent to 单位认证."""
    if web_account() is not None:
        return redirect(url_for("web_login.done"))
    values = {k: forms.text(k, limit=200) for k in FIELDS if k != "password"}
    errors: dict[str, str] = {}
    if request.method == "POST":
        password, confirm = request.form.get("password", "")[:128], request.form.get("confirm", "")[:128]
        try:
            if password != confirm:
                raise InvalidInput("VALIDATION_FAILED", "两次输入的密码不一致", {"confirm": "两次输入的密码不一致"})
            body = _body(values, password)
            _, account = employers.register_employer(employers.Registration(**body.model_dump()),
                                                            request.remote_addr)
        except (InvalidInput, Conflict) as exc:  # said beside the form, the values kept
            errors = exc.fields or {"form": exc.message}
        else:
            start_web_session(account, via="password")
            flash("注册成功，请上传营业执照（或法人证书）扫描件和网签授权书，审核通过后即可发起签约。", "success")
            return redirect(url_for("web.employer.verification"), code=303)
    return render("employer/register.html", values=values, errors=errors, labels=FIELDS,
                  natures=directory.dictionary_options("unit_nature"),
                  industries=directory.dictionary_options("industry", top=True),
                  affiliations=directory.dictionary_options("affiliation"), regions=region_options())


def _body(values: dict[str, str], password: str) -> RegisterBody:
    try:
        return RegisterBody.model_validate({**{k: v or None for k, v in values.items()}, "password": password})
    except ValidationError as exc:
        fields = {str(e["loc"][0]): f"{FIELDS.get(str(e['loc'][0]), '')}格式不正确或未填写"
                  for e in exc.errors() if e["loc"]}
        raise InvalidInput("VALIDATION_FAILED", "提交的内容有误，请检查后重试", fields) from None
