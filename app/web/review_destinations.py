"""其他去向 reviewer pages (SPEC §7, §10; seed 002 §2.5.2, §2.6.2): the queue with the filters and
keyset pages of the other queues, the detail with the category's fields, 派遣 and 档案信息, the
images and the flow log, and the decisions — on a registration or on its cancellation (注销).

A college reviewer sees the college, a school reviewer the school: anything else is a 404."""
from __future__ import annotations

from flask import Blueprint, Response, flash, request, send_file, url_for

from app.domain import destinations as rules
from app.domain.errors import InvalidInput, NotFound
from app.services import destinations, review_destinations, review_queue
from app.web.base import REVIEWERS, back_to, current_actor, render, role_required
from app.web.review import _filter_args, parse_filter

bp = Blueprint("destinations", __name__, url_prefix="/review/destinations")

REJECTION_WARNING = "审核不通过时请写明原因（如材料不清晰、信息与材料不符），学生将据此修改后重新送审。"
CANCEL_REJECTION_WARNING = "注销审核不通过后，该去向继续有效，学生不能签约或登记其他去向。"


@bp.get("")
@role_required(*REVIEWERS)
def queue():
    """其他去向 queue: registrations and cancellations waiting, and the rest by status."""
    actor = current_actor()
    f = parse_filter()
    page = review_destinations.page(actor, f, request.args.get("cursor"))
    return render("review/destinations.html", fragment="results", kind="destinations", title="其他去向",
                  page=page, f=f, statuses=review_destinations.STATUS_FILTERS, colleges=page.colleges,
                  majors=page.majors, tabs=review_queue.tab_counts(actor), filter_args=_filter_args(),
                  is_college=actor.role == "college_reviewer", first_page=not request.args.get("cursor"))


@bp.get("/export")
@role_required(*REVIEWERS)
def export():
    """导出Excel of the filtered list."""
    out = review_destinations.export(current_actor(), parse_filter())
    return send_file(out, as_attachment=True, download_name="其他去向审核名单.xlsx", max_age=0,
                     mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")


@bp.route("/<int:destination_id>", methods=["GET", "POST"])
@role_required(*REVIEWERS)
def detail(destination_id: int):
    """去向详情: everything the student registered, and the decision this reviewer may take."""
    actor = current_actor()
    if request.method == "POST":
        action = request.form.get("action")
        if action == "approve":
            d = destinations.approve(actor, destination_id)
            flash({rules.SCHOOL_REVIEW: "学院审核通过，已提交学校审核", rules.APPROVED: "审核通过，去向已生效",
                   rules.CANCEL_SCHOOL_REVIEW: "学院注销审核通过，已提交学校审核",
                   rules.CANCELLED: "注销审核通过，学生可重新签约或登记其他去向"}[d.state.value], "success")
            return back_to(url_for(".queue"))
        if action == "reject":
            d = destinations.reject(actor, destination_id, request.form.get("reason", ""))
            flash("已审核不通过，原因已通知学生" if d.state.value == rules.REJECTED
                  else "注销审核不通过，该去向继续有效", "success")
            return back_to(url_for(".queue"))
        raise InvalidInput("UNKNOWN_ACTION", "不支持的操作")
    d = review_destinations.detail(actor, destination_id)
    return render("review/destination.html", d=d,
                  warning=CANCEL_REJECTION_WARNING if d.cancelling else REJECTION_WARNING)


@bp.get("/<int:destination_id>/files/<int:file_id>")
@role_required(*REVIEWERS)
def file(destination_id: int, file_id: int):
    """An image of the registration, for the reviewers who may see it (never a file path)."""
    path, content_type = destinations.file_of(current_actor(), destination_id, file_id)
    if not path.is_file():
        raise NotFound("FILE_NOT_FOUND", "材料不存在或无权查看")
    response = Response(path.read_bytes(), mimetype=content_type)  # ≤ 2 MB; no handle left open
    response.headers["Cache-Control"] = "private, no-store"
    return response
