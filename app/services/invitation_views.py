"""Invitation and agreement views for each audience, with PII masked by default.

They format what app/services/signing_reads.py loaded for the page (names and positions come
with the rows): a serializer never triggers a query of its own.
"""
from __future__ import annotations

from typing import Any

from app.clock import iso_china, utcnow
from app.domain import signing as rules
from app.domain.actors import Actor
from app.domain.flow_labels import ACTION_LABELS, state_label
from app.models import FlowEntry, Invitation, InvitationRevision
from app.pii import mask_id_number, mask_phone
from app.services.dictionaries import cached_names
from app.services.signing_reads import Detail, Row


def display_state(invitation: Invitation, now=None) -> str:
    """An unanswered letter past its deadline reads as expired even before the sweep runs."""
    if rules.is_overdue(invitation.state.value, invitation.deadline_at, now or utcnow()):
        return rules.EXPIRED
    return invitation.state.value


def invitation_summary(row: Row) -> dict[str, Any]:
    """row.signed_elsewhere: the student holds a destination other than this agreement."""
    invitation = row.invitation
    state = display_state(invitation)
    return {
        "id": invitation.id,
        "state": state,
        "state_label": rules.STATE_LABELS[state],
        "employer_name": row.employer_name,
        "student_name": row.student_name,
        "position": row.position,
        "invited_at": iso_china(invitation.created_at),
        "deadline_date": f"{rules.deadline_display_date(invitation.deadline_at):%Y-%m-%d}",
        "agreement_no": invitation.agreement_no,
        "revision": invitation.current_revision_no,
        "revision_pending": invitation.pending_revision_no is not None,
        "signed_elsewhere": row.signed_elsewhere,
    }


def student_view(student, viewer: Actor) -> dict[str, Any]:
    """乙方: full ID and phone for the student and reviewers of the student's school only."""
    full = (viewer.role == "student" and viewer.student_id == student.id) or (
        viewer.role in ("college_reviewer", "school_reviewer") and viewer.school_id == student.school_id)
    return {
        "id": student.id, "name": student.name, "student_no": student.student_no,
        "school": student.school.name, "college": student.college.name, "major": student.major.name,
        "education_level": student.education_level.value,
        "education_level_label": rules.EDUCATION_LABELS[student.education_level.value],
        "cohort": student.cohort,
        "id_number": student.id_number if full else mask_id_number(student.id_number),
        "phone": student.phone if full else mask_phone(student.phone),
    }


def flow_view(entries: list[FlowEntry]) -> list[dict[str, Any]]:
    return [{"at": iso_china(e.created_at), "actor": e.actor_name, "action": e.action,
             "action_label": ACTION_LABELS.get(e.action, e.action),
             "state": e.to_state, "state_label": state_label(e.action, e.to_state),
             "remark": e.remark} for e in entries]


_LABEL_KINDS = ("job_category", "region", "unit_nature", "industry")


def code_labels(revision: InvitationRevision) -> dict[str, str]:
    """Names for the dictionary codes in the letter, so no client needs the dictionaries."""
    employer = revision.employer_snapshot
    wanted = {
        "job_category": ("job_category", revision.terms.get("job_category_code")),
        "work_region": ("region", revision.terms.get("work_region_code")),
        "employer_nature": ("unit_nature", employer.get("nature_code")),
        "employer_industry": ("industry", employer.get("industry_code")),
        "employer_region": ("region", employer.get("region_code")),
    }
    names = cached_names(_LABEL_KINDS)
    return {key: names[pair] for key, pair in wanted.items() if pair in names}


def invitation_detail(detail: Detail, viewer: Actor) -> dict[str, Any]:
    """The letter with its terms, both parties and the flow log; beside a modification awaiting
    the student, the terms already agreed (accepted_terms); allowed_actions: what the viewer may
    do now (clients show exactly these buttons)."""
    invitation, revision, accepted = detail.invitation, detail.revision, detail.accepted
    row = Row(invitation, invitation.employer.name, invitation.student.name, revision.terms["position"],
              detail.signed_elsewhere)
    return {
        **invitation_summary(row),
        "allowed_actions": detail.allowed_actions,
        "letter": rules.letter_opening(invitation.student.name, revision.terms["position"],
                                       invitation.deadline_at),
        "terms": revision.terms,
        "employer": revision.employer_snapshot,
        "student": student_view(invitation.student, viewer),
        "signing_notice": rules.SIGNING_NOTICE,
        "confirmation_text": rules.CONFIRMATION_TEXT,
        "labels": code_labels(revision),
        "accepted_revision": invitation.accepted_revision_no,
        "accepted_terms": accepted.terms if accepted is not None else None,
        "last_remark": invitation.last_remark,
        "flow": flow_view(detail.flow),
    }
