"""The employer's desktop workbench (seed 004 §3): counts per status for a cohort, the notices,
the students' termination requests waiting for us, the operating guide; the previous log-in's
time and IP (seed 002 §2.1.1). The other employer pages add their routes to ``bp``:
employer_students (收藏夹), employer_letters (邀请函), employer_agreements (签约/解约),
employer_profile (户档信息, 单位信息, 认证, 账号)."""
from __future__ import annotations

from flask import Blueprint, request

from app.domain import workbench
from app.extensions import db
from app.models import Employer, RecipientType
from app.services import employer_desk, signing_reads
from app.web import forms
from app.web.base import back_to, current_account, current_actor, render, role_required

bp = Blueprint("employer", __name__, url_prefix="/employer")
EMPLOYER = "employer_user"


def employer_required(view):
    return role_required(EMPLOYER)(view)


def cohort_arg() -> int | None:
    cohort = forms.optional_int("cohort", args=True, label="毕业年度")
    return cohort if cohort is None or 2000 <= cohort <= 2100 else None


@bp.route("/", methods=["GET", "POST"])
@employer_required
def home():
    """工作台: counts per status group (switchable by cohort), notices, what waits for us.
    POST: 全部标为已读."""
    actor = current_actor()
    if request.method == "POST":
        employer_desk.mark_notices_read(actor)
        return back_to()
    cohort = cohort_arg()
    employer = db.session.get(Employer, actor.employer_id)
    counts = signing_reads.workbench_counts(actor, cohort)
    return render("employer/home.html", employer=employer, cohort=cohort,
                  cohorts=employer_desk.cohorts_of(actor), groups=workbench.GROUPS, counts=counts,
                  notices=employer_desk.recent_notices(actor),
                  unread=signing_reads.unread_count(RecipientType.EMPLOYER, actor.employer_id),
                  waiting=signing_reads.employer_waiting_terminations(actor),
                  last_login=employer_desk.previous_login(current_account().id))


@bp.get("/guide")
@employer_required
def guide():
    """操作指南: the steps of seed 004 on one printable page."""
    return render("employer/guide.html")
