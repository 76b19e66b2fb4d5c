"""Bringing agreements to the states a reviewer meets, through the services as users would."""
from __future__ import annotations

from app.services import invitations, responses, reviews, terminations


def invite(world, student=None, employer_user=None) -> int:
    result = invitations.send_invitations(world.actor(employer_user or world.hr),
                                          [(student or world.student).id], world.terms())[0]
    assert result.ok, result
    return result.invitation_id


def accepted(world, student=None, employer_user=None) -> int:
    """An invitation the student accepted: in college review (two levels)."""
    student = student or world.student
    invitation_id = invite(world, student, employer_user)
    account = {world.student.id: world.student_account, world.student2.id: world.student2_account}[student.id]
    responses.accept_invitation(world.actor(account), invitation_id, 1, True)
    return invitation_id


def college_approved(world, **kw) -> int:
    invitation_id = accepted(world, **kw)
    reviews.approve_signing(world.actor(world.college_reviewer), invitation_id)
    return invitation_id


def effective(world, **kw) -> int:
    invitation_id = college_approved(world, **kw)
    reviews.approve_signing(world.actor(world.school_reviewer), invitation_id)
    return invitation_id


def termination_in_college_review(world) -> tuple[int, int]:
    """(invitation id, termination id): the employer asked, the student agreed."""
    invitation_id = effective(world)
    termination = terminations.request_termination(world.actor(world.hr), invitation_id, "单位业务调整", True)
    terminations.answer_termination(world.actor(world.student_account), termination.id, True, True)
    return invitation_id, termination.id
