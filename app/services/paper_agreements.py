"""线下签约: the student's draft, generation, stamped scan and termination; the school's reviews.

Every step is a row of app/domain/paper.py run by the one executor (app/services/paper_flow.py)
in one transaction. Files go through the one upload mechanism (app/services/uploads.py) and are
checked before anything is stored: a scan whose QR code is not this agreement's is refused.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from flask import current_app
from sqlalchemy import select
from werkzeug.datastructures import FileStorage

from app.domain import paper as rules
from app.domain.actors import Actor
from app.domain.errors import Conflict, Forbidden, InvalidInput
from app.domain.workflow import NEW
from app.extensions import db
from app.models import FlowEntry, PaperAgreement, PaperScan, PaperTermination, Student
from app.services import paper_documents, scan_match, uploads
from app.services.dictionaries import unknown_codes
from app.services.paper_flow import PAPER, PAPER_TERMINATION
from app.services.unit import transactional


def _student(actor: Actor) -> Student:
    if actor.role != rules.STUDENT or actor.student_id is None:
        raise Forbidden("ROLE_NOT_ALLOWED", "只有学生可以录入线下签约协议书")
    return db.session.get(Student, actor.student_id)


def _draft_content(content: Any) -> dict[str, Any]:
    """A draft keeps what the student entered so far (a JSON object of bounded size)."""
    if not isinstance(content, dict):
        raise InvalidInput("VALIDATION_FAILED", "协议书内容格式不正确", {"content": "应为对象"})
    if len(json.dumps(content, ensure_ascii=False)) > rules.DRAFT_MAX_CHARS:
        raise InvalidInput("DRAFT_TOO_LARGE", "协议书内容过长", {"content": "内容过长"})
    return content


def _summary_fields(paper: PaperAgreement) -> None:
    employer = (paper.content or {}).get("employer") or {}
    terms = (paper.content or {}).get("terms") or {}
    name, position = employer.get("name"), terms.get("position")
    paper.employer_name = str(name)[:100] if isinstance(name, str) and name.strip() else None
    paper.position = str(position)[:50] if isinstance(position, str) and position.strip() else None


# -- the student ---------------------------------------------------------------------------------

def my_agreements(actor: Actor) -> list[PaperAgreement]:
    """The student's paper agreements, newest first (drafts thrown away are left out)."""
    _student(actor)
    return list(db.session.scalars(select(PaperAgreement).where(
        PaperAgreement.student_id == actor.student_id,
        PaperAgreement.state != rules.DISCARDED).order_by(PaperAgreement.id.desc())))


def load(actor: Actor, paper_id: int) -> PaperAgreement:
    return PAPER.load(actor, paper_id)


@transactional
def create_draft(actor: Actor, content: Any) -> PaperAgreement:
    """录入协议书 → 暂不提交: a draft the student resumes later (one at a time)."""
    student = _student(actor)
    paper = PaperAgreement(student_id=student.id, school_id=student.school_id,
                           college_id=student.college_id, cohort=student.cohort,
                           content=_draft_content(content), created_by_id=actor.account_id)
    paper.state = None  # NEW until the executor sets the draft state
    _summary_fields(paper)
    PAPER.run(paper, "create", actor)
    return paper


@transactional
def update_draft(actor: Actor, paper_id: int, content: Any) -> PaperAgreement:
    paper = PAPER.load(actor, paper_id, lock=True)
    PAPER.workflow.check("update", paper.state.value, PAPER.roles(actor, paper), None)
    paper.content = _draft_content(content)
    _summary_fields(paper)
    PAPER.run(paper, "update", actor)
    return paper


@transactional
def discard_draft(actor: Actor, paper_id: int) -> PaperAgreement:
    paper = PAPER.load(actor, paper_id, lock=True)
    PAPER.run(paper, "discard", actor)
    return paper


def check_content(content: Any) -> rules.PaperContent:
    """The whole agreement as generation needs it: every field, every dictionary code."""
    problems = rules.draft_problems(content if isinstance(content, dict) else {})
    if problems:
        raise InvalidInput("VALIDATION_FAILED", "协议书信息不完整或有误，请检查后再生成", problems)
    parsed = rules.PaperContent.model_validate(content)
    unknown = unknown_codes({
        "terms.job_category_code": ("job_category", parsed.terms.job_category_code, "工作职位类别"),
        "terms.work_region_code": ("region", parsed.terms.work_region_code, "实际工作地点"),
        "employer.region_code": ("region", parsed.employer.region_code, "单位所在地"),
        "employer.industry_code": ("industry", parsed.employer.industry_code, "单位行业"),
        "employer.nature_code": ("unit_nature", parsed.employer.nature_code, "单位性质"),
    })
    if unknown:
        raise InvalidInput("VALIDATION_FAILED", "协议书信息不完整或有误，请检查后再生成", unknown)
    return parsed


@transactional
def generate(actor: Actor, paper_id: int, confirm: bool) -> PaperAgreement:
    """保存并生成协议书: irreversible, after the student's double confirmation."""
    if not confirm:
        raise InvalidInput("CONFIRMATION_REQUIRED", "请阅读并勾选协议书生成须知后再生成",
                           {"confirm": "须确认“协议书一旦生成不可更改”"})
    paper = PAPER.load(actor, paper_id, lock=True)
    PAPER.workflow.check("generate", paper.state.value, PAPER.roles(actor, paper),
                         PAPER.facts(paper, actor, paper.updated_at))
    paper.content = check_content(paper.content).stored()
    _summary_fields(paper)
    PAPER.run(paper, "generate", actor)
    return paper


@transactional
def submit_scan(actor: Actor, paper_id: int, file: FileStorage | None, ip: str | None = None) -> PaperScan:
    """反馈签约材料: the stamped scan, only while awaiting feedback, only if its QR code is this
    agreement's; then the signing review (签约鉴证)."""
    paper = PAPER.load(actor, paper_id, lock=True)
    PAPER.workflow.check("submit_scan", paper.state.value, PAPER.roles(actor, paper), None)
    facts = paper_documents.paper_facts(paper)
    key = current_app.config["AGREEMENT_MAC_KEY"]
    results: list[scan_match.ScanResult] = []

    def inspect(image) -> None:
        results.append(scan_match.check_scan(image, facts, key, field="scan"))

    stored = uploads.save_upload(uploads.USES["paper_scan"], file, ip=ip, inspect=inspect)
    try:
        scan = PaperScan(paper_agreement_id=paper.id, storage_key=stored.storage_key,
                         content_type=stored.content_type, size=stored.size, sha256=stored.sha256,
                         width=stored.width, height=stored.height, match=results[0].match.value,
                         found_refs=",".join(results[0].found)[:200], uploaded_by_id=actor.account_id)
        db.session.add(scan)
        PAPER.run(paper, "submit_scan", actor)
    except BaseException:
        uploads.discard([stored])
        raise
    return scan


# -- the school ---------------------------------------------------------------------------------------

@transactional
def approve(actor: Actor, paper_id: int) -> PaperAgreement:
    """协议书审核 or 签约鉴证 passed, at this reviewer's level."""
    paper = PAPER.load(actor, paper_id, lock=True)
    PAPER.run(paper, "approve", actor)
    return paper


@transactional
def reject(actor: Actor, paper_id: int, reason: str) -> PaperAgreement:
    """Not passed: at the first review the agreement fails; at the second it goes back to 待反馈."""
    paper = PAPER.load(actor, paper_id, lock=True)
    PAPER.run(paper, "reject", actor, (reason or "").strip()[:500] or None)
    return paper


def latest_scan(paper_id: int) -> PaperScan | None:
    return db.session.scalar(select(PaperScan).where(PaperScan.paper_agreement_id == paper_id)
                             .order_by(PaperScan.id.desc()).limit(1))


def scan_file(actor: Actor, scan_id: int):
    """(path, content type) of a scan, for the student and the reviewers who reach its agreement."""
    scan = db.session.get(PaperScan, scan_id)
    if scan is None:
        raise_not_found()
    PAPER.load(actor, scan.paper_agreement_id)
    return uploads.path_of(scan.storage_key), scan.content_type


def raise_not_found():
    from app.domain.errors import NotFound

    raise NotFound("FILE_NOT_FOUND", "文件不存在或无权查看")


def flow(paper: PaperAgreement) -> list[FlowEntry]:
    return list(db.session.scalars(select(FlowEntry).where(
        FlowEntry.subject_type == rules.PAPER.subject, FlowEntry.subject_id == paper.id)
        .order_by(FlowEntry.seq)))


# -- termination by the student -------------------------------------------------------------------

@dataclass(frozen=True)
class TerminationRequest:
    type: str
    reason: str
    acknowledge: bool


def _check_request(request: TerminationRequest) -> None:
    fields = {}
    if request.type not in rules.TERMINATION_TYPES:
        fields["type"] = "请选择解约类型"
    reason = (request.reason or "").strip()
    if not reason:
        fields["reason"] = "请填写解约原因"
    elif len(reason) > rules.TERMINATION_REASON_MAX:
        fields["reason"] = f"不超过{rules.TERMINATION_REASON_MAX}个字"
    if fields:
        raise InvalidInput("VALIDATION_FAILED", "解约申请填写有误", fields)
    if not request.acknowledge:
        raise InvalidInput("ACKNOWLEDGEMENT_REQUIRED", "请阅读并确认解约须知",
                           {"acknowledge": "须确认解约须知"})


@transactional
def request_termination(actor: Actor, paper_id: int, request: TerminationRequest,
                        file: FileStorage | None, ip: str | None = None) -> PaperTermination:
    """解约申请: type, reason and the stamped proof (JPG/PNG ≤ 2 MB); then the school's review."""
    paper = PAPER.load(actor, paper_id, lock=True)
    _check_request(request)
    termination = PaperTermination(paper_agreement_id=paper.id, student_id=paper.student_id,
                                   school_id=paper.school_id, college_id=paper.college_id,
                                   type=request.type, reason=request.reason.strip(),
                                   requested_by_id=actor.account_id)
    termination.state = None
    PAPER_TERMINATION.workflow.check("request", NEW, PAPER_TERMINATION.roles(actor, termination),
                                     PAPER_TERMINATION.facts(termination, actor, paper.updated_at))
    if db.session.scalar(select(PaperTermination.id).where(
            PaperTermination.in_flight_agreement_id == paper.id)) is not None:
        raise Conflict("TERMINATION_IN_FLIGHT", "该协议已有进行中的解约申请")
    stored = uploads.save_upload(uploads.USES["paper_termination_proof"], file, ip=ip)
    try:
        termination.proof_key, termination.proof_content_type = stored.storage_key, stored.content_type
        termination.proof_size, termination.proof_sha256 = stored.size, stored.sha256
        PAPER_TERMINATION.run(termination, "request", actor, request.reason.strip())
    except BaseException:
        uploads.discard([stored])
        raise
    return termination


@transactional
def approve_termination(actor: Actor, termination_id: int) -> PaperTermination:
    """解约审核通过 at this level; the school's approval terminates the agreement at once."""
    termination = PAPER_TERMINATION.load(actor, termination_id, lock=True)
    PAPER_TERMINATION.run(termination, "approve", actor)
    if termination.state.value == rules.T_APPROVED:
        paper = PAPER.load(actor, termination.paper_agreement_id, lock=True)
        PAPER.run(paper, "terminate", actor)
    return termination


@transactional
def reject_termination(actor: Actor, termination_id: int, reason: str) -> PaperTermination:
    termination = PAPER_TERMINATION.load(actor, termination_id, lock=True)
    PAPER_TERMINATION.run(termination, "reject", actor, (reason or "").strip()[:500] or None)
    return termination


def terminations_of(paper: PaperAgreement) -> list[PaperTermination]:
    return list(db.session.scalars(select(PaperTermination).where(
        PaperTermination.paper_agreement_id == paper.id).order_by(PaperTermination.id.desc())))


def proof_file(actor: Actor, termination_id: int):
    termination = PAPER_TERMINATION.load(actor, termination_id)
    return uploads.path_of(termination.proof_key), termination.proof_content_type


BATCH_MAX = 100  # a paper batch runs in the request


def approve_many(actor: Actor, ids: list[int]):
    """批量审核通过 at the actor's level, each its own transaction, a result per item."""
    from app.domain.errors import DomainError
    from app.services import review_batch

    ids = review_batch.check_ids(ids)
    if len(ids) > BATCH_MAX:
        raise InvalidInput("BATCH_TOO_LARGE", f"一次最多批量审核{BATCH_MAX}条", {"ids": f"最多{BATCH_MAX}条"})
    labels = dict(db.session.execute(select(PaperAgreement.id, Student.student_no + " " + Student.name)
                                     .join(Student, Student.id == PaperAgreement.student_id)
                                     .where(PaperAgreement.id.in_(ids))).all())
    results = []
    for paper_id in ids:
        try:
            paper = approve(actor, paper_id)
        except DomainError as exc:  # outside the reviewer's reach reads like any unknown id
            label = labels.get(paper_id, f"#{paper_id}") if exc.kind != "not_found" else f"#{paper_id}"
            results.append(review_batch.ItemResult(paper_id, False, label, exc.message))
        else:
            message = rules.STATE_LABELS[paper.state.value]
            if paper.agreement_no and paper.state.value == rules.AWAITING_FEEDBACK:
                message += f"，协议书编号 {paper.agreement_no}"
            label = labels.get(paper_id, f"#{paper_id}")
            results.append(review_batch.ItemResult(paper_id, True, label, message, paper.agreement_no))
    return results
