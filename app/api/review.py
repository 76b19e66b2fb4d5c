"""The review API (/api/v1/review/…): the reviewer pages' services for reviewers' phones and
for integrations. Bearer tokens of reviewer accounts bound in the mini-program (as employer users
bind, /auth/bind/employer). A college reviewer sees the college, a school reviewer the school;
anything else is a 404."""
from __future__ import annotations

from datetime import date
from typing import Any, Literal, Optional

from flask import send_file
from pydantic import BaseModel, ConfigDict, Field
from spectree import Response

from app.api import bp, spec
from app.api.auth import current_actor, roles_required
from app.api.conventions import idempotent
from app.services.paging import MAX_LIMIT
from app.api.schemas_common import ERRORS, Id
from app.clock import iso_china
from app.domain import signing as signing_rules
from app.domain.errors import NotFound
from app.domain.flow_labels import ACTION_LABELS
from app.domain.flow_labels import state_label as flow_state_label
from app.services import (paper_review, review_batch, review_destinations, review_detail, review_queue, reviews,
                          terminations)
from app.services.review_queue import QueueFilter

REVIEWERS = ("college_reviewer", "school_reviewer")

SigningStatus = Literal["waiting", "college_review", "school_review", "effective", "review_rejected",
                        "terminated", "voided", "invalidated", "all"]
TerminationStatus = Literal["waiting", "awaiting_party", "college_review", "school_review", "approved",
                            "rejected", "disagreed", "all"]


# -- schemas --------------------------------------------------------------------------------------

class _Filters(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)
    cohort: Optional[int] = Field(None, ge=2000, le=2100)
    college: Optional[Id] = None
    major: Optional[Id] = None
    q: Optional[str] = Field(None, min_length=1, max_length=30, description="学号（精确）或姓名开头")
    date_from: Optional[date] = Field(None, alias="from", description="最后操作日期起（北京时间）")
    date_to: Optional[date] = Field(None, alias="to")
    overdue: bool = Field(False, description="仅超过审核时限的")
    cursor: Optional[str] = Field(None, max_length=80)
    limit: int = Field(20, ge=1, le=MAX_LIMIT)

    def to_filter(self, status: str) -> QueueFilter:
        return QueueFilter(status=status, cohort=self.cohort, college_id=self.college, major_id=self.major,
                           q=self.q, date_from=self.date_from, date_to=self.date_to, overdue=self.overdue)


class SigningQuery(_Filters):
    status: SigningStatus = "waiting"


class TerminationQuery(_Filters):
    status: TerminationStatus = "waiting"


class QueueItem(BaseModel):
    id: int
    invitation_id: int
    agreement_no: Optional[str] = None
    agreement_status: str  # 协议书状态
    state: str
    student_no: str
    student_name: str
    college: str
    major: str
    employer_name: str
    last_action_at: str
    signing_review: str  # 签约审核状态
    termination_review: str  # 解约审核状态
    age_days: Optional[int] = Field(None, description="在审核中的事项已等待的工作日数")
    overdue: bool
    reason: Optional[str] = None
    initiated_by: Optional[str] = None


class QueueOut(BaseModel):
    items: list[QueueItem]
    next_cursor: Optional[str] = None
    sla_days: int


class ReviewHome(BaseModel):
    role: str
    school: str
    college: Optional[str] = None
    sla_days: int
    signings_waiting: int
    signings_overdue: int
    terminations_waiting: int
    terminations_overdue: int
    destinations_waiting: int = 0  # 其他去向 (registrations and cancellations) waiting for me
    employers_pending: Optional[int] = None
    paper_waiting: int = 0  # 线下签约: agreements in either review and paper terminations, at my level
    paper_overdue: int = 0


class StudentOut(BaseModel):
    id: int
    student_no: str
    name: str
    college: str
    major: str
    class_name: Optional[str] = None
    cohort: int
    education_level_label: str
    id_number_masked: Optional[str] = None
    phone_masked: Optional[str] = None
    record_active: bool


class EmployerOut(BaseModel):
    id: int
    name: str
    credit_code: str
    nature_code: Optional[str] = None
    nature: Optional[str] = None
    industry_code: Optional[str] = None
    industry: Optional[str] = None
    region_code: Optional[str] = None
    region: Optional[str] = None
    address: Optional[str] = None
    missing: list[str] = Field(description="审核员需补充的单位信息字段")
    verification_status: str


class FlowOut(BaseModel):
    seq: int
    at: str
    actor: str
    action: str
    action_label: str
    state: Optional[str] = None
    state_label: str
    remark: Optional[str] = None


class EvidenceRef(BaseModel):
    kind: str
    id: int
    label: str
    url: str  # the image itself: GET with the same Bearer token


class TerminationSummary(BaseModel):
    id: int
    state: str
    state_label: str
    initiated_by: str
    reason: str
    remark: Optional[str] = None


class SigningDetailOut(BaseModel):
    id: int
    state: str
    state_label: str
    signing_review: str
    agreement_no: Optional[str] = None
    agreement_status: str
    age_days: Optional[int] = None
    overdue: bool
    sla_days: int
    revision: int
    revision_pending: bool
    student: StudentOut
    employer: EmployerOut
    terms: dict[str, Any]
    labels: dict[str, str]
    evidence: list[EvidenceRef]
    flow: list[FlowOut]
    flow_chain_ok: bool
    flow_chain_problems: list[str]
    terminations: list[TerminationSummary]
    allowed_actions: list[str]
    rejection_warning: str


class TerminationDetailOut(BaseModel):
    id: int
    state: str
    state_label: str
    initiated_by: str
    reason: str
    remark: Optional[str] = None
    requested_at: str
    answered_at: Optional[str] = None
    age_days: Optional[int] = None
    overdue: bool
    allowed_actions: list[str]
    rejection_warning: str
    agreement: SigningDetailOut


class ApproveBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    remark: Optional[str] = Field(None, max_length=200)


class ReviewRejectBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: str = Field(min_length=1, max_length=500)


class BatchBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    ids: list[Id] = Field(min_length=1, max_length=review_batch.API_MAX)


class BatchItem(BaseModel):
    id: int
    ok: bool
    label: str
    message: Optional[str] = None
    agreement_no: Optional[str] = None


class BatchOut(BaseModel):
    summary: str
    succeeded: int
    failed: int
    results: list[BatchItem]


class RevealBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    field: Literal["id_number", "phone"]


class RevealOut(BaseModel):
    field: str
    value: str


# -- converting -------------------------------------------------------------------------------------

def _queue_out(page: review_queue.QueuePage) -> QueueOut:
    return QueueOut(items=[QueueItem(
        id=r.id, invitation_id=r.invitation_id, agreement_no=r.agreement_no,
        agreement_status=r.agreement_status,
        state=r.state, student_no=r.student_no, student_name=r.student_name, college=r.college, major=r.major,
        employer_name=r.employer, last_action_at=iso_china(r.last_action_at), signing_review=r.signing_review,
        termination_review=r.termination_review, age_days=r.age, overdue=r.overdue, reason=r.reason,
        initiated_by=r.initiated_by) for r in page.rows],
        next_cursor=page.next_cursor, sla_days=page.sla_days)


def signing_out(d: review_detail.SigningDetail) -> SigningDetailOut:
    s, e, inv = d.student, d.employer, d.invitation
    return SigningDetailOut(
        id=inv.id, state=inv.state.value, state_label=d.state_label, signing_review=d.signing_review,
        agreement_no=inv.agreement_no, agreement_status=d.agreement_status, age_days=d.age, overdue=d.overdue,
        sla_days=d.sla_days, revision=d.revision.number, revision_pending=d.pending_revision is not None,
        student=StudentOut(
            id=s.id, student_no=s.student_no, name=s.name, college=s.college.name, major=s.major.name,
            class_name=s.class_name, cohort=s.cohort,
            education_level_label=signing_rules.EDUCATION_LABELS[s.education_level.value],
            id_number_masked=d.student_id_masked, phone_masked=d.student_phone_masked,
            record_active=s.record_status.value == "active"),
        employer=EmployerOut(
            id=e.id, name=e.name, credit_code=e.credit_code, nature_code=e.nature_code,
            nature=d.labels.get("employer_nature"), industry_code=e.industry_code,
            industry=d.labels.get("employer_industry"), region_code=e.region_code,
            region=d.labels.get("employer_region"), address=e.address, missing=d.employer_missing,
            verification_status=e.verification_status.value),
        terms=d.revision.terms, labels=d.labels,
        evidence=[EvidenceRef(**item, url=f"/api/v1/review/evidence/{item['kind']}/{item['id']}")
                  for item in d.evidence],
        flow=[FlowOut(seq=f.seq, at=iso_china(f.created_at), actor=f.actor_name, action=f.action,
                      action_label=ACTION_LABELS.get(f.action, f.action), state=f.to_state,
                      state_label=flow_state_label(f.action, f.to_state), remark=f.remark)
              for f in d.flow],
        flow_chain_ok=d.chain.ok, flow_chain_problems=d.chain.problems,
        terminations=[TerminationSummary(id=t.id, state=t.state.value,
                                         state_label=review_queue.TERMINATION_REVIEW_LABELS[t.state.value],
                                         initiated_by=t.initiated_by.value, reason=t.reason, remark=t.remark)
                      for t in d.terminations],
        allowed_actions=d.allowed_actions, rejection_warning=signing_rules.REVIEW_REJECTION_WARNING)


def termination_out(t: review_detail.TerminationDetail) -> TerminationDetailOut:
    term = t.termination
    return TerminationDetailOut(
        id=term.id, state=term.state.value, state_label=t.state_label, initiated_by=term.initiated_by.value,
        reason=term.reason, remark=term.remark, requested_at=iso_china(term.created_at),
        answered_at=iso_china(term.answered_at), age_days=t.age, overdue=t.overdue,
        allowed_actions=t.allowed_actions, rejection_warning=review_detail.TERMINATION_REJECTION_WARNING,
        agreement=signing_out(t.signing))


# -- routes -----------------------------------------------------------------------------------------

@bp.get("/review/home")
@roles_required(*REVIEWERS)
@spec.validate(resp=Response(HTTP_200=ReviewHome, **ERRORS), tags=["review"])
def review_home():
    """审核员首页: what waits for me and how much of it is past the school's service level."""
    from app.api.auth import current_account

    actor, account = current_actor(), current_account()
    counts = review_queue.home_counts(actor)
    paper_waiting, paper_overdue = paper_review.home_counts(actor)
    return ReviewHome(paper_waiting=paper_waiting, paper_overdue=paper_overdue,
                      role=actor.role, school=account.school.name,
                      college=account.college.name if account.college is not None else None,
                      sla_days=counts.sla_days, signings_waiting=counts.signings_waiting,
                      signings_overdue=counts.signings_overdue,
                      terminations_waiting=counts.terminations_waiting,
                      terminations_overdue=counts.terminations_overdue,
                      destinations_waiting=review_destinations.waiting_count(actor),
                      employers_pending=counts.employers_pending)


@bp.get("/review/signings")
@roles_required(*REVIEWERS)
@spec.validate(query=SigningQuery, resp=Response(HTTP_200=QueueOut, **ERRORS), tags=["review"])
def review_signings(query: SigningQuery):
    """网上签约审核列表 (filters as the page; keyset cursor, newest last action first)."""
    page = review_queue.signings_page(current_actor(), query.to_filter(query.status), query.cursor,
                                      query.limit)
    return _queue_out(page)


@bp.get("/review/signings/<int:invitation_id>")
@roles_required(*REVIEWERS)
@spec.validate(resp=Response(HTTP_200=SigningDetailOut, **ERRORS), tags=["review"])
def review_signing(invitation_id: int):
    """签约详情: student (masked), employer, terms, archive/hukou, evidence, flow log, actions."""
    return signing_out(review_detail.signing_detail(current_actor(), invitation_id))


@bp.get("/review/evidence/<any(employer, intervention):kind>/<int:evidence_id>")
@roles_required(*REVIEWERS)
def review_evidence(kind: str, evidence_id: int):
    """An evidence image (营业执照, 授权委托书, a forced termination's proof) for the reviewers who
    may see it; 404 for anyone else."""
    path, content_type = review_detail.evidence_file(current_actor(), kind, evidence_id)
    if not path.is_file():
        raise NotFound("EVIDENCE_NOT_FOUND", "材料不存在或无权查看")
    response = send_file(path, mimetype=content_type, max_age=0)
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.post("/review/signings/<int:invitation_id>/reveal")
@roles_required(*REVIEWERS)
@spec.validate(json=RevealBody, resp=Response(HTTP_200=RevealOut, **ERRORS), tags=["review"])
def review_reveal(invitation_id: int, json: RevealBody):
    """The student's full ID number or phone (reviewers of the student's school); each reveal is logged."""
    from flask import request

    value = review_detail.reveal(current_actor(), invitation_id, json.field, request.remote_addr)
    return RevealOut(field=json.field, value=value)


@bp.post("/review/signings/<int:invitation_id>/approve")
@roles_required(*REVIEWERS)
@idempotent
@spec.validate(json=ApproveBody, resp=Response(HTTP_200=SigningDetailOut, **ERRORS), tags=["review"])
def review_approve_signing(invitation_id: int, json: ApproveBody):
    """签约审核通过 at the reviewer's level; the school's approval gives the agreement number."""
    actor = current_actor()
    reviews.approve_signing(actor, invitation_id, json.remark)
    return signing_out(review_detail.signing_detail(actor, invitation_id))


@bp.post("/review/signings/<int:invitation_id>/reject")
@roles_required(*REVIEWERS)
@idempotent
@spec.validate(json=ReviewRejectBody, resp=Response(HTTP_200=SigningDetailOut, **ERRORS), tags=["review"])
def review_reject_signing(invitation_id: int, json: ReviewRejectBody):
    """签约审核不通过 with a reason (see rejection_warning); both parties are told."""
    actor = current_actor()
    reviews.reject_signing(actor, invitation_id, json.reason)
    return signing_out(review_detail.signing_detail(actor, invitation_id))


@bp.post("/review/signings/batch-approve")
@roles_required(*REVIEWERS)
@idempotent
@spec.validate(json=BatchBody, resp=Response(HTTP_200=BatchOut, **ERRORS), tags=["review"])
def review_batch_approve(json: BatchBody):
    """批量审核通过: each id on its own; a result per item (larger batches: the desktop page)."""
    results = review_batch.approve_many(current_actor(), list(json.ids))
    ok = sum(r.ok for r in results)
    return BatchOut(summary=review_batch.summary(results), succeeded=ok, failed=len(results) - ok,
                    results=[BatchItem(**r.__dict__) for r in results])


@bp.get("/review/terminations")
@roles_required(*REVIEWERS)
@spec.validate(query=TerminationQuery, resp=Response(HTTP_200=QueueOut, **ERRORS), tags=["review"])
def review_terminations(query: TerminationQuery):
    """解约审核列表."""
    page = review_queue.terminations_page(current_actor(), query.to_filter(query.status), query.cursor,
                                          query.limit)
    return _queue_out(page)


@bp.get("/review/terminations/<int:termination_id>")
@roles_required(*REVIEWERS)
@spec.validate(resp=Response(HTTP_200=TerminationDetailOut, **ERRORS), tags=["review"])
def review_termination(termination_id: int):
    """解约详情: the request, the other party's answer and the agreement."""
    return termination_out(review_detail.termination_detail(current_actor(), termination_id))


@bp.post("/review/terminations/<int:termination_id>/approve")
@roles_required(*REVIEWERS)
@idempotent
@spec.validate(json=ApproveBody, resp=Response(HTTP_200=TerminationDetailOut, **ERRORS), tags=["review"])
def review_approve_termination(termination_id: int, json: ApproveBody):
    """解约审核通过; the school's approval terminates the agreement and frees the student."""
    actor = current_actor()
    terminations.approve_termination(actor, termination_id, json.remark)
    return termination_out(review_detail.termination_detail(actor, termination_id))


@bp.post("/review/terminations/<int:termination_id>/reject")
@roles_required(*REVIEWERS)
@idempotent
@spec.validate(json=ReviewRejectBody, resp=Response(HTTP_200=TerminationDetailOut, **ERRORS), tags=["review"])
def review_reject_termination(termination_id: int, json: ReviewRejectBody):
    """解约审核不通过 with a reason: the agreement stays effective."""
    actor = current_actor()
    terminations.reject_termination(actor, termination_id, json.reason)
    return termination_out(review_detail.termination_detail(actor, termination_id))
