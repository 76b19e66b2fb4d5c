"""The read side of signing for the mini-program's hot screens: each page in a fixed, small
number of queries, whatever the number of rows (no N+1), loading only the columns shown.

- a list page: the invitations, then one query for their employers' and students' names and
  the positions of their current revisions;
- a detail: the invitation with its employer and student (school, college, major names), its
  revision(s) and its flow log;
- a home screen: the counts in one aggregate over the invitations, the unread inbox count on
  its own index.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import DateTime, Select, bindparam, case, func, select, tuple_
from sqlalchemy.orm import joinedload, raiseload

from app.clock import utcnow
from app.domain import signing as rules
from app.domain import workbench
from app.domain.actors import Actor
from app.domain.errors import NotFound
from app.extensions import db
from app.models import (
    ActiveDestination,
    College,
    Employer,
    FlowEntry,
    Invitation,
    InvitationRevision,
    Major,
    Notification,
    Party,
    RecipientType,
    School,
    Student,
    Termination,
    TerminationState,
)
from app.services.signing_flow import allowed_actions, destinations_of, signed_elsewhere
from app.services.terminations import may_request


@dataclass
class Row:
    """One line of a list: the invitation and the names shown beside it."""
    invitation: Invitation
    employer_name: str
    student_name: str
    position: str
    signed_elsewhere: bool = False  # the student holds a destination other than this one


def _names_and_positions(invitations: list[Invitation]) -> list[Row]:
    """Employer and student names, current positions and the students' destinations of a page,
    in one query."""
    if not invitations:
        return []
    position = InvitationRevision.terms["position"].as_string()
    rows = db.session.execute(
        select(InvitationRevision.invitation_id, Employer.name, Student.name, position,
               ActiveDestination.student_id, ActiveDestination.invitation_id)
        .join(Invitation, Invitation.id == InvitationRevision.invitation_id)
        .join(Employer, Employer.id == Invitation.employer_id)
        .join(Student, Student.id == Invitation.student_id)
        .outerjoin(ActiveDestination, ActiveDestination.student_id == Invitation.student_id)
        .where(tuple_(InvitationRevision.invitation_id, InvitationRevision.number).in_(
            [(i.id, i.current_revision_no) for i in invitations]))).all()
    found = {r[0]: r[1:] for r in rows}
    return [Row(i, employer, student, pos, held_by is not None and held != i.id)
            for i in invitations if i.id in found
            for employer, student, pos, held_by, held in [found[i.id]]]


def _page(query: Select, cursor_id: int | None, limit: int) -> tuple[list[Invitation], bool]:
    if cursor_id is not None:
        query = query.where(Invitation.id < cursor_id)
    items = list(db.session.scalars(query.order_by(Invitation.id.desc()).limit(limit + 1)))
    return items[:limit], len(items) > limit


def list_page(query: Select, cursor_id: int | None, limit: int) -> tuple[list[Row], bool]:
    """A page of ``query`` (selecting Invitation) newest first, with names: two queries."""
    items, more = _page(query, cursor_id, limit)
    return _names_and_positions(items), more


def open_condition(now: datetime):
    """Waiting for the student: an unanswered letter before its deadline, or a modification."""
    return rules.open_letter_condition(Invitation, now) | Invitation.pending_revision_no.is_not(None)


def student_invitations(actor: Actor, status: str, employer_name: str | None = None) -> Select:
    """The student's letters: open (waiting for an answer), done, or all; employer_name matches
    a part of the employer's name."""
    stmt = select(Invitation).where(Invitation.student_id == actor.student_id)
    waiting = open_condition(utcnow())
    if status == "open":
        stmt = stmt.where(waiting)
    elif status == "done":
        stmt = stmt.where(~waiting)
    if employer_name:
        pattern = employer_name.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        stmt = stmt.where(Invitation.employer_id.in_(select(Employer.id).where(
            Employer.name.like(f"%{pattern}%", escape="\\"))))
    return stmt


# -- detail -----------------------------------------------------------------------------------


@dataclass
class Detail:
    invitation: Invitation
    revision: InvitationRevision
    accepted: InvitationRevision | None
    flow: list[FlowEntry]
    allowed_actions: list[str]
    signed_elsewhere: bool


def invitation_detail(actor: Actor, invitation_id: int) -> Detail:
    """The invitation if the actor may see it (404 otherwise), with everything its page shows:
    three queries (the invitation with its parties, the revisions needed, the flow log)."""
    invitation = db.session.scalar(
        select(Invitation).where(Invitation.id == invitation_id).options(
            joinedload(Invitation.employer).load_only(Employer.name),
            joinedload(Invitation.student).options(
                joinedload(Student.school).load_only(School.name),
                joinedload(Student.college).load_only(College.name),
                joinedload(Student.major).load_only(Major.name)),
            raiseload(Invitation.revisions)))
    scope = None if invitation is None else rules.InvitationScope(
        invitation.student_id, invitation.employer_id, invitation.school_id, invitation.college_id)
    if invitation is None or not rules.owns(actor, scope):
        raise NotFound("INVITATION_NOT_FOUND", "邀约不存在或无权查看")
    numbers = {invitation.current_revision_no}
    wants_accepted = invitation.pending_revision_no is not None and invitation.accepted_revision_no is not None
    if wants_accepted:
        numbers.add(invitation.accepted_revision_no)
    revisions = {r.number: r for r in db.session.scalars(select(InvitationRevision).where(
        InvitationRevision.invitation_id == invitation.id, InvitationRevision.number.in_(numbers)))}
    flow = list(db.session.scalars(select(FlowEntry).where(
        FlowEntry.subject_type == "invitation", FlowEntry.subject_id == invitation.id)
        .order_by(FlowEntry.seq)))
    destinations = destinations_of({invitation.student_id})
    allowed = allowed_actions(invitation, actor) + (
        ["request_termination"] if may_request(invitation, actor) else [])
    return Detail(invitation, revisions[invitation.current_revision_no],
                  revisions.get(invitation.accepted_revision_no) if wants_accepted else None, flow,
                  allowed, signed_elsewhere(invitation, destinations))


# -- home screens -----------------------------------------------------------------------------


def unread_count(recipient_type: RecipientType, recipient_id: int) -> int:
    """On ix_notifications_unread (recipient, read_at): only the unread rows are touched."""
    return db.session.scalar(select(func.count()).select_from(Notification).where(
        Notification.recipient_type == recipient_type, Notification.recipient_id == recipient_id,
        Notification.read_at.is_(None)))


@dataclass
class StudentHome:
    student: Student
    active: ActiveDestination | None  # the one active destination (online, paper or other)
    destination: Row | None
    open_invitations: int
    pending_revisions: int
    waiting_terminations: list[tuple[Termination, str]]  # (termination, employer name)
    unread: int


def student_home(actor: Actor) -> StudentHome:
    """Five queries: the student with school/college/major names, the counts, the destination,
    the employers' termination requests, the unread count."""
    student = db.session.scalar(select(Student).where(Student.id == actor.student_id).options(
        joinedload(Student.school).load_only(School.name),
        joinedload(Student.college).load_only(College.name),
        joinedload(Student.major).load_only(Major.name)))
    now = utcnow()
    open_count, pending = db.session.execute(select(
        func.coalesce(func.sum(case((rules.open_letter_condition(Invitation, now), 1), else_=0)), 0),
        func.coalesce(func.sum(case((Invitation.pending_revision_no.is_not(None), 1), else_=0)), 0))
        .where(Invitation.student_id == actor.student_id)).one()
    active, held = db.session.execute(select(ActiveDestination, Invitation).outerjoin(
        Invitation, Invitation.id == ActiveDestination.invitation_id).where(
        ActiveDestination.student_id == actor.student_id)).first() or (None, None)
    rows = _names_and_positions([held] if held is not None else [])
    waiting = db.session.execute(select(Termination, Employer.name).join(
        Employer, Employer.id == Termination.employer_id).where(
        Termination.student_id == actor.student_id, Termination.initiated_by == Party.EMPLOYER,
        Termination.state == TerminationState.AWAITING_PARTY).order_by(Termination.id)).all()
    return StudentHome(student, active, rows[0] if rows else None, int(open_count), int(pending),
                       [(t, name) for t, name in waiting],
                       unread_count(RecipientType.STUDENT, actor.student_id))


def employer_waiting_terminations(actor: Actor, limit: int = 20) -> list[tuple[Termination, str]]:
    """Students' termination requests waiting for this employer, with each student's name."""
    return [(t, name) for t, name in db.session.execute(
        select(Termination, Student.name).join(Student, Student.id == Termination.student_id).where(
            Termination.employer_id == actor.employer_id, Termination.initiated_by == Party.STUDENT,
            Termination.state == TerminationState.AWAITING_PARTY).order_by(Termination.id).limit(limit))]


def _workbench_counts_statement() -> Select:
    """Built once per process: one grouped count, ``now`` and the scope as bound parameters."""
    now = bindparam("now", type_=DateTime())
    label = case(*[(workbench.group_condition(g, Invitation, now), g) for g in workbench.GROUPS],
                 else_="other").label("grp")
    return (select(label, func.count()).where(Invitation.employer_id == bindparam("employer_id"))
            .group_by(label))


_WORKBENCH = {}


def workbench_counts(actor: Actor, cohort: int | None) -> dict[str, int]:
    """Agreements per workbench group (one query on ix_invitations_workbench)."""
    key = cohort is not None
    stmt = _WORKBENCH.get(key)
    if stmt is None:
        stmt = _workbench_counts_statement()
        if key:
            stmt = stmt.where(Invitation.cohort == bindparam("cohort"))
        _WORKBENCH[key] = stmt
    params: dict[str, Any] = {"now": utcnow(), "employer_id": actor.employer_id}
    if key:
        params["cohort"] = cohort
    counts = dict(db.session.execute(stmt, params).all())
    return {group: counts.get(group, 0) for group in workbench.GROUPS}
