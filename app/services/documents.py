"""Rendered documents of an agreement: render requests, the render job's work, downloads.

A state change of a numbered agreement (and the approval of a termination) calls
``request_render`` inside its own transaction: the document's row records that a rendering is
owed (``requested_seq`` + 1), so the request commits or rolls back with the change itself.
After the commit a session hook enqueues ``app.jobs.documents.render_document`` for each row
(inline queues: it runs right there, in a fresh app context). If that enqueue fails — Redis
briefly down — nothing is lost: the row stays owed, and the relay (every 30 s from the
scheduler, ``flask render-documents`` by hand) enqueues every owed row whose lease has passed.

Rendering reads the current state, makes the PDF and the phone preview for both readers (the
full copy for the student and the reviewers, the masked copy for the employer), stores them
under random keys and marks the request served — only if no newer rendering got there first.
Nothing is rendered in a user's request: downloads read the stored files.
"""
from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from flask import current_app, has_app_context
from sqlalchemy import event, select, update
from sqlalchemy.orm import Session

from app.clock import iso_china, utcnow
from app.domain import agreement_document as doc
from app.domain.actors import Actor
from app.domain.errors import Conflict, Forbidden
from app.extensions import db, redis_ext
from app.models import AgreementDocument, Invitation, Termination, TerminationState
from app.services import agreement_facts, agreement_pdf, document_store

log = logging.getLogger("wq.documents")

DOWNLOADERS = ("student", "employer_user", "college_reviewer", "school_reviewer")
JOB_TIMEOUT = 120
_OWED = "wq_documents_owed"  # session.info: rows asked for in this transaction (before flush)
_FLUSHED = "wq_documents_flushed"  # session.info: their ids, once flushed


def config() -> dict[str, Any]:
    """app.config["DOCUMENTS"]: defaults in app.config.DEFAULTS, [DOCUMENTS] in config.toml."""
    return current_app.config["DOCUMENTS"]


# -- requests (in the state change's transaction) ------------------------------------------------

def request_render(kind: str, subject_id: int) -> AgreementDocument:
    """Record that the document of this subject must be (re)rendered; the caller holds the
    subject's row lock and commits."""
    session = db.session
    with session.no_autoflush:
        row = session.scalar(select(AgreementDocument).where(
            AgreementDocument.kind == kind, AgreementDocument.subject_id == subject_id).with_for_update())
    cfg = config()
    now = utcnow()
    # the on-commit job has the row first; without it the relay may take it at once
    due = now + timedelta(seconds=float(cfg["LEASE"])) if cfg["ON_COMMIT"] else now
    if row is None:
        row = AgreementDocument(kind=kind, subject_id=subject_id, requested_seq=1, rendered_seq=0,
                                attempts=0, next_attempt_at=due)
        session.add(row)
    else:
        row.requested_seq = row.requested_seq + 1
        row.next_attempt_at = due
        row.attempts = 0
    session.info.setdefault(_OWED, []).append(row)
    return row


def request_agreement(invitation: Invitation) -> None:
    """An online agreement's state changed: once it has a number, its document follows."""
    if invitation.agreement_no is not None:
        request_render(doc.ONLINE, invitation.id)


def request_termination_letter(termination: Termination) -> None:
    request_render(doc.TERMINATION_LETTER, termination.id)


RENDER_JOB = "app.jobs.documents.render_document"


# -- after commit: enqueue -----------------------------------------------------------------------

def enqueue(ids: list[int]) -> None:
    """One render job per document (call only after the rows are committed). The job is named
    by its path: services sit below jobs and do not import them."""
    queue = redis_ext.queue("default")
    for document_id in ids:
        queue.enqueue_call(RENDER_JOB, args=(document_id,), timeout=JOB_TIMEOUT, result_ttl=0,
                           failure_ttl=7 * 86400, description=f"render document #{document_id}")


def _collect(session: Session, _flush_context: Any) -> None:
    for row in session.info.pop(_OWED, []):
        if row.id is not None:
            session.info.setdefault(_FLUSHED, set()).add(row.id)


def _forget(session: Session, previous_transaction: Any) -> None:
    if previous_transaction.parent is None:  # the whole transaction rolled back
        session.info.pop(_OWED, None)
        session.info.pop(_FLUSHED, None)


def _enqueue_committed(session: Session) -> None:
    if session.in_nested_transaction():
        return
    session.info.pop(_OWED, None)  # flushed by the commit: collected by _collect already
    ids = sorted(session.info.pop(_FLUSHED, set()))
    if not ids or not has_app_context() or not config()["ON_COMMIT"]:
        return
    app = current_app._get_current_object()
    try:
        if app.config["JOBS_INLINE"]:
            with app.app_context():  # this session cannot run SQL inside after_commit
                enqueue(ids)
        else:
            enqueue(ids)
    except Exception:  # never the user's problem: the relay takes the rows when the lease passes
        log.exception("documents: could not enqueue %s after commit; the relay will", ids)


def install() -> None:
    """Register the session hooks (once per process)."""
    if event.contains(Session, "after_commit", _enqueue_committed):
        return
    event.listen(Session, "after_flush", _collect)
    event.listen(Session, "after_soft_rollback", _forget)
    event.listen(Session, "after_commit", _enqueue_committed)


# -- the relay -------------------------------------------------------------------------------------

def claim_due(now: datetime | None = None) -> list[int]:
    """Lease every owed row whose time has come (a compare-and-set: concurrent relays split them)."""
    cfg = config()
    now = now or utcnow()
    due = db.session.execute(
        select(AgreementDocument.id, AgreementDocument.next_attempt_at)
        .where(AgreementDocument.rendered_seq < AgreementDocument.requested_seq,
               AgreementDocument.next_attempt_at <= now)
        .order_by(AgreementDocument.next_attempt_at).limit(int(cfg["RELAY_BATCH"]))).all()
    lease = now + timedelta(seconds=float(cfg["LEASE"]))
    claimed = []
    for document_id, seen in due:
        result = db.session.execute(
            update(AgreementDocument)
            .where(AgreementDocument.id == document_id, AgreementDocument.next_attempt_at == seen)
            .values(next_attempt_at=lease).execution_options(synchronize_session=False))
        if result.rowcount == 1:
            claimed.append(document_id)
    db.session.commit()
    return claimed


def relay_due() -> int:
    """Enqueue the owed renderings; how many. Run it as often as you like."""
    try:
        claimed = claim_due()
    except BaseException:
        db.session.rollback()
        raise
    if claimed:
        try:
            enqueue(claimed)
        except Exception:  # Redis down: the leases pass and a later run takes them again
            log.exception("documents relay: could not enqueue %d renderings", len(claimed))
            return 0
        log.info("documents relay: enqueued %d renderings", len(claimed))
    return len(claimed)


# -- rendering -------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Rendered:
    state: str
    content_hash: str
    full: doc.Document
    masked: doc.Document


def _online(subject_id: int, base_url: str, key: str) -> Rendered:
    invitation = db.session.get(Invitation, subject_id)
    facts = agreement_facts.online_facts(invitation)
    return Rendered(facts.state, doc.content_hash(facts),
                    doc.agreement_document(facts, doc.FULL, base_url, key),
                    doc.agreement_document(agreement_facts.masked(facts), doc.MASKED, base_url, key))


def _termination_letter(subject_id: int, base_url: str, key: str) -> Rendered:
    facts = agreement_facts.termination_facts(db.session.get(Termination, subject_id))
    masked = dataclasses.replace(facts, agreement=agreement_facts.masked(facts.agreement))
    return Rendered("terminated", doc.termination_hash(facts),
                    doc.termination_letter(facts, doc.FULL, base_url, key),
                    doc.termination_letter(masked, doc.MASKED, base_url, key))


def _paper(subject_id: int, base_url: str, key: str) -> Rendered:
    from app.services import paper_documents

    return paper_documents.rendered(subject_id, base_url, key)


# kind → what its documents say.
BUILDERS: dict[str, Callable[[int, str, str], Rendered]] = {
    doc.ONLINE: _online,
    doc.PAPER: _paper,
    doc.TERMINATION_LETTER: _termination_letter,
}


def build(kind: str, subject_id: int) -> Rendered:
    app = current_app
    return BUILDERS[kind](subject_id, app.config["PUBLIC_BASE_URL"], app.config["AGREEMENT_MAC_KEY"])


def render_files(rendered: Rendered) -> dict[str, Any]:
    """Both readers' PDF and preview, stored; the row's new values."""
    font = current_app.config.get("DOCUMENT_FONT") or None
    width = int(config()["PNG_WIDTH"])
    values: dict[str, Any] = {}
    for prefix, document in (("", rendered.full), ("masked_", rendered.masked)):
        pdf, pages = agreement_pdf.render_pdf(document, font)
        values[f"{prefix}pdf_key"] = document_store.put(pdf, "pdf")
        values[f"{prefix}png_key"] = document_store.put(agreement_pdf.render_png(pdf, width), "png")
        values["pages"] = pages
    return values


def render(document_id: int) -> bool:
    """Serve the newest render request of this document; False when there was nothing to do
    (already rendered, or a failure recorded for the relay to retry)."""
    row = db.session.get(AgreementDocument, document_id)
    if row is None or not row.pending:
        return False
    seq, old = row.requested_seq, [row.pdf_key, row.png_key, row.masked_pdf_key, row.masked_png_key]
    try:
        rendered = build(row.kind, row.subject_id)
        values = render_files(rendered)
    except Exception as exc:  # recorded on the row, retried with backoff
        db.session.rollback()
        log.exception("rendering document #%s failed", document_id)
        _record_failure(document_id, seq, exc)
        return False
    result = db.session.execute(
        update(AgreementDocument)
        .where(AgreementDocument.id == document_id, AgreementDocument.rendered_seq < seq,
               AgreementDocument.requested_seq >= seq)
        .values(rendered_seq=seq, state=rendered.state, content_hash=rendered.content_hash,
                rendered_at=utcnow(), attempts=0, last_error=None, **values)
        .execution_options(synchronize_session=False))
    db.session.commit()
    if result.rowcount != 1:  # a newer rendering was stored first
        document_store.remove([v for k, v in values.items() if k.endswith("_key")])
        return False
    document_store.remove(old)
    return True


def _record_failure(document_id: int, seq: int, exc: Exception) -> None:
    cfg = config()
    row = db.session.get(AgreementDocument, document_id)
    if row is None or row.rendered_seq >= seq:
        return
    row.attempts = row.attempts + 1
    delay = min(float(cfg["BACKOFF_BASE"]) * 2 ** (row.attempts - 1), float(cfg["BACKOFF_MAX"]))
    row.next_attempt_at = utcnow() + timedelta(seconds=delay)
    row.last_error = f"{type(exc).__name__}: {exc}"[:300]
    db.session.commit()


def render_owed(limit: int = 1000) -> int:
    """Render every owed document here and now (``flask render-documents --now``)."""
    ids = list(db.session.scalars(select(AgreementDocument.id).where(
        AgreementDocument.rendered_seq < AgreementDocument.requested_seq)
        .order_by(AgreementDocument.id).limit(limit)))
    return sum(1 for document_id in ids if render(document_id))


# -- downloads -------------------------------------------------------------------------------------

@dataclass(frozen=True)
class DocumentFile:
    data: bytes
    content_type: str
    filename: str
    etag: str


class DocumentPending(Conflict):
    def __init__(self, message: str = "协议书正在生成，请稍后再试") -> None:
        super().__init__("DOCUMENT_RENDERING", message)


def _agreement(actor: Actor, invitation_id: int) -> Invitation:
    """The agreement within the actor's reach (404 otherwise), once it has a number."""
    from app.services.signing_flow import SIGNING

    if actor.role not in DOWNLOADERS:
        raise Forbidden("ROLE_NOT_ALLOWED", "当前账号无权下载协议书")
    invitation = SIGNING.load(actor, invitation_id)
    if invitation.agreement_no is None:
        raise Conflict("AGREEMENT_NOT_NUMBERED", "学校审核通过后才会生成电子协议书")
    return invitation


def row_of(kind: str, subject_id: int) -> AgreementDocument | None:
    return db.session.scalar(select(AgreementDocument).where(
        AgreementDocument.kind == kind, AgreementDocument.subject_id == subject_id))


def _approved_termination(invitation: Invitation) -> Termination | None:
    return db.session.scalar(select(Termination).where(
        Termination.invitation_id == invitation.id, Termination.state == TerminationState.APPROVED)
        .order_by(Termination.id.desc()).limit(1))


def _file(row: AgreementDocument | None, actor: Actor, fmt: str, filename: str) -> DocumentFile:
    if row is None or not row.ready or row.pending:
        raise DocumentPending("文件正在生成，请稍后再试" if row is None or not row.ready
                              else "协议书状态已变化，文件正在更新，请稍后再试")
    masked = actor.role == "employer_user"
    key = {("pdf", False): row.pdf_key, ("png", False): row.png_key,
           ("pdf", True): row.masked_pdf_key, ("png", True): row.masked_png_key}[(fmt, masked)]
    try:
        data = document_store.read(key)
    except FileNotFoundError:  # replaced by a newer rendering a moment ago
        raise DocumentPending("协议书状态已变化，文件正在更新，请稍后再试") from None
    content_type = "application/pdf" if fmt == "pdf" else "image/png"
    return DocumentFile(data, content_type, f"{filename}.{fmt}", key.split(".")[0])


def agreement_file(actor: Actor, invitation_id: int, fmt: str) -> DocumentFile:
    """The e-agreement as PDF or PNG preview, for the student, the employer (masked) and the
    reviewers of the student's college or school."""
    invitation = _agreement(actor, invitation_id)
    return _file(row_of(doc.ONLINE, invitation.id), actor, fmt, f"就业协议书-{invitation.agreement_no}")


def termination_letter_file(actor: Actor, invitation_id: int) -> DocumentFile:
    """The 解约函 of the agreement's approved termination."""
    invitation = _agreement(actor, invitation_id)
    termination = _approved_termination(invitation)
    if termination is None:
        raise Conflict("NO_TERMINATION_LETTER", "该协议没有审核通过的解约，暂无解约函")
    return _file(row_of(doc.TERMINATION_LETTER, termination.id), actor, "pdf",
                 f"解约函-{invitation.agreement_no}")


def _summary(row: AgreementDocument | None) -> dict[str, Any]:
    if row is None:
        return {"status": "rendering", "status_label": "生成中", "rendered_at": None, "pages": None,
                "content_hash": None}
    status = "ready" if row.ready and not row.pending else "rendering"
    return {"status": status, "status_label": "可下载" if status == "ready" else "生成中",
            "rendered_at": iso_china(row.rendered_at), "pages": row.pages,
            "content_hash": row.content_hash}


def documents_of(actor: Actor, invitation_id: int) -> dict[str, Any]:
    """Which documents the agreement has and whether they can be downloaded now."""
    invitation = _agreement(actor, invitation_id)
    agreement = {**_summary(row_of(doc.ONLINE, invitation.id)), "state": invitation.state.value,
                 "state_label": doc.status_label(invitation.state.value),
                 "agreement_no": invitation.agreement_no}
    termination = _approved_termination(invitation)
    letter = None if termination is None else {
        **_summary(row_of(doc.TERMINATION_LETTER, termination.id)), "termination_id": termination.id}
    return {"agreement": agreement, "termination_letter": letter}
