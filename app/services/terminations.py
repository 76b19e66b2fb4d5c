"""解约: request, the other party's answer, college and school review (SPEC §5).

Each step is also written on the agreement's own flow log, so consents and reviews read as one
timeline. Approval terminates the agreement and frees the student at once.
"""
from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from app.clock import utcnow
from app.domain import termination as rules
from app.domain.actors import Actor
from app.domain.errors import Conflict, Forbidden, InvalidInput, NotFound
from app.domain.events import EMPLOYER_TERMINATION_PAGE
from app.extensions import db
from app.models import InvitationState, Party, RecipientType, School, Termination, TerminationState
from app.services.flow import record_flow
from app.services.notify import notify
from app.services.signing_flow import apply_transition, current_revision, load_for, two_review_levels
from app.services.unit import transactional


def completed_terminations(student_id: int) -> int:
    return db.session.scalar(select(func.count()).select_from(Termination).where(
        Termination.student_id == student_id, Termination.state == TerminationState.APPROVED))


def termination_notice(actor: Actor, invitation_id: int) -> dict:
    """What the request dialog shows: the 解约须知 with the school's limit and its use."""
    invitation = load_for(actor, invitation_id)
    school = db.session.get(School, invitation.school_id)
    used = completed_terminations(invitation.student_id)
    return {"notice": rules.notice(school.termination_limit, used),
            "limit": school.termination_limit, "completed": used,
            "limit_reached": rules.limit_reached(school.termination_limit, used)}


def _party_of(actor: Actor) -> str:
    if actor.role == "student":
        return Party.STUDENT.value
    if actor.role == "employer_user":
        return Party.EMPLOYER.value
    raise Forbidden("ACTION_NOT_ALLOWED", "只有签约双方可以申请解约")


@transactional
def request_termination(actor: Actor, invitation_id: int, reason: str, acknowledge: bool) -> Termination:
    party = _party_of(actor)
    reason = (reason or "").strip()
    if not reason or len(reason) > rules.REASON_MAX:
        raise InvalidInput("REASON_REQUIRED", "请填写解约原因（200字以内）",
                           {"reason": "请填写解约原因（200字以内）"})
    if not acknowledge:
        raise InvalidInput("ACKNOWLEDGE_REQUIRED", "请阅读并同意解约须知",
                           {"acknowledge": "须勾选同意解约须知"})
    invitation = load_for(actor, invitation_id, lock=True)
    if invitation.state in (InvitationState.COLLEGE_REVIEW, InvitationState.SCHOOL_REVIEW):
        raise Conflict("SIGNING_IN_REVIEW", "签约审核期间不能申请解约")
    if invitation.state != InvitationState.EFFECTIVE:
        raise Conflict("NOT_EFFECTIVE", "只有已生效的协议可以申请解约")
    school = db.session.get(School, invitation.school_id)
    if party == Party.STUDENT.value and rules.limit_reached(
            school.termination_limit, completed_terminations(invitation.student_id)):
        raise Conflict("TERMINATION_LIMIT_REACHED",
                       f"已达到学校规定的解约次数上限（{school.termination_limit}次），不能再申请解约")
    termination = Termination(
        invitation_id=invitation.id, in_flight_invitation_id=invitation.id,
        student_id=invitation.student_id, employer_id=invitation.employer_id,
        school_id=invitation.school_id, college_id=invitation.college_id, initiated_by=party,
        requested_by_id=actor.account_id, reason=reason, state=TerminationState.AWAITING_PARTY)
    db.session.add(termination)
    try:
        db.session.flush()
    except IntegrityError as exc:  # the unique in-flight key: someone asked a moment ago
        if "in_flight" in str(exc.orig):
            raise Conflict("TERMINATION_IN_FLIGHT", "该协议已有进行中的解约申请") from exc
        raise
    invitation.termination_status = "in_flight"
    entry = record_flow("invitation", invitation.id, "termination_request", actor, None,
                        rules.AWAITING_PARTY, reason)
    _emit(termination, "termination_requested", entry.seq, remark=reason,
          to=rules.other_party(party))
    return termination


def load_termination(actor: Actor, termination_id: int, lock: bool = True) -> Termination:
    query = select(Termination).where(Termination.id == termination_id)
    termination = db.session.scalar(query.with_for_update() if lock else query)
    if termination is None:
        raise NotFound("TERMINATION_NOT_FOUND", "解约申请不存在或无权查看")
    load_for(actor, termination.invitation_id)  # same reach as the agreement: 404 otherwise
    return termination


def _step(termination: Termination, action: str, actor: Actor, remark: str | None = None) -> int:
    step = rules.STEPS[action]
    allowed = set(step.roles)
    if rules.OTHER_PARTY in allowed:
        allowed = {rules.party_role(rules.other_party(termination.initiated_by.value))}
    if actor.role not in allowed:
        raise Forbidden("ACTION_NOT_ALLOWED", "你无权执行此操作")
    before = termination.state.value
    if before not in step.sources:
        raise Conflict("INVALID_STATE",
                       f"解约申请当前为“{rules.STATE_LABELS[before]}”，不能执行“{step.label}”")
    if step.reason_required and not (remark or "").strip():
        raise InvalidInput("REASON_REQUIRED", "请填写原因", {"reason": "请填写原因"})
    target = rules.resolve_target(step, two_review_levels(termination.invitation))
    termination.state = target
    if target not in rules.IN_FLIGHT:
        termination.in_flight_invitation_id = None
        termination.closed_at = utcnow()
        termination.invitation.termination_status = "approved" if target == rules.APPROVED else "failed"
        if target in (rules.REJECTED, rules.DISAGREED):
            termination.remark = (remark or step.label)[:500]
    entry = record_flow("invitation", termination.invitation_id, f"termination_{action}", actor,
                        before, target, remark)
    db.session.flush()
    if step.event:
        _emit(termination, step.event, entry.seq, remark=remark)
    return entry.seq


@transactional
def answer_termination(actor: Actor, termination_id: int, agree: bool, confirm: bool = False,
                       remark: str | None = None) -> Termination:
    """The other party agrees (a second confirmation) or disagrees (the termination fails)."""
    termination = load_termination(actor, termination_id)
    if agree and not confirm:
        raise InvalidInput("CONFIRMATION_REQUIRED", "同意解约需再次确认", {"confirm": "请确认同意解约"})
    termination.answered_by_id = actor.account_id
    termination.answered_at = utcnow()
    _step(termination, "agree" if agree else "disagree", actor,
          remark or (None if agree else "对方不同意解约"))
    return termination


@transactional
def approve_termination(actor: Actor, termination_id: int, remark: str | None = None) -> Termination:
    termination = load_termination(actor, termination_id)
    if termination.state == TerminationState.COLLEGE_REVIEW:
        _step(termination, "college_approve", actor, remark)
        return termination
    _step(termination, "school_approve", actor, remark)
    invitation = termination.invitation
    db.session.refresh(invitation, with_for_update=True)
    apply_transition(invitation, "terminate", actor, remark or termination.reason)
    return termination


@transactional
def reject_termination(actor: Actor, termination_id: int, reason: str) -> Termination:
    termination = load_termination(actor, termination_id)
    action = "college_reject" if termination.state == TerminationState.COLLEGE_REVIEW else "school_reject"
    _step(termination, action, actor, reason)
    return termination


def close_in_flight(invitation_id: int, actor: Actor, remark: str) -> None:
    """A forced termination or invalidation overtakes a pending request: it fails, on the record."""
    termination = db.session.scalar(select(Termination).where(
        Termination.in_flight_invitation_id == invitation_id).with_for_update())
    if termination is None:
        return
    before = termination.state.value
    termination.state = TerminationState.REJECTED
    termination.in_flight_invitation_id = None
    termination.closed_at = utcnow()
    termination.remark = remark
    termination.invitation.termination_status = "failed"
    record_flow("invitation", invitation_id, "termination_closed", actor, before, rules.REJECTED, remark)


def _emit(termination: Termination, event: str, occurrence: int, remark: str | None = None,
          to: str | None = None) -> None:
    """Requests go to the other party, answers to the requester, outcomes to both."""
    invitation = termination.invitation
    student_name, employer_name = invitation.student.name, invitation.employer.name
    requester_is_student = termination.initiated_by == Party.STUDENT
    data = {"termination_id": termination.id, "employer_name": employer_name,
            "position": current_revision(invitation).terms["position"], "remark": remark or "无",
            "requester": student_name if requester_is_student else employer_name,
            "counterpart": employer_name if requester_is_student else student_name}
    if to is None:
        if event in ("termination_agreed", "termination_disagreed"):
            to = termination.initiated_by.value
        else:
            to = "both"
    common = {"dedupe": f"inv{invitation.id}:{occurrence}", "subject_type": "termination",
              "subject_id": termination.id}
    if to in ("student", "both"):
        notify(RecipientType.STUDENT, termination.student_id, event, **common, **data)
    if to in ("employer", "both"):
        notify(RecipientType.EMPLOYER, termination.employer_id, event, **common,
               page_override=EMPLOYER_TERMINATION_PAGE.format(termination_id=termination.id), **data)


