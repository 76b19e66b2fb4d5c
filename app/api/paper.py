"""线下签约 in the JSON API: the student's drafts, generation, the stamped scan, the printable
agreement and the termination request; the reviewers' queue, detail and decisions (API.md).

Anything outside the caller's reach is a 404; files go with the action they belong to
(multipart/form-data)."""
from __future__ import annotations

from flask import Response as FlaskResponse
from flask import request
from spectree import Response

from app.api import bp, spec
from app.api.auth import current_actor, roles_required
from app.api.conventions import idempotent
from app.http import attachment
from app.api.schemas_common import ERRORS, ErrorEnvelope
from app.api.schemas_paper import (
    DecisionBody,
    DraftBody,
    GenerateBody,
    PaperDetailOut,
    PaperList,
    PaperSummary,
    PreviewOut,
    ReviewPaperList,
    ReviewPaperQuery,
    ReviewPaperRow,
    ScanForm,
    TerminationForm,
)
from app.services.invitation_views import flow_view
from app.clock import iso_china
from app.domain import paper as rules
from app.domain.errors import InvalidInput
from app.services import paper_agreements, paper_documents, paper_reads, paper_review
from app.services.paper_flow import student_paper_facts
from app.services.review_queue import QueueFilter

STUDENT = ("student",)
REVIEWERS = ("college_reviewer", "school_reviewer")
UPLOAD_ERRORS = {"HTTP_413": ErrorEnvelope, "HTTP_415": ErrorEnvelope}
TRUE = ("true", "1", "yes", "on")


def summary(paper) -> dict:
    state = paper.state.value
    return {"id": paper.id, "state": state, "state_label": rules.STATE_LABELS[state],
            "document_label": rules.DOCUMENT_LABELS.get(state, "协议书已生成"),
            "employer_name": paper.employer_name, "position": paper.position,
            "agreement_no": paper.agreement_no, "last_remark": paper.last_remark,
            "updated_at": iso_china(paper.updated_at)}


def detail_out(paper_id: int) -> PaperDetailOut:
    actor = current_actor()
    d = paper_reads.detail(actor, paper_id)
    p = d.paper
    student = p.student
    scan = None if d.scan is None else {
        "id": d.scan.id, "match": d.scan.match, "match_label": d.scan_label,
        "found_refs": [r for r in d.scan.found_refs.split(",") if r], "content_type": d.scan.content_type,
        "size": d.scan.size, "uploaded_at": iso_china(d.scan.created_at)}
    terminations = [{"id": t.id, "state": t.state.value,
                     "state_label": rules.TERMINATION_STATE_LABELS[t.state.value], "type": t.type,
                     "type_label": rules.TERMINATION_TYPES.get(t.type, t.type), "reason": t.reason,
                     "remark": t.remark, "requested_at": iso_china(t.created_at),
                     "actions": d.termination_actions.get(t.id, [])} for t in d.terminations]
    return PaperDetailOut(
        **summary(p), student_id=student.id, student_name=student.name, student_no=student.student_no,
        college=student.college.name, content=p.content or {}, labels=d.labels, problems=d.problems,
        checks=d.checks,
        generated_at=iso_china(p.generated_at), effective_at=iso_china(p.effective_at), actions=d.actions,
        scan=scan, document=d.document, terminations=terminations, flow=flow_view(d.flow),
        notices={"generate": rules.GENERATE_NOTICE, "scan": rules.SCAN_NOTICE,
                 "termination_proof": rules.PROOF_NOTICE})


def _send(file, inline: bool) -> FlaskResponse:
    response = FlaskResponse(file.data, mimetype=file.content_type)
    disposition = attachment(file.filename)
    response.headers["Content-Disposition"] = disposition.replace("attachment", "inline", 1) if inline \
        else disposition
    response.headers["Cache-Control"] = "private, no-cache"
    response.set_etag(file.etag)
    return response.make_conditional(request)


# -- the student -------------------------------------------------------------------------------------

@bp.get("/student/paper-agreements")
@roles_required(*STUDENT)
@spec.validate(resp=Response(HTTP_200=PaperList, **ERRORS), tags=["paper"])
def student_paper_agreements():
    """纸质签约: my paper agreements, newest first, and whether I may enter a new one now."""
    actor = current_actor()
    items = paper_agreements.my_agreements(actor)
    in_progress = any(p.state.value in rules.OPEN_STATES for p in items)
    blocker = rules.paper_blocker(student_paper_facts(_student(actor)))
    message = "你已有一份未完成的线下签约协议书" if in_progress and blocker is None else \
        (blocker[1] if blocker else None)
    return PaperList(items=[PaperSummary(**summary(p)) for p in items],
                     can_create=message is None, blocker=message)


def _student(actor):
    from app.extensions import db
    from app.models import Student

    return db.session.get(Student, actor.student_id)


@bp.post("/student/paper-agreements")
@roles_required(*STUDENT)
@idempotent
@spec.validate(json=DraftBody, resp=Response(HTTP_201=PaperDetailOut, **ERRORS), tags=["paper"])
def create_paper_agreement(json: DraftBody):
    """录入协议书 → 暂不提交: save the draft (any subset); one paper agreement at a time."""
    paper = paper_agreements.create_draft(current_actor(), json.content)
    return detail_out(paper.id), 201


@bp.get("/student/paper-agreements/<int:paper_id>")
@roles_required(*STUDENT)
@spec.validate(resp=Response(HTTP_200=PaperDetailOut, **ERRORS), tags=["paper"])
def student_paper_agreement(paper_id: int):
    """The agreement, what a draft still lacks, the scan, the terminations, the flow log."""
    return detail_out(paper_id)


@bp.put("/student/paper-agreements/<int:paper_id>")
@roles_required(*STUDENT)
@idempotent
@spec.validate(json=DraftBody, resp=Response(HTTP_200=PaperDetailOut, **ERRORS), tags=["paper"])
def update_paper_agreement(paper_id: int, json: DraftBody):
    """Change the draft (only a draft: a generated agreement never changes)."""
    paper_agreements.update_draft(current_actor(), paper_id, json.content)
    return detail_out(paper_id)


@bp.delete("/student/paper-agreements/<int:paper_id>")
@roles_required(*STUDENT)
@idempotent
@spec.validate(resp=Response(HTTP_200=PaperDetailOut, **ERRORS), tags=["paper"])
def discard_paper_agreement(paper_id: int):
    """Throw a draft away."""
    paper_agreements.discard_draft(current_actor(), paper_id)
    return detail_out(paper_id)


@bp.post("/student/paper-agreements/<int:paper_id>/generate")
@roles_required(*STUDENT)
@idempotent
@spec.validate(json=GenerateBody, resp=Response(HTTP_200=PaperDetailOut, **ERRORS), tags=["paper"])
def generate_paper_agreement(paper_id: int, json: GenerateBody):
    """保存并生成协议书 (confirm: true after the two confirmations): irreversible; the agreement
    goes to the school's review and holds the student's destination."""
    paper_agreements.generate(current_actor(), paper_id, json.confirm)
    return detail_out(paper_id)


@bp.post("/student/paper-agreements/<int:paper_id>/feedback")
@roles_required(*STUDENT)
@idempotent
@spec.validate(form=ScanForm, resp=Response(HTTP_200=PaperDetailOut, **UPLOAD_ERRORS, **ERRORS),
               tags=["paper"])
def paper_feedback(paper_id: int, form: ScanForm):
    """反馈签约材料: the stamped scan (multipart ``scan``), only while 待反馈; refused when its QR
    code is another agreement's or missing."""
    paper_agreements.submit_scan(current_actor(), paper_id, form.scan if form else None,
                                 request.remote_addr)
    return detail_out(paper_id)


@bp.post("/student/paper-agreements/<int:paper_id>/terminations")
@roles_required(*STUDENT)
@idempotent
@spec.validate(form=TerminationForm, resp=Response(HTTP_200=PaperDetailOut, **UPLOAD_ERRORS, **ERRORS),
               tags=["paper"])
def paper_termination(paper_id: int, form: TerminationForm):
    """解约申请: type, reason, acknowledge and the stamped proof (multipart ``proof``)."""
    if form is None:
        raise InvalidInput("FILE_REQUIRED", "请以表单（multipart/form-data）提交解约申请",
                           {"proof": "请上传解约证明"})
    paper_agreements.request_termination(
        current_actor(), paper_id,
        paper_agreements.TerminationRequest(form.type or "", form.reason or "",
                                            (form.acknowledge or "").strip().lower() in TRUE),
        form.proof, request.remote_addr)
    return detail_out(paper_id)


@bp.get("/paper-agreements/<int:paper_id>/document")
@roles_required(*STUDENT, *REVIEWERS)
@spec.validate(resp=Response("HTTP_200", "HTTP_304", **ERRORS), tags=["paper"])
def paper_pdf(paper_id: int):
    """The numbered agreement as an A4 PDF to print (QR code and content hash on every page);
    409 before the first review numbers it, or while it is being rendered."""
    return _send(paper_documents.paper_file(current_actor(), paper_id, "pdf"), inline=False)


@bp.get("/paper-agreements/<int:paper_id>/document.png")
@roles_required(*STUDENT, *REVIEWERS)
@spec.validate(resp=Response("HTTP_200", "HTTP_304", **ERRORS), tags=["paper"])
def paper_png(paper_id: int):
    """The agreement's pages as one PNG, 750 px wide, for a phone screen."""
    return _send(paper_documents.paper_file(current_actor(), paper_id, "png"), inline=True)


@bp.get("/student/paper-agreements/<int:paper_id>/termination-proof")
@roles_required(*STUDENT)
@spec.validate(resp=Response("HTTP_200", "HTTP_304", **ERRORS), tags=["paper"])
def paper_termination_proof(paper_id: int):
    """The standard 《就业协议解除证明》 filled in from the agreement (PDF), to print and have stamped."""
    return _send(paper_documents.termination_proof(current_actor(), paper_id), inline=False)


@bp.get("/student/paper-agreements/<int:paper_id>/preview")
@roles_required(*STUDENT)
@spec.validate(resp=Response(HTTP_200=PreviewOut, **ERRORS), tags=["paper"])
def paper_preview(paper_id: int):
    """预览协议书: what the agreement will say, section by section, before it is generated."""
    document = paper_documents.preview(current_actor(), paper_id)

    def lines(items) -> list[dict]:
        return [{"label": x.label, "value": x.value} for x in items]

    return PreviewOut(title=document.title, subtitle=document.subtitle, number_line=document.number_line,
                      parties=[lines(side) for side in (document.parties or ())],
                      sections=[{"title": s.title, "lines": lines(s.lines), "text": s.text}
                                for s in document.sections])


# -- the school's review ---------------------------------------------------------------------------

@bp.get("/review/paper-agreements")
@roles_required(*REVIEWERS)
@spec.validate(query=ReviewPaperQuery, resp=Response(HTTP_200=ReviewPaperList, **ERRORS), tags=["review"])
def review_paper_agreements(query: ReviewPaperQuery):
    """线下签约 queue: status=waiting (default) | first_review | awaiting_feedback | second_review |
    effective | failed | terminated | termination_review | all; keyset pages."""
    actor = current_actor()
    f = QueueFilter(status=query.status, cohort=query.cohort, college_id=query.college, major_id=query.major,
                    q=(query.q or "").strip() or None)
    page = paper_review.page(actor, f, query.cursor, query.limit)
    rows = [ReviewPaperRow(**{**r.__dict__, "last_action_at": iso_china(r.last_action_at)})
            for r in page.rows]
    return ReviewPaperList(items=rows,
                           next_cursor=page.next_cursor, waiting=paper_review.waiting_count(actor))


@bp.get("/review/paper-agreements/<int:paper_id>")
@roles_required(*REVIEWERS)
@spec.validate(resp=Response(HTTP_200=PaperDetailOut, **ERRORS), tags=["review"])
def review_paper_agreement(paper_id: int):
    """Everything about the agreement, the scan's QR match, and the decisions open to me."""
    return detail_out(paper_id)


@bp.post("/review/paper-agreements/<int:paper_id>/approve")
@roles_required(*REVIEWERS)
@idempotent
@spec.validate(resp=Response(HTTP_200=PaperDetailOut, **ERRORS), tags=["review"])
def review_paper_approve(paper_id: int):
    """协议书审核 / 签约鉴证 passed at my level (the school's first approval gives the number)."""
    paper_agreements.approve(current_actor(), paper_id)
    return detail_out(paper_id)


@bp.post("/review/paper-agreements/<int:paper_id>/reject")
@roles_required(*REVIEWERS)
@idempotent
@spec.validate(json=DecisionBody, resp=Response(HTTP_200=PaperDetailOut, **ERRORS), tags=["review"])
def review_paper_reject(paper_id: int, json: DecisionBody):
    """Not passed, with the reason: the first review fails the agreement, the second sends it back
    to 待反馈."""
    paper_agreements.reject(current_actor(), paper_id, json.reason)
    return detail_out(paper_id)


@bp.post("/review/paper-terminations/<int:paper_termination_id>/approve")
@roles_required(*REVIEWERS)
@idempotent
@spec.validate(resp=Response(HTTP_200=PaperDetailOut, **ERRORS), tags=["review"])
def review_paper_termination_approve(paper_termination_id: int):
    """解约审核通过 at my level; the school's approval ends the agreement and frees the student."""
    termination = paper_agreements.approve_termination(current_actor(), paper_termination_id)
    return detail_out(termination.paper_agreement_id)


@bp.post("/review/paper-terminations/<int:paper_termination_id>/reject")
@roles_required(*REVIEWERS)
@idempotent
@spec.validate(json=DecisionBody, resp=Response(HTTP_200=PaperDetailOut, **ERRORS), tags=["review"])
def review_paper_termination_reject(paper_termination_id: int, json: DecisionBody):
    """解约审核不通过 with the reason: the agreement stays effective."""
    termination = paper_agreements.reject_termination(current_actor(), paper_termination_id, json.reason)
    return detail_out(termination.paper_agreement_id)
