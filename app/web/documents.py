"""Desktop downloads of the e-agreement: the PDF, the preview and the 解约函 of an agreement, for
the accounts that may read it (the student, the employer — masked —, the reviewers of the
student's college or school). Not logged in: to the log-in page; another role: 403; someone
else's agreement: 404. ``documents/_links.html`` is the partial a detail page includes."""
from __future__ import annotations

from flask import Blueprint, make_response, redirect, render_template, request, url_for

from app.domain.actors import Actor
from app.domain.errors import DomainError
from app.http import STATUS_OF_KIND, attachment
from app.services import documents
from app.web.login import web_account

bp = Blueprint("agreement_documents", __name__, template_folder="templates")


def _actor() -> Actor | None:
    account = web_account()
    return None if account is None else Actor.from_account(account)


@bp.errorhandler(DomainError)
def _refused(exc: DomainError):
    status = STATUS_OF_KIND.get(exc.kind, 400)
    title = {404: "协议书不存在", 403: "无权访问"}.get(status, "暂时无法下载")
    text = "协议书不存在或无权查看。" if status == 404 else exc.message
    return render_template("login/message.html", title=title, text=text), status


def _send(file: documents.DocumentFile, inline: bool):
    response = make_response(file.data)
    response.mimetype = file.content_type
    disposition = attachment(file.filename)
    response.headers["Content-Disposition"] = disposition.replace("attachment", "inline", 1) if inline \
        else disposition
    response.headers["Cache-Control"] = "private, no-cache"
    response.set_etag(file.etag)
    return response.make_conditional(request)


def _login():
    return redirect(url_for("web_login.login_page", next=request.full_path.rstrip("?")))


def _for_downloaders(view):
    view.required_roles = documents.DOWNLOADERS  # read by authorisation-matrix tests
    return view


@bp.get("/agreements/<int:agreement_id>/document.pdf")
@_for_downloaders
def agreement_pdf(agreement_id: int):
    """下载协议书 (PDF)."""
    actor = _actor()
    if actor is None:
        return _login()
    return _send(documents.agreement_file(actor, agreement_id, "pdf"), inline=False)


@bp.get("/agreements/<int:agreement_id>/document.png")
@_for_downloaders
def agreement_png(agreement_id: int):
    """预览协议书 (PNG)."""
    actor = _actor()
    if actor is None:
        return _login()
    return _send(documents.agreement_file(actor, agreement_id, "png"), inline=True)


@bp.get("/agreements/<int:agreement_id>/termination-letter.pdf")
@_for_downloaders
def termination_letter(agreement_id: int):
    """下载解约函 (PDF)."""
    actor = _actor()
    if actor is None:
        return _login()
    return _send(documents.termination_letter_file(actor, agreement_id), inline=False)


@bp.app_template_global("agreement_documents")
def agreement_documents(agreement_id: int) -> dict | None:
    """For ``documents/_links.html``: the agreement's documents as the logged-in account may see
    them, or None (no number yet, or not theirs)."""
    actor = _actor()
    if actor is None:
        return None
    try:
        return documents.documents_of(actor, agreement_id)
    except DomainError:
        return None
