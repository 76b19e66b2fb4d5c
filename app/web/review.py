"""Reviewer pages (SPEC §10, seed 002 §2.1.3, §2.2.3): the 网上签约 and 解约 queues with filters,
keyset pages, batch approval and export; the detail pages with their decisions.

Forms post to the URL they came from with an ``action`` field; every decision is a service call
(reviews, terminations, interventions — through review_actions where both front ends need the
same checks). A college reviewer sees the college, a school reviewer the school: anything else
is a 404.
"""
from __future__ import annotations

from datetime import date

from flask import Blueprint, flash, request, send_file, url_for

from app.domain import signing as signing_rules
from app.domain.errors import InvalidInput
from app.services import (
    long_work,
    paper_review,
    review_actions,
    review_batch,
    review_detail,
    review_export,
    review_queue,
    reviews,
    terminations,
)
from app.services.review_queue import QueueFilter
from app.web.base import REVIEWERS, back_to, current_actor, is_htmx, render, role_required

bp = Blueprint("review", __name__, url_prefix="/review")

KINDS = {"signings": ("网上签约", review_queue.SIGNING_STATUS_FILTERS),
         "terminations": ("解约", review_queue.TERMINATION_STATUS_FILTERS)}


# -- filters ---------------------------------------------------------------------------------------

def _int(name: str, low: int = 1, high: int = 2**63 - 1) -> int | None:
    raw = (request.args.get(name) or "").strip()
    if not raw:
        return None
    if not raw.isdigit() or not low <= int(raw) <= high:
        raise InvalidInput("BAD_FILTER", "筛选条件有误", {name: "应为有效的数字"})
    return int(raw)


def _date(name: str) -> date | None:
    raw = (request.args.get(name) or "").strip()
    if not raw:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise InvalidInput("BAD_FILTER", "日期格式应为 年-月-日", {name: "日期格式不正确"}) from None


def parse_filter() -> QueueFilter:
    """The list's filters from the query string (what the filter form sends)."""
    q = (request.args.get("q") or "").strip()
    if len(q) > 30:
        raise InvalidInput("BAD_FILTER", "搜索内容过长", {"q": "不超过30个字"})
    status = request.args.get("status") or "waiting"
    f = QueueFilter(status=status, cohort=_int("cohort", 2000, 2100), college_id=_int("college"),
                    major_id=_int("major"), q=q or None, date_from=_date("from"), date_to=_date("to"),
                    overdue=request.args.get("overdue") == "1")
    if f.date_from and f.date_to and f.date_from > f.date_to:
        raise InvalidInput("BAD_FILTER", "开始日期不能晚于结束日期", {"from": "开始日期不能晚于结束日期"})
    return f


def _filter_args() -> dict[str, str]:
    """The current filters (without the page cursor), for links that keep them."""
    return {k: v for k, v in request.args.items() if k != "cursor" and v}


# -- queues -----------------------------------------------------------------------------------------

def _queue(kind: str):
    actor = current_actor()
    f = parse_filter()
    batch_results = None
    if request.method == "POST":
        if kind != "signings" or request.form.get("action") != "batch_approve":
            raise InvalidInput("UNKNOWN_ACTION", "不支持的操作")
        ids = review_batch.check_ids([int(i) for i in request.form.getlist("ids")
                                      if i.isdigit() and len(i) < 19])
        if len(ids) > review_batch.DIRECT_MAX:
            job = long_work.start(actor, "batch_approve_signings",
                                  {"ids": ids, "back_url": url_for(".signings", **_filter_args())})
            return back_to(url_for("web.work.job", job_id=job.id))
        batch_results = review_batch.approve_many(actor, ids)
        all_ok = all(r.ok for r in batch_results)
        flash(review_batch.summary(batch_results), "success" if all_ok else "warning")
    page_fn = review_queue.signings_page if kind == "signings" else review_queue.terminations_page
    page = page_fn(actor, f, request.args.get("cursor"))
    title, statuses = KINDS[kind]
    return render("review/queue.html", fragment="results", kind=kind, title=title, page=page, f=f,
                  statuses=statuses, colleges=page.colleges, majors=page.majors,
                  tabs=review_queue.tab_counts(actor), paper_waiting=paper_review.waiting_count(actor),
                  filter_args=_filter_args(), batch_results=batch_results,
                  is_college=actor.role == "college_reviewer", first_page=not request.args.get("cursor"),
                  my_state=review_queue.MY_REVIEW_STATE[actor.role])


@bp.route("/signings", methods=["GET", "POST"])
@role_required(*REVIEWERS)
def signings():
    """网上签约 queue: filters, keyset pages, batch approval (POST)."""
    return _queue("signings")


@bp.get("/terminations")
@role_required(*REVIEWERS)
def terminations_queue():
    """解约 queue."""
    return _queue("terminations")


@bp.get("/<any(signings, terminations):kind>/export")
@role_required(*REVIEWERS)
def export(kind: str):
    """导出: the filtered list as Excel; a long job when it is large."""
    actor = current_actor()
    f = parse_filter()
    total = review_queue.count(actor, f, kind)
    if total > review_export.DIRECT_MAX:
        job = long_work.start(actor, "export_review_list",
                              {"kind": kind, "filter": review_export.filter_params(f)})
        return back_to(url_for("web.work.job", job_id=job.id))
    out = review_export.direct(actor, f, kind)
    return send_file(out, as_attachment=True, download_name=review_export.FILENAMES[kind],
                     mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                     max_age=0)


# -- signing detail ----------------------------------------------------------------------------------

@bp.route("/signings/<int:invitation_id>", methods=["GET", "POST"])
@role_required(*REVIEWERS)
def signing(invitation_id: int):
    """签约详情: everything about the agreement, and the decisions this reviewer may take."""
    actor = current_actor()
    revealed: dict[str, str] = {}
    if request.method == "POST":
        action = request.form.get("action", "")
        if action.startswith("reveal_"):
            field = action.removeprefix("reveal_")
            revealed[field] = review_detail.reveal(actor, invitation_id, field, request.remote_addr)
            if is_htmx():
                return render("review/signing.html", fragment="student_pii", revealed=revealed,
                              d=review_detail.signing_detail(actor, invitation_id))
        else:
            return _decide(actor, invitation_id, action)
    detail = review_detail.signing_detail(actor, invitation_id)
    return render("review/signing.html", d=detail, revealed=revealed, labels=review_detail.ACTION_LABELS,
                  warning=signing_rules.REVIEW_REJECTION_WARNING, dicts=_fill_options(detail))


def _decide(actor, invitation_id: int, action: str):
    form = request.form
    reason = form.get("reason", "").strip()
    confirm = form.get("confirm") == "1"
    if action == "approve":
        invitation = reviews.approve_signing(actor, invitation_id)
        if invitation.state.value == "effective":
            flash(f"审核通过，协议已生效，协议书编号：{invitation.agreement_no}", "success")
        else:
            flash("学院审核通过，已提交学校审核", "success")
        return back_to(url_for(".signings"))
    if action == "reject":
        reviews.reject_signing(actor, invitation_id, reason)
        flash("已审核不通过，原因已通知学生和用人单位", "success")
        return back_to(url_for(".signings"))
    if action in review_actions.INTERVENTIONS:
        review_actions.intervene(actor, invitation_id, action, reason, confirm)
        flash(f"已{review_detail.ACTION_LABELS[action]}", "success")
        return back_to()
    if action == "force_terminate":
        review_actions.force_terminate(actor, invitation_id, reason, confirm, request.files.get("evidence"),
                                       request.remote_addr)
        flash("已强制解约，学生可重新签约", "success")
        return back_to()
    if action == "invalidate_student":
        count = review_actions.invalidate_student_record(actor, invitation_id, reason, confirm)
        flash(f"已设置学籍失效，{count}份协议随之失效", "success")
        return back_to()
    if action == "fill_employer":
        review_actions.fill_employer_data(actor, invitation_id, review_actions.EmployerData(
            nature_code=form.get("nature_code"), industry_code=form.get("industry_code"),
            region_code=form.get("region_code"), address=form.get("address")))
        flash("单位信息已补充", "success")
        return back_to()
    raise InvalidInput("UNKNOWN_ACTION", "不支持的操作")


def _fill_options(detail) -> dict[str, list[tuple[str, str]]]:
    """Dictionary choices for the employer fields a reviewer must fill (only when some are missing)."""
    if "fill_employer" not in detail.allowed_actions:
        return {}
    from sqlalchemy import select

    from app.extensions import db
    from app.models import DictEntry

    kinds = {kind for attr, kind, _ in review_detail.EMPLOYER_FILLABLE
             if kind and attr in detail.employer_missing}
    options: dict[str, list[tuple[str, str]]] = {k: [] for k in kinds}
    if kinds:
        for kind, code, name in db.session.execute(
                select(DictEntry.kind, DictEntry.code, DictEntry.name)
                .where(DictEntry.kind.in_(kinds), DictEntry.is_active.is_(True))
                .order_by(DictEntry.kind, DictEntry.sort_order)):
            options[kind].append((code, name))
    return options


# -- termination detail ------------------------------------------------------------------------------

@bp.route("/terminations/<int:termination_id>", methods=["GET", "POST"])
@role_required(*REVIEWERS)
def termination(termination_id: int):
    """解约详情: the request, both consents and the agreement; approve or reject."""
    actor = current_actor()
    if request.method == "POST":
        action = request.form.get("action")
        if action == "approve":
            done = terminations.approve_termination(actor, termination_id)
            flash("解约审核通过，协议已解除，学生可重新签约" if done.state.value == "approved"
                  else "学院解约审核通过，已提交学校审核", "success")
            return back_to(url_for(".terminations_queue"))
        if action == "reject":
            terminations.reject_termination(actor, termination_id, request.form.get("reason", "").strip())
            flash("解约审核不通过，协议继续有效", "success")
            return back_to(url_for(".terminations_queue"))
        raise InvalidInput("UNKNOWN_ACTION", "不支持的操作")
    detail = review_detail.termination_detail(actor, termination_id)
    return render("review/termination.html", t=detail, d=detail.signing, revealed={},
                  labels=review_detail.ACTION_LABELS, warning=review_detail.TERMINATION_REJECTION_WARNING,
                  dicts={})




# -- evidence ----------------------------------------------------------------------------------------

@bp.get("/evidence/<any(employer, intervention):kind>/<int:evidence_id>")
@role_required(*REVIEWERS, "platform_admin")
def evidence(kind: str, evidence_id: int):
    """An evidence image, for those who may see it (never a guessable file path)."""
    path, content_type = review_detail.evidence_file(current_actor(), kind, evidence_id)
    if not path.is_file():
        from app.domain.errors import NotFound

        raise NotFound("EVIDENCE_NOT_FOUND", "材料不存在或无权查看")
    response = send_file(path, mimetype=content_type, max_age=0)
    response.headers["Cache-Control"] = "private, no-store"
    return response
