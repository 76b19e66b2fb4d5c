"""修改密码, and the rule that an account whose password was reset by an administrator changes it
before doing anything else on the desktop pages."""
from __future__ import annotations

from flask import Blueprint, flash, make_response, redirect, request, url_for

from app.services import admin_accounts
from app.web import forms
from app.web.base import STAFF, current_actor, is_htmx, render, role_required, web
from app.web.login import web_account

bp = Blueprint("account", __name__, url_prefix="/account")
ALLOWED_WHILE_RESET = {"web.account.password", "web.static"}


@web.before_request
def _password_reset_first():
    """After an administrator's reset, every desktop page leads to 修改密码 until it is done."""
    if request.endpoint in ALLOWED_WHILE_RESET:
        return None
    account = web_account()
    if account is None or not account.must_change_password:
        return None
    target = url_for("web.account.password")
    if is_htmx():
        response = make_response("", 204)
        response.headers["HX-Redirect"] = target
        return response
    flash("管理员已重置你的密码，请先设置新密码。", "warning")
    return redirect(target)


@bp.route("/password", methods=["GET", "POST"])
@role_required(*STAFF, "employer_user")
def password():
    """Change my password: the current one, then the new one twice."""
    if request.method == "POST":
        admin_accounts.change_own_password(current_actor(), request.form.get("current", "")[:128],
                                           request.form.get("new", "")[:128],
                                           request.form.get("confirm", "")[:128])
        flash("密码已修改", "success")
        if current_actor().role == "employer_user":
            return redirect(url_for("web_login.done"), code=303)
        return redirect(url_for("web.home"), code=303)
    return render("account/password.html", forced=web_account().must_change_password,
                  hint=forms.text("next", args=True))
