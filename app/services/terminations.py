"""解约: request, the other party's answer, college and school review (SPEC §5).

Each step is written on the agreement's own flow log, so consents and reviews read as one
timeline. Approval terminates the agreement and frees the student at once. The school's limit
counts every completed termination of the student, asked by either party (and forced ones
when the school says so), and is checked on requests from either side.
"""
from __future__ import annotations

from datetime import datetime
from functools import cached_property
from typing import Any

from sqlalchemy import func, select

from app.clock import utcnow
from app.domain import signing as srules
from app.domain import termination as rules
from app.domain.actors import Actor
from app.domain.errors import Forbidden, InvalidInput
from app.domain.events import EMPLOYER_TERMINATION_PAGE
from app.domain.workflow import NEW, Transition
from app.extensions import db
from app.models import Invitation, InvitationState, Party, RecipientType, School, Termination
from app.services import documents
from app.services.notify import notify
from app.services.signing_flow import SIGNING, current_revision, two_review_levels
from app.services.unit import transactional
from app.services.workflow import Runner


def completed_terminations(student_id: int, school: School) -> int:
    """The terminations that count against the school's limit: online and paper ones."""
    from app.models import PaperTermination, PaperTerminationState

    counted = [rules.STATUS_APPROVED] + ([rules.STATUS_FORCED] if school.forced_terminations_count else [])
    online = db.session.scalar(select(func.count()).select_from(Invitation).where(
        Invitation.student_id == student_id, Invitation.state == InvitationState.TERMINATED,
        Invitation.termination_status.in_(counted)))
    paper = db.session.scalar(select(func.count()).select_from(PaperTermination).where(
        PaperTermination.student_id == student_id, PaperTermination.state == PaperTerminationState.APPROVED))
    return online + paper


class TerminationFacts:
    """rules.TerminationFacts of one termination (the limit is counted only when asked); paper
    terminations (services/paper_flow.py) read their agreement's state instead."""

    def __init__(self, termination: Any) -> None:
        self.termination = termination
        self.agreement_state = self.state_of_agreement()  # read before the transition changes rows

    def state_of_agreement(self) -> str:
        return self.termination.invitation.state.value

    @cached_property
    def _school(self) -> School:
        return db.session.get(School, self.termination.school_id)

    @property
    def limit(self) -> int:
        return self._school.termination_limit

    @cached_property
    def completed(self) -> int:
        return completed_terminations(self.termination.student_id, self._school)


class TerminationRunner(Runner):
    workflow = rules.TERMINATION
    model = Termination
    not_found = ("TERMINATION_NOT_FOUND", "解约申请不存在或无权查看")

    def owns(self, actor: Actor, termination: Termination) -> bool:
        return srules.owns(actor, srules.InvitationScope(
            termination.student_id, termination.employer_id, termination.school_id, termination.college_id))

    def roles(self, actor: Actor, termination: Termination) -> set[str]:
        roles = {actor.role}
        if termination.initiated_by is not None and actor.role == rules.party_role(
                rules.other_party(termination.initiated_by.value)):
            roles.add(rules.OTHER_PARTY)
        return roles

    def facts(self, termination: Termination, actor: Actor, now: datetime) -> TerminationFacts:
        return TerminationFacts(termination)

    def two_levels(self, termination: Termination) -> bool:
        return two_review_levels(termination.invitation)

    def enter(self, termination: Termination, row: Transition, before: str, target: str, now: datetime,
              reason: str | None) -> None:
        agreement = termination.invitation
        if before == NEW:
            termination.in_flight_invitation_id = agreement.id
            agreement.termination_status = rules.STATUS_IN_FLIGHT
        if target in rules.FINAL:
            termination.in_flight_invitation_id = None
            termination.closed_at = now
        if target in rules.FAILED:
            agreement.termination_status = rules.STATUS_FAILED
            termination.remark = (reason or row.label)[:500]
        if target == rules.APPROVED:  # the 解约函, rendered after commit
            documents.request_termination_letter(termination)
        # APPROVED: the agreement's own "terminate" step follows in the same transaction and
        # marks it (approve_termination); the CHECK constraints tie the two together.

    def flow_subject(self, termination: Termination) -> tuple[str, int]:
        return "invitation", termination.invitation_id

    def emit(self, termination: Termination, row: Transition, occurrence: int, reason: str | None) -> None:
        _emit(termination, row.event, occurrence, remark=reason)


TERMINATION = TerminationRunner()


def termination_notice(actor: Actor, invitation_id: int) -> dict:
    """What the request dialog shows: the 解约须知 with the school's limit and its use."""
    invitation = SIGNING.load(actor, invitation_id)
    school = db.session.get(School, invitation.school_id)
    used = completed_terminations(invitation.student_id, school)
    return {"notice": rules.notice(school.termination_limit, used),
            "limit": school.termination_limit, "completed": used,
            "limit_reached": rules.limit_reached(school.termination_limit, used)}


def _party_of(actor: Actor) -> Party:
    if actor.role == "student":
        return Party.STUDENT
    if actor.role == "employer_user":
        return Party.EMPLOYER
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
    invitation = SIGNING.load(actor, invitation_id, lock=True)
    termination = Termination(
        invitation=invitation, student_id=invitation.student_id, employer_id=invitation.employer_id,
        school_id=invitation.school_id, college_id=invitation.college_id, initiated_by=party,
        requested_by_id=actor.account_id, reason=reason)
    TERMINATION.run(termination, "request", actor, reason)
    return termination


def may_request(invitation: Invitation, actor: Actor) -> bool:
    """Would a termination request of this party pass now (the table's row and guards)?"""
    if actor.role not in ("student", "employer_user") or invitation.termination_status == rules.STATUS_IN_FLIGHT:
        return False
    probe = Termination(invitation=invitation, student_id=invitation.student_id,
                        employer_id=invitation.employer_id, school_id=invitation.school_id,
                        college_id=invitation.college_id, initiated_by=_party_of(actor))
    return "request" in TERMINATION.allowed_actions(probe, actor)


def load_termination(actor: Actor, termination_id: int, lock: bool = True) -> Termination:
    """The termination within the actor's reach; another's and a missing one answer alike."""
    return TERMINATION.load(actor, termination_id, lock=lock)


def allowed_actions(termination: Termination, actor: Actor) -> list[str]:
    return TERMINATION.allowed_actions(termination, actor)


@transactional
def answer_termination(actor: Actor, termination_id: int, agree: bool, confirm: bool = False,
                       remark: str | None = None) -> Termination:
    """The other party agrees (a second confirmation) or disagrees (the termination fails)."""
    termination = TERMINATION.load(actor, termination_id, lock=True)
    if agree and not confirm:
        raise InvalidInput("CONFIRMATION_REQUIRED", "同意解约需再次确认", {"confirm": "请确认同意解约"})
    termination.answered_by_id = actor.account_id
    termination.answered_at = utcnow()
    TERMINATION.run(termination, "agree" if agree else "disagree", actor,
                    remark or (None if agree else "对方不同意解约"))
    return termination


@transactional
def approve_termination(actor: Actor, termination_id: int, remark: str | None = None) -> Termination:
    """College approval sends it to the school; school approval terminates the agreement."""
    termination = TERMINATION.load(actor, termination_id, lock=True)
    TERMINATION.run(termination, "approve", actor, remark)
    if termination.state == rules.APPROVED:
        invitation = termination.invitation
        db.session.refresh(invitation, with_for_update=True)
        SIGNING.run(invitation, "terminate", actor, remark or termination.reason)
    return termination


@transactional
def reject_termination(actor: Actor, termination_id: int, reason: str) -> Termination:
    termination = TERMINATION.load(actor, termination_id, lock=True)
    TERMINATION.run(termination, "reject", actor, reason)
    return termination


def close_in_flight(invitation: Invitation, actor: Actor, reason: str) -> None:
    """A forced termination or invalidation overtakes a pending request: it fails, on the record."""
    termination = db.session.scalar(select(Termination).where(
        Termination.in_flight_invitation_id == invitation.id).with_for_update())
    if termination is not None:
        TERMINATION.run(termination, "close", actor, reason)


def _emit(termination: Termination, event: str, occurrence: int, remark: str | None = None) -> None:
    """Requests go to the other party, answers to the requester, outcomes to both."""
    invitation = termination.invitation
    student_name, employer_name = invitation.student.name, invitation.employer.name
    requester_is_student = termination.initiated_by == Party.STUDENT
    data = {"termination_id": termination.id, "employer_name": employer_name,
            "position": current_revision(invitation).terms["position"], "remark": remark or "无",
            "requester": student_name if requester_is_student else employer_name,
            "counterpart": employer_name if requester_is_student else student_name}
    if event == "termination_requested":
        to = rules.other_party(termination.initiated_by.value)
    elif event in ("termination_agreed", "termination_disagreed"):
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
