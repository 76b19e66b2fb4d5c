"""Gather what an agreement document says from the database (app.domain.agreement_document).

Online agreements: the accepted revision's terms and employer snapshot, the student's record,
the dictionary names, and the dated steps of the flow log (invitation, acceptance, the college's
and the school's approval). The 解约函 adds its termination's request, the other party's consent
and the reviews, read from the agreement's own flow log where they are written.
"""
from __future__ import annotations

import dataclasses

from sqlalchemy import select

from app.domain import agreement_document as doc
from app.domain import signing as srules
from app.domain.flow_labels import ACTION_LABELS
from app.extensions import db
from app.models import College, Employer, FlowEntry, Invitation, InvitationRevision, School, Termination
from app.pii import mask_id_number, mask_phone
from app.services.dictionaries import names_of

# The steps an agreement prints, latest of each (a withdrawn and re-given approval counts once).
AGREEMENT_STEPS = (("invite", "甲方发出邀约"), ("accept", "乙方同意签约"),
                   ("college_approve", "学院审核通过"), ("school_approve", "学校审核通过"))
ALIASES = {"accept_revision": "accept"}  # agreeing to a modification is agreeing to sign


def accepted_revision_of(invitation: Invitation) -> InvitationRevision:
    number = invitation.accepted_revision_no or invitation.current_revision_no
    return db.session.scalar(select(InvitationRevision).where(
        InvitationRevision.invitation_id == invitation.id, InvitationRevision.number == number))


def _flow(invitation_id: int) -> list[FlowEntry]:
    return list(db.session.scalars(select(FlowEntry).where(
        FlowEntry.subject_type == "invitation", FlowEntry.subject_id == invitation_id)
        .order_by(FlowEntry.seq)))


def _state_at(invitation: Invitation, flow: list[FlowEntry]):
    state = invitation.state.value
    if state == srules.EFFECTIVE:
        return invitation.effective_at
    if state in srules.CLOSED_STATES:
        return invitation.closed_at
    return flow[-1].created_at if flow else invitation.updated_at


def online_facts(invitation: Invitation, flow: list[FlowEntry] | None = None) -> doc.AgreementFacts:
    """The facts of an online agreement (numbered: approved by the school at least once)."""
    flow = _flow(invitation.id) if flow is None else flow
    revision = accepted_revision_of(invitation)
    student = invitation.student
    school = db.session.get(School, invitation.school_id)
    college = db.session.get(College, invitation.college_id)
    employer_snapshot = dict(revision.employer_snapshot)
    labels = names_of({
        "job_category": ("job_category", revision.terms.get("job_category_code")),
        "work_region": ("region", revision.terms.get("work_region_code")),
        "employer_nature": ("unit_nature", employer_snapshot.get("nature_code")),
        "employer_industry": ("industry", employer_snapshot.get("industry_code")),
    })
    by = {"invite": employer_snapshot.get("name") or "甲方", "accept": student.name,
          "college_approve": college.name, "school_approve": school.name}
    latest: dict[str, FlowEntry] = {}
    for entry in flow:
        action = ALIASES.get(entry.action, entry.action)
        if action in by:
            latest[action] = entry
    steps = tuple(doc.ReviewStep(label, by[action], latest[action].created_at)
                  for action, label in AGREEMENT_STEPS if action in latest)
    return doc.AgreementFacts(
        kind=doc.ONLINE, number=invitation.agreement_no, ref=invitation.agreement_no or "",
        state=invitation.state.value, state_at=_state_at(invitation, flow),
        employer=employer_snapshot, labels=labels,
        student={"name": student.name, "gender": student.gender.value, "id_number": student.id_number,
                 "phone": student.phone, "major": student.major.name, "student_no": student.student_no,
                 "education": srules.EDUCATION_LABELS.get(student.education_level.value,
                                                          student.education_level.value),
                 "cohort": student.cohort},
        student_digests={"id_number": student.id_number_hash, "phone": student.phone_hash or ""},
        terms=dict(revision.terms), revision=revision.number, school_name=school.name,
        college_name=college.name, steps=steps, signing_notice=srules.SIGNING_NOTICE)


def masked(facts: doc.AgreementFacts) -> doc.AgreementFacts:
    """The employer's copy: the student's ID number and phone masked (SPEC §12)."""
    student = {**facts.student, "id_number": mask_id_number(facts.student.get("id_number")),
               "phone": mask_phone(facts.student.get("phone"))}
    return dataclasses.replace(facts, student=student)


def termination_facts(termination: Termination) -> doc.TerminationFacts:
    """The 解约函: the agreement, then its termination's steps from the agreement's flow log."""
    invitation = termination.invitation
    flow = _flow(invitation.id)
    agreement = online_facts(invitation, flow)
    employer = db.session.get(Employer, termination.employer_id)
    names = {"student": invitation.student.name, "employer_user": employer.name,
             "college_reviewer": agreement.college_name, "school_reviewer": agreement.school_name}
    # This termination's entries: from its request (the last one at or before its approval) on.
    approval = next((e for e in reversed(flow) if e.action == "termination_school_approve"
                     and e.created_at >= termination.created_at.replace(microsecond=0)), None)
    end = approval.seq if approval else flow[-1].seq
    start = max((e.seq for e in flow if e.action == "termination_request" and e.seq <= end), default=1)
    timeline = tuple(doc.ReviewStep(ACTION_LABELS.get(e.action, e.action),
                                    names.get(e.actor_role, e.actor_name), e.created_at)
                     for e in flow if start <= e.seq <= end and e.action.startswith("termination_"))
    return doc.TerminationFacts(
        agreement=agreement, initiated_by=termination.initiated_by.value, reason=termination.reason,
        requested_at=termination.created_at.replace(microsecond=0),
        approved_at=(approval.created_at if approval else termination.closed_at or termination.updated_at),
        timeline=timeline)
