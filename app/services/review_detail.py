"""What a reviewer reads before deciding (SPEC §4, seed 002 §2.1.3): the student, the employer
(with what is missing), every term, archive and hukou, evidence, the flow log and whether its
hash chain holds, the terminations, and the actions this reviewer may take now.

Read-only, in a fixed number of queries whatever the history; PII is masked here and shown in
full only through ``reveal`` (reviewers of the student's school), which logs every reveal.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from app.domain import signing as rules
from app.domain import termination as termination_rules
from app.domain.actors import Actor
from app.domain.errors import Forbidden, InvalidInput, NotFound
from app.extensions import db
from app.models import (
    AccountEvent,
    Employer,
    EmployerEvidence,
    FlowEntry,
    InterventionEvidence,
    Invitation,
    InvitationRevision,
    School,
    Student,
    Termination,
    TerminationState,
)
from app.pii import mask_id_number, mask_phone
from app.services import review_queue, uploads
from app.services.dictionaries import names_of
from app.services.flow import GENESIS, entry_hash
from app.services.signing_flow import load_for
from app.services.unit import transactional

REVIEWERS = ("college_reviewer", "school_reviewer")
# What a reviewer fills in when the employer's registration lacks it (seed 002: ↓请填写信息).
EMPLOYER_FILLABLE = (("nature_code", "unit_nature", "单位性质"), ("industry_code", "industry", "单位行业"),
                     ("region_code", "region", "单位所在地"), ("address", None, "单位地址"))
ACTION_LABELS = {
    "approve": "审核通过", "reject": "审核不通过", "withdraw_approval": "撤回审核",
    "void": "作废", "invalidate": "设为失效", "force_terminate": "强制解约",
    "fill_employer": "补充单位信息", "invalidate_student": "学籍失效",
}
TERMINATION_ACTION_LABELS = {"approve": "解约审核通过", "reject": "解约审核不通过"}
# The manuals' dialog for a refused termination (seed 002 §2.2.3), beside the signing one in
# app/domain/signing.py.
TERMINATION_REJECTION_WARNING = (
    "学校审核应充分尊重单位和学生的解约意愿，若审核不通过，需有充分理由和证据表明签约双方在解约过程中"
    "存在欺诈、虚假、信息不实等情况，必要时请保留这些证据。")


@dataclass
class ChainCheck:
    ok: bool
    entries: int
    problems: list[str] = field(default_factory=list)


@dataclass
class SigningDetail:
    invitation: Invitation
    student: Student
    student_id_masked: str | None
    student_phone_masked: str | None
    may_reveal: bool
    employer: Employer
    employer_missing: list[str]  # field names a reviewer should fill
    revision: InvitationRevision  # the terms under review (the accepted ones while a change waits)
    pending_revision: InvitationRevision | None
    labels: dict[str, str]
    evidence: list[dict[str, Any]]
    flow: list[FlowEntry]
    chain: ChainCheck
    terminations: list[Termination]
    allowed_actions: list[str]
    state_label: str
    signing_review: str
    agreement_status: str
    age: int | None
    overdue: bool
    sla_days: int
    school: School


def check_chain(entries: list[FlowEntry]) -> ChainCheck:
    """Does this record's flow log hold: consecutive seqs, each linked to the one before, each
    hash matching its content? (The same rules as ``flask verify-flow-log``, for one chain.)"""
    problems, previous = [], None
    for entry in entries:
        expected_seq = previous.seq + 1 if previous else 1
        expected_prev = previous.hash if previous else GENESIS
        if entry.seq != expected_seq:
            problems.append(f"第{entry.seq}条：序号不连续（应为 {expected_seq}）")
        if entry.prev_hash != expected_prev:
            problems.append(f"第{entry.seq}条：前一条记录的哈希不匹配（记录被删除或改动）")
        if entry_hash(entry) != entry.hash:
            problems.append(f"第{entry.seq}条：记录内容与哈希不符（记录被篡改）")
        previous = entry
    return ChainCheck(not problems, len(entries), problems)


def _require_reviewer(actor: Actor) -> None:
    if actor.role not in REVIEWERS:
        raise Forbidden("ROLE_NOT_ALLOWED", "只有学院或学校审核员可以查看审核详情")


def signing_actions(actor: Actor, invitation: Invitation, employer_missing: bool,
                    student_active: bool = True) -> list[str]:
    """The buttons to show: the workflow's own ``allowed_actions`` (the engine decides from its
    table and guards), plus what a reviewer does beside the agreement's states."""
    from app.services.signing_flow import allowed_actions

    actions = [a for a in allowed_actions(invitation, actor) if a in ACTION_LABELS]
    if "approve" in actions and employer_missing:
        actions.append("fill_employer")
    if actor.role == "school_reviewer" and student_active:
        actions.append("invalidate_student")
    return actions


def termination_actions(actor: Actor, termination: Termination) -> list[str]:
    from app.services.terminations import allowed_actions

    return [a for a in allowed_actions(termination, actor) if a in TERMINATION_ACTION_LABELS]


def _missing(employer: Employer) -> list[str]:
    return [attr for attr, _kind, _label in EMPLOYER_FILLABLE if not getattr(employer, attr)]


def signing_detail(actor: Actor, invitation_id: int) -> SigningDetail:
    """Everything about one signing for its reviewer; 404 outside the reviewer's college/school."""
    _require_reviewer(actor)
    invitation = load_for(actor, invitation_id)
    student = db.session.scalar(select(Student).options(
        joinedload(Student.college), joinedload(Student.major), joinedload(Student.school))
        .where(Student.id == invitation.student_id))
    employer = db.session.get(Employer, invitation.employer_id)
    wanted = {invitation.current_revision_no, invitation.accepted_revision_no, invitation.pending_revision_no}
    revisions = {r.number: r for r in db.session.scalars(select(InvitationRevision).where(
        InvitationRevision.invitation_id == invitation.id,
        InvitationRevision.number.in_([n for n in wanted if n])))}
    if invitation.pending_revision_no is not None and invitation.accepted_revision_no in revisions:
        revision = revisions[invitation.accepted_revision_no]
        pending = revisions.get(invitation.pending_revision_no)
    else:
        revision, pending = revisions[invitation.accepted_revision_no or invitation.current_revision_no], None
    flow = list(db.session.scalars(select(FlowEntry).where(
        FlowEntry.subject_type == "invitation", FlowEntry.subject_id == invitation.id)
        .order_by(FlowEntry.seq)))
    terminations = list(db.session.scalars(select(Termination).where(
        Termination.invitation_id == invitation.id).order_by(Termination.id.desc())))
    evidence = _evidence(invitation.id, employer.id)
    labels = _labels(revision, employer)
    missing = _missing(employer)
    state = invitation.state.value
    in_review = state in review_queue.REVIEW_STATES
    school = db.session.get(School, invitation.school_id)
    limit = school.review_sla_days
    cutoff = review_queue.overdue_cutoff(limit)
    return SigningDetail(
        invitation=invitation, student=student,
        student_id_masked=mask_id_number(student.id_number), student_phone_masked=mask_phone(student.phone),
        may_reveal=actor.school_id == student.school_id, employer=employer, employer_missing=missing,
        revision=revision, pending_revision=pending, labels=labels, evidence=evidence, flow=flow,
        chain=check_chain(flow), terminations=terminations,
        allowed_actions=signing_actions(actor, invitation, bool(missing),
                                        student.record_status.value == "active"),
        state_label=rules.STATE_LABELS[state], signing_review=review_queue.SIGNING_REVIEW_LABELS[state],
        agreement_status=review_queue.AGREEMENT_STATUS_LABELS.get(state, "未生效"),
        age=review_queue.age_of(invitation.updated_at) if in_review else None,
        overdue=in_review and invitation.updated_at < cutoff, sla_days=limit, school=school)


@dataclass
class TerminationDetail:
    termination: Termination
    signing: SigningDetail
    allowed_actions: list[str]
    state_label: str
    age: int | None
    overdue: bool


def termination_detail(actor: Actor, termination_id: int) -> TerminationDetail:
    _require_reviewer(actor)
    from app.services.terminations import load_termination

    # Another's and a missing one answer alike (TERMINATION_NOT_FOUND), before the agreement.
    termination = load_termination(actor, termination_id, lock=False)
    signing = signing_detail(actor, termination.invitation_id)
    state = termination.state.value
    in_review = state in review_queue.REVIEW_STATES
    cutoff = review_queue.overdue_cutoff(signing.sla_days)
    return TerminationDetail(
        termination=termination, signing=signing, allowed_actions=termination_actions(actor, termination),
        state_label=termination_rules.STATE_LABELS[state],
        age=review_queue.age_of(termination.updated_at) if in_review else None,
        overdue=in_review and termination.updated_at < cutoff)


def _labels(revision: InvitationRevision, employer: Employer) -> dict[str, str]:
    """Names of the dictionary codes on the page, in one query."""
    return names_of({
        "job_category": ("job_category", revision.terms.get("job_category_code")),
        "work_region": ("region", revision.terms.get("work_region_code")),
        "employer_nature": ("unit_nature", employer.nature_code),
        "employer_industry": ("industry", employer.industry_code),
        "employer_region": ("region", employer.region_code),
    })


def _evidence(invitation_id: int, employer_id: int) -> list[dict[str, Any]]:
    """The employer's verification scans and the school's intervention evidence (one query each)."""
    names = {"licence": "营业执照", "authorisation": "授权委托书"}
    items = [{"kind": "employer", "id": e.id, "label": names[e.kind.value]}
             for e in db.session.scalars(select(EmployerEvidence).where(
                 EmployerEvidence.employer_id == employer_id).order_by(EmployerEvidence.id))]
    items += [{"kind": "intervention", "id": e.id, "label": "强制解约证明材料"}
              for e in db.session.scalars(select(InterventionEvidence).where(
                  InterventionEvidence.invitation_id == invitation_id).order_by(InterventionEvidence.id))]
    return items


def evidence_file(actor: Actor, kind: str, evidence_id: int) -> tuple[Path, str]:
    """The stored image and its type, if this actor may see it; 404 otherwise.

    Employer evidence: those who verify employers (school reviewers, the platform), and a
    college reviewer for an employer with a signing in their college. Intervention evidence:
    whoever may see the agreement."""
    if kind == "employer":
        item = db.session.get(EmployerEvidence, evidence_id)
        allowed = item is not None and (
            actor.role in ("school_reviewer", "platform_admin") or (
                actor.role == "college_reviewer" and db.session.scalar(select(Invitation.id).where(
                    Invitation.employer_id == item.employer_id, Invitation.college_id == actor.college_id,
                    Invitation.school_id == actor.school_id).limit(1)) is not None))
    elif kind == "intervention":
        item = db.session.get(InterventionEvidence, evidence_id)
        allowed = item is not None and actor.role in REVIEWERS
        if allowed:
            try:
                load_for(actor, item.invitation_id)
            except NotFound:  # outside the reviewer's reach: the same answer as a missing image
                allowed = False
    else:
        item, allowed = None, False
    if not allowed:
        raise NotFound("EVIDENCE_NOT_FOUND", "材料不存在或无权查看")
    try:
        return uploads.path_of(item.storage_key), item.content_type
    except ValueError:
        raise NotFound("EVIDENCE_NOT_FOUND", "材料不存在或无权查看") from None


REVEALABLE = {"id_number": "身份证号", "phone": "手机号"}


@transactional
def reveal(actor: Actor, invitation_id: int, field_name: str, ip: str | None = None) -> str:
    """The student's full ID number or phone, for a reviewer of the student's school; logged."""
    _require_reviewer(actor)
    if field_name not in REVEALABLE:
        raise InvalidInput("BAD_FIELD", "不支持查看该信息")
    invitation = load_for(actor, invitation_id)
    student = db.session.get(Student, invitation.student_id)
    if student.school_id != actor.school_id:
        raise NotFound("INVITATION_NOT_FOUND", "邀约不存在或无权查看")
    db.session.add(AccountEvent(account_id=actor.account_id, action="pii_reveal", ip=(ip or "")[:45] or None,
                                detail={"student_id": student.id, "field": field_name,
                                        "invitation_id": invitation.id}))
    return getattr(student, field_name) or ""


def termination_reason_labels() -> dict[str, str]:
    return {s.value: termination_rules.STATE_LABELS[s.value] for s in TerminationState}
