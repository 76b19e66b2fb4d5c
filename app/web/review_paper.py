"""The reviewers' 线下签约 pages (seed 002 §2.3.2, §2.3.4, §2.4.2): the queue tab with filters and
keyset pages, the detail with the entered agreement, the printable document, the stamped scan
and its QR match, the terminations with their proofs, the flow log, and the decisions (CSRF).

A college reviewer sees the college, a school reviewer the school: anything else is a 404.
"""
from __future__ import annotations

from flask import Blueprint, flash, request, send_file, url_for

from app.domain import paper as rules
from app.domain import signing as signing_rules
from app.domain.errors import InvalidInput, NotFound
from app.services import paper_agreements, paper_reads, paper_review, review_queue
from app.web.base import REVIEWERS, back_to, current_actor, render, role_required
from app.web.review import _filter_args, parse_filter

bp = Blueprint("review_paper", __name__, url_prefix="/review/paper")

APPROVED_MESSAGES = {
    rules.SCHOOL_REVIEW: "学院协议书审核通过，已提交学校审核",
    rules.AWAITING_FEEDBACK: "协议书审核通过，已编号，等待学生反馈签约材料",
    rules.SCHOOL_VERIFY: "学院签约审核通过，已提交学校签约审核",
    rules.EFFECTIVE: "签约审核通过，线下签约已生效",
}


@bp.route("", methods=["GET", "POST"])
@role_required(*REVIEWERS)
def queue():
    """线下签约 queue: what waits at my level first; filters and keyset pages; batch approval (POST)."""
    actor = current_actor()
    f = parse_filter()
    batch_results = None
    if request.method == "POST":
        if request.form.get("action") != "batch_approve":
            raise InvalidInput("UNKNOWN_ACTION", "不支持的操作")
        from app.services import review_batch

        batch_results = paper_agreements.approve_many(
            actor, [int(i) for i in request.form.getlist("ids") if i.isdigit() and len(i) < 19])
        all_ok = all(r.ok for r in batch_results)
        flash(review_batch.summary(batch_results), "success" if all_ok else "warning")
    page = paper_review.page(actor, f, request.args.get("cursor"))
    return render("review/paper_queue.html", fragment="results", page=page, f=f,
                  statuses=paper_review.STATUS_FILTERS, colleges=page.colleges, majors=page.majors,
                  tabs=review_queue.tab_counts(actor), paper_waiting=paper_review.waiting_count(actor),
                  filter_args=_filter_args(), is_college=actor.role == "college_reviewer",
                  first_page=not request.args.get("cursor"), batch_results=batch_results,
                  my_states=paper_review.MY_STATES[actor.role])


@bp.get("/export")
@role_required(*REVIEWERS)
def export():
    """导出: the filtered 线下签约 list as Excel."""
    out = paper_review.export(current_actor(), parse_filter())
    return send_file(out, as_attachment=True, download_name=paper_review.EXPORT_FILENAME,
                     mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", max_age=0)


@bp.route("/<int:paper_id>", methods=["GET", "POST"])
@role_required(*REVIEWERS)
def detail(paper_id: int):
    """协议书详情: approve or reject (with the reason) at my level; the same for a termination."""
    actor = current_actor()
    if request.method == "POST":
        return _decide(actor, paper_id, request.form.get("action", ""))
    d = paper_reads.detail(actor, paper_id)
    return render("review/paper.html", d=d, p=d.paper, rules=rules,
                  warning=signing_rules.REVIEW_REJECTION_WARNING)


def _decide(actor, paper_id: int, action: str):
    reason = request.form.get("reason", "").strip()
    if action == "approve":
        paper = paper_agreements.approve(actor, paper_id)
        flash(APPROVED_MESSAGES.get(paper.state.value, "审核通过"), "success")
        if paper.agreement_no and paper.state.value == rules.AWAITING_FEEDBACK:
            flash(f"协议书编号：{paper.agreement_no}", "info")
        return back_to(url_for(".queue"))
    if action == "reject":
        paper = paper_agreements.reject(actor, paper_id, reason)
        flash("协议书审核不通过，本次线下签约失败" if paper.state.value == rules.FAILED
              else "签约审核不通过，已退回学生重新反馈签约材料", "success")
        return back_to(url_for(".queue"))
    if action in ("approve_termination", "reject_termination"):
        termination_id = request.form.get("termination_id", "")
        if not termination_id.isdigit() or len(termination_id) > 18:
            raise InvalidInput("BAD_ID", "解约申请不存在")
        if action == "approve_termination":
            done = paper_agreements.approve_termination(actor, int(termination_id))
            flash("解约审核通过，协议已解除，学生可重新签约" if done.state.value == rules.T_APPROVED
                  else "学院解约审核通过，已提交学校审核", "success")
        else:
            paper_agreements.reject_termination(actor, int(termination_id), reason)
            flash("解约审核不通过，协议继续有效", "success")
        return back_to(url_for(".detail", paper_id=paper_id))
    raise InvalidInput("UNKNOWN_ACTION", "不支持的操作")


def _image(path, content_type):
    if not path.is_file():
        raise NotFound("FILE_NOT_FOUND", "文件不存在或无权查看")
    response = send_file(path, mimetype=content_type, max_age=0)
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.get("/scans/<int:scan_id>")
@role_required(*REVIEWERS)
def scan(scan_id: int):
    """The stamped scan as uploaded (re-encoded), for the reviewers who reach its agreement."""
    return _image(*paper_agreements.scan_file(current_actor(), scan_id))


@bp.get("/proofs/<int:paper_termination_id>")
@role_required(*REVIEWERS)
def proof(paper_termination_id: int):
    """A termination's stamped proof."""
    return _image(*paper_agreements.proof_file(current_actor(), paper_termination_id))


@bp.get("/<int:paper_id>/document.pdf")
@role_required(*REVIEWERS)
def document(paper_id: int):
    """The numbered agreement as the student printed it (the current rendering)."""
    from io import BytesIO

    from app.services import paper_documents

    file = paper_documents.paper_file(current_actor(), paper_id, "pdf")
    response = send_file(BytesIO(file.data), mimetype=file.content_type, download_name=file.filename,
                         max_age=0)
    response.headers["Cache-Control"] = "private, no-store"
    return response
