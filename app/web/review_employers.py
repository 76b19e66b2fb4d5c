"""单位认证 queue: pending employers with their evidence; approve, or reject with a reason (the
employer is told through its inbox and WeChat by app/services/employers.decide_verification)."""
from __future__ import annotations

from flask import Blueprint, flash, request, url_for

from app.domain.errors import InvalidInput, NotFound
from app.extensions import db
from app.models import Employer
from app.services import employers
from app.services.dictionaries import names_of
from app.web.base import back_to, current_actor, render, role_required

bp = Blueprint("employers", __name__, url_prefix="/review/employers")
VERIFIERS = ("school_reviewer", "platform_admin")


@bp.get("")
@role_required(*VERIFIERS)
def queue():
    """Employers waiting for verification, oldest first."""
    return render("review/employers.html", items=employers.list_pending_verifications())


@bp.route("/<int:employer_id>", methods=["GET", "POST"])
@role_required(*VERIFIERS)
def employer(employer_id: int):
    """One employer's registration and evidence; the decision."""
    actor = current_actor()
    if request.method == "POST":
        decision = request.form.get("decision")
        if decision not in ("approve", "reject"):
            raise InvalidInput("BAD_DECISION", "请选择认证结果")
        employers.decide_verification(actor, employer_id, decision == "approve",
                                      request.form.get("reason"))
        flash("已认证通过，已通知该单位" if decision == "approve" else "已认证不通过，原因已通知该单位",
              "success")
        return back_to(url_for(".queue"))
    item = db.session.get(Employer, employer_id)
    if item is None:
        raise NotFound("EMPLOYER_NOT_FOUND", "单位不存在")
    labels = names_of({"nature": ("unit_nature", item.nature_code),
                       "industry": ("industry", item.industry_code),
                       "region": ("region", item.region_code)})
    return render("review/employer.html", e=item, labels=labels)
