"""The e-agreement for the mini-program: its PDF, the phone preview, the 解约函, and whether they
are ready (API.md "GET /agreements/{id}/document"). For the student, the employer (ID number and
phone masked) and the reviewers of the student's college or school; others get 404."""
from __future__ import annotations

from typing import Literal, Optional

from flask import Response as FlaskResponse
from flask import request
from pydantic import BaseModel
from spectree import Response

from app.api import bp, spec
from app.api.auth import current_actor, roles_required
from app.api.schemas_common import ERRORS
from app.http import attachment
from app.services import documents
from app.services.documents import DOWNLOADERS


class DocumentState(BaseModel):
    status: Literal["ready", "rendering"]  # rendering: ask again in a few seconds
    status_label: str
    rendered_at: Optional[str] = None
    pages: Optional[int] = None
    content_hash: Optional[str] = None


class AgreementDocumentOut(DocumentState):
    agreement_no: str
    state: str  # effective / terminated / voided / invalidated / school_review / college_review
    state_label: str


class TerminationLetterOut(DocumentState):
    termination_id: int


class DocumentsOut(BaseModel):
    agreement: AgreementDocumentOut
    termination_letter: Optional[TerminationLetterOut] = None


def _send(file: documents.DocumentFile, inline: bool) -> FlaskResponse:
    response = FlaskResponse(file.data, mimetype=file.content_type)
    disposition = attachment(file.filename)
    response.headers["Content-Disposition"] = disposition.replace("attachment", "inline", 1) if inline \
        else disposition
    response.headers["Cache-Control"] = "private, no-cache"
    response.set_etag(file.etag)
    return response.make_conditional(request)


@bp.get("/agreements/<int:agreement_id>/documents")
@roles_required(*DOWNLOADERS)
@spec.validate(resp=Response(HTTP_200=DocumentsOut, **ERRORS), tags=["documents"])
def agreement_documents(agreement_id: int):
    """The agreement's documents and whether each can be downloaded now (409 before the school's
    approval has given the agreement its number)."""
    return DocumentsOut(**documents.documents_of(current_actor(), agreement_id))


@bp.get("/agreements/<int:agreement_id>/document")
@roles_required(*DOWNLOADERS)
@spec.validate(resp=Response("HTTP_200", "HTTP_304", **ERRORS), tags=["documents"])
def agreement_pdf(agreement_id: int):
    """The e-agreement (A4 PDF, every page with its QR code and content hash); the mini-program
    opens it with wx.downloadFile + wx.openDocument. 409 DOCUMENT_RENDERING while it is (re)made."""
    return _send(documents.agreement_file(current_actor(), agreement_id, "pdf"), inline=False)


@bp.get("/agreements/<int:agreement_id>/document.png")
@roles_required(*DOWNLOADERS)
@spec.validate(resp=Response("HTTP_200", "HTTP_304", **ERRORS), tags=["documents"])
def agreement_png(agreement_id: int):
    """The e-agreement's pages as one PNG, 750 px wide, for a phone screen."""
    return _send(documents.agreement_file(current_actor(), agreement_id, "png"), inline=True)


@bp.get("/agreements/<int:agreement_id>/termination-letter")
@roles_required(*DOWNLOADERS)
@spec.validate(resp=Response("HTTP_200", "HTTP_304", **ERRORS), tags=["documents"])
def termination_letter(agreement_id: int):
    """The 解约函 of the agreement's approved termination (PDF); 409 when there is none."""
    return _send(documents.termination_letter_file(current_actor(), agreement_id), inline=False)
