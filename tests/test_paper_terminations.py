"""解约 of a paper agreement (seed 002 §2.4): only the student asks, with a type, a reason and a
stamped proof (JPG/PNG ≤ 2 MB); the college and the school review it; approval frees the student."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from app.domain.errors import Conflict, InvalidInput, NotFound
from app.models import ActiveDestination, FlowEntry, PaperAgreement, PaperTermination
from app.services import paper_agreements as papers
from app.services import uploads
from tests import paper_helpers as ph

REQUEST = papers.TerminationRequest("employer", "单位岗位撤销", True)


@pytest.fixture(autouse=True)
def upload_dir(app, tmp_path, monkeypatch):
    monkeypatch.setitem(app.config, "UPLOAD_DIR", str(tmp_path / "uploads"))


def proof():
    return ph.upload(ph.png_bytes(), "解约证明.png", "image/png")


def ask(world, paper_id, request=REQUEST, file=None):
    return papers.request_termination(world.actor(world.student_account), paper_id, request, file or proof())


def test_the_student_asks_and_the_school_approves_the_student_is_free(world, db_session):
    paper_id = ph.effective(world)
    termination = ask(world, paper_id)
    assert termination.state.value == "college_review" and termination.type == "employer"
    assert uploads.path_of(termination.proof_key).is_file()
    with pytest.raises(Conflict) as twice:
        ask(world, paper_id)
    assert twice.value.code == "TERMINATION_IN_FLIGHT"
    papers.approve_termination(world.actor(world.college_reviewer), termination.id)
    done = papers.approve_termination(world.actor(world.school_reviewer), termination.id)
    assert done.state.value == "approved" and done.in_flight_agreement_id is None
    db_session.expire_all()
    assert db_session.get(PaperAgreement, paper_id).state.value == "terminated"
    assert db_session.get(ActiveDestination, world.student.id) is None
    fresh = papers.create_draft(world.actor(world.student_account), ph.content())  # may sign again
    assert fresh.state.value == "draft"
    actions = db_session.scalars(select(FlowEntry.action).where(
        FlowEntry.subject_type == "paper_agreement", FlowEntry.subject_id == paper_id)
        .order_by(FlowEntry.seq)).all()
    assert actions[-4:] == ["paper_termination_request", "paper_termination_college_approve",
                            "paper_termination_school_approve", "paper_terminate"]


def test_a_rejected_termination_leaves_the_agreement_effective(world, db_session):
    paper_id = ph.effective(world)
    termination = ask(world, paper_id)
    with pytest.raises(InvalidInput):
        papers.reject_termination(world.actor(world.college_reviewer), termination.id, "")
    papers.reject_termination(world.actor(world.college_reviewer), termination.id, "证明未盖章")
    db_session.expire_all()
    assert db_session.get(PaperTermination, termination.id).remark == "证明未盖章"
    assert db_session.get(PaperAgreement, paper_id).state.value == "effective"
    assert ask(world, paper_id).state.value == "college_review"  # may ask again


def test_only_an_effective_agreement_may_be_terminated(world, db_session):
    paper_id = ph.numbered(world)
    with pytest.raises(Conflict) as refused:
        ask(world, paper_id)
    assert refused.value.code == "NOT_EFFECTIVE"


@pytest.mark.parametrize("request_, field", [
    (papers.TerminationRequest("whatever", "原因", True), "type"),
    (papers.TerminationRequest("mutual", " ", True), "reason"),
    (papers.TerminationRequest("mutual", "长" * 201, True), "reason"),
])
def test_the_request_is_checked(world, db_session, request_, field):
    paper_id = ph.effective(world)
    with pytest.raises(InvalidInput) as refused:
        ask(world, paper_id, request_)
    assert field in refused.value.fields


def test_the_proof_must_be_a_real_small_image(world, db_session):
    paper_id = ph.effective(world)
    with pytest.raises(uploads.UnsupportedUpload):
        ask(world, paper_id, file=ph.upload(b"%PDF-1.7 pretending", "proof.png"))
    with pytest.raises(uploads.UploadTooLarge):
        ask(world, paper_id, file=ph.upload(b"\xff\xd8\xff" + b"\0" * (2 * 1024 * 1024), "proof.jpg"))
    with pytest.raises(InvalidInput) as unacknowledged:
        ask(world, paper_id, papers.TerminationRequest("mutual", "原因", False))
    assert unacknowledged.value.code == "ACKNOWLEDGEMENT_REQUIRED"
    assert db_session.scalar(select(PaperTermination.id)) is None


def test_other_reviewers_do_not_reach_it(world, db_session):
    termination = ask(world, ph.effective(world))
    for account in (world.other_college_reviewer, world.other_school_reviewer):
        with pytest.raises(NotFound):
            papers.approve_termination(world.actor(account), termination.id)


def test_the_schools_termination_limit_counts_paper_terminations(world, db_session):
    """With a limit of 1, a completed paper termination uses it up — for paper and online alike."""
    from app.services import terminations

    world.school.termination_limit = 1
    db_session.flush()
    first = ph.effective(world)
    termination = ask(world, first)
    papers.approve_termination(world.actor(world.college_reviewer), termination.id)
    papers.approve_termination(world.actor(world.school_reviewer), termination.id)
    second = ph.effective(world)
    with pytest.raises(Conflict) as refused:
        ask(world, second)
    assert refused.value.code == "TERMINATION_LIMIT_REACHED"
    assert terminations.completed_terminations(world.student.id, world.school) == 1
