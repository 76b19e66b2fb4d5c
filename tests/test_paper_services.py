"""线下签约 services (issue 13): draft, generation, the two reviews, the stamped scan matched by
its QR code, the one-destination rule, notifications and the flow log."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from app.domain.errors import Conflict, Forbidden, InvalidInput, NotFound
from app.models import (
    ActiveDestination,
    DestinationKind,
    FlowEntry,
    Notification,
    PaperAgreement,
    PaperScan,
    ReviewLevels,
)
from app.services import paper_agreements as papers
from app.services import responses, uploads
from app.services.flow import verify_flow_log
from tests import paper_helpers as ph
from tests.review_helpers import invite


@pytest.fixture(autouse=True)
def upload_dir(app, tmp_path, monkeypatch):
    monkeypatch.setitem(app.config, "UPLOAD_DIR", str(tmp_path / "uploads"))
    return tmp_path / "uploads"


def state(db_session, paper_id: int) -> str:
    db_session.expire_all()
    return db_session.get(PaperAgreement, paper_id).state.value


def test_a_draft_is_saved_as_entered_and_resumed(world, db_session):
    """Can the student save any subset (暂不提交), change it later, and is it not yet a destination?"""
    actor = world.actor(world.student_account)
    draft = papers.create_draft(actor, {"employer": {"name": "长沙某公司"}})
    assert draft.state.value == "draft" and draft.employer_name == "长沙某公司"
    papers.update_draft(actor, draft.id, ph.content())
    db_session.expire_all()
    resumed = papers.load(actor, draft.id)
    assert resumed.content["terms"]["position"] == "机械设计工程师" and resumed.position == "机械设计工程师"
    assert db_session.get(ActiveDestination, world.student.id) is None
    assert [p.id for p in papers.my_agreements(actor)] == [draft.id]


def test_one_paper_agreement_at_a_time(world, db_session):
    actor = world.actor(world.student_account)
    papers.create_draft(actor, {})
    with pytest.raises(Conflict) as refused:
        papers.create_draft(actor, {})
    assert refused.value.code == "PAPER_IN_PROGRESS"


def test_generation_needs_the_double_confirmation_and_a_complete_agreement(world, db_session):
    actor = world.actor(world.student_account)
    draft = papers.create_draft(actor, {"employer": {"name": "长沙某公司"}})
    with pytest.raises(InvalidInput) as unconfirmed:
        papers.generate(actor, draft.id, False)
    assert unconfirmed.value.code == "CONFIRMATION_REQUIRED"
    with pytest.raises(InvalidInput) as incomplete:
        papers.generate(actor, draft.id, True)
    assert "employer.credit_code" in incomplete.value.fields and "terms" in incomplete.value.fields
    papers.update_draft(actor, draft.id, ph.content(industry_code="ZZ"))
    with pytest.raises(InvalidInput) as unknown:
        papers.generate(actor, draft.id, True)
    assert unknown.value.fields == {"employer.industry_code": "单位行业代码不存在"}
    assert state(db_session, draft.id) == "draft"


def test_generation_takes_the_destination_and_cannot_be_undone(world, db_session):
    """Generated: first review at the college, the destination held, no edits, no second one."""
    paper_id = ph.generated(world)
    assert state(db_session, paper_id) == "college_review"
    lock = db_session.get(ActiveDestination, world.student.id)
    assert lock.kind == DestinationKind.PAPER and lock.invitation_id is None
    actor = world.actor(world.student_account)
    with pytest.raises(Conflict) as edit:
        papers.update_draft(actor, paper_id, ph.content())
    assert edit.value.code == "INVALID_STATE"
    with pytest.raises(Conflict):
        papers.create_draft(actor, {})


def test_a_student_with_an_online_agreement_cannot_generate(world, db_session):
    inv_id = invite(world)
    actor = world.actor(world.student_account)
    draft = papers.create_draft(actor, ph.content())
    responses.accept_invitation(actor, inv_id, 1, True)
    with pytest.raises(Conflict) as refused:
        papers.generate(actor, draft.id, True)
    assert refused.value.code == "ALREADY_SIGNED"
    assert state(db_session, draft.id) == "draft"


def test_an_online_invitation_cannot_be_accepted_over_a_generated_paper_agreement(world, db_session):
    inv_id = invite(world)
    ph.generated(world)
    with pytest.raises(Conflict) as refused:
        responses.accept_invitation(world.actor(world.student_account), inv_id, 1, True)
    assert refused.value.code == "ALREADY_SIGNED"


def test_first_review_numbers_the_agreement_with_kind_2(world, db_session):
    """College then school approve: 待反馈, numbered 2<cohort><school code><seq>."""
    paper_id = ph.generated(world)
    papers.approve(world.actor(world.college_reviewer), paper_id)
    assert state(db_session, paper_id) == "school_review"
    paper = papers.approve(world.actor(world.school_reviewer), paper_id)
    assert paper.state.value == "awaiting_feedback"
    assert paper.agreement_no == f"2{world.student.cohort}{world.school.code}000001"
    second = ph.numbered(world, world.student2_account)
    assert db_session.get(PaperAgreement, second).agreement_no.endswith("000002")


def test_a_rejected_first_review_fails_and_frees_the_student(world, db_session):
    paper_id = ph.generated(world)
    reviewer = world.actor(world.college_reviewer)
    with pytest.raises(InvalidInput):
        papers.reject(reviewer, paper_id, " ")
    papers.reject(reviewer, paper_id, "单位名称与营业执照不一致")
    db_session.expire_all()
    paper = db_session.get(PaperAgreement, paper_id)
    assert paper.state.value == "failed" and paper.last_remark == "单位名称与营业执照不一致"
    assert paper.agreement_no is None and db_session.get(ActiveDestination, world.student.id) is None
    fresh = papers.create_draft(world.actor(world.student_account), ph.content())  # a new one may start
    assert fresh.state.value == "draft"
    notice = db_session.scalar(select(Notification).where(Notification.event == "paper_rejected"))
    assert "单位名称与营业执照不一致" in notice.body


def test_one_review_level_goes_straight_to_the_school(world, db_session):
    world.school.review_levels = ReviewLevels.SCHOOL
    db_session.flush()
    paper_id = ph.generated(world)
    assert state(db_session, paper_id) == "school_review"
    with pytest.raises(Forbidden):
        papers.approve(world.actor(world.college_reviewer), paper_id)


def test_the_stamped_scan_goes_to_the_signing_review_and_then_effect(world, db_session):
    paper_id = ph.numbered(world)
    actor = world.actor(world.student_account)
    scan = papers.submit_scan(actor, paper_id, ph.scan_upload(paper_id))
    assert scan.match == "match" and db_session.get(PaperAgreement, paper_id).agreement_no in scan.found_refs
    assert uploads.path_of(scan.storage_key).is_file()
    assert state(db_session, paper_id) == "college_verify"
    papers.approve(world.actor(world.college_reviewer), paper_id)
    paper = papers.approve(world.actor(world.school_reviewer), paper_id)
    assert paper.state.value == "effective" and paper.effective_at is not None
    assert db_session.get(ActiveDestination, world.student.id).kind == DestinationKind.PAPER


def test_a_rejected_scan_goes_back_to_awaiting_feedback_with_the_reason(world, db_session):
    paper_id = ph.numbered(world)
    actor = world.actor(world.student_account)
    papers.submit_scan(actor, paper_id, ph.scan_upload(paper_id))
    papers.reject(world.actor(world.college_reviewer), paper_id, "单位公章不清晰")
    db_session.expire_all()
    paper = db_session.get(PaperAgreement, paper_id)
    assert paper.state.value == "awaiting_feedback" and paper.last_remark == "单位公章不清晰"
    papers.submit_scan(actor, paper_id, ph.scan_upload(paper_id))  # uploaded again
    assert state(db_session, paper_id) == "college_verify"
    scans = db_session.scalars(select(PaperScan).where(PaperScan.paper_agreement_id == paper_id)).all()
    assert len(scans) == 2


def test_a_scan_of_another_agreement_or_without_a_code_is_refused_and_not_stored(world, db_session,
                                                                                upload_dir):
    mine = ph.numbered(world)
    other = ph.numbered(world, world.student2_account)
    actor = world.actor(world.student_account)
    with pytest.raises(InvalidInput) as another:
        papers.submit_scan(actor, mine, ph.scan_upload(other))
    assert another.value.code == "SCAN_OF_ANOTHER_AGREEMENT" and "另一份协议书" in another.value.message
    with pytest.raises(InvalidInput) as blank:
        papers.submit_scan(actor, mine, ph.upload(ph.png_bytes(), "blank.png"))
    assert blank.value.code == "SCAN_WITHOUT_CODE"
    assert state(db_session, mine) == "awaiting_feedback"
    assert db_session.scalar(select(PaperScan.id)) is None
    assert not list(upload_dir.glob("*.jpg")) + list(upload_dir.glob("*.png"))


@pytest.mark.parametrize("data, kind", [
    (b"not an image, named .png", uploads.UnsupportedUpload),
    (b"%PDF-1.7\n" + b"0" * 200, uploads.UnsupportedUpload),
    (b"\xff\xd8\xff\xe0" + b"\0" * 100, uploads.UnsupportedUpload),  # a truncated JPEG
    (b"\x89PNG\r\n\x1a\n" + b"\0" * (2 * 1024 * 1024), uploads.UploadTooLarge),
])
def test_bad_files_are_refused_before_anything_changes(world, db_session, data, kind):
    paper_id = ph.numbered(world)
    with pytest.raises(kind):
        papers.submit_scan(world.actor(world.student_account), paper_id, ph.upload(data, "x.png"))
    assert state(db_session, paper_id) == "awaiting_feedback"


def test_a_scan_is_accepted_only_while_awaiting_feedback(world, db_session):
    paper_id = ph.generated(world)
    with pytest.raises(Conflict) as refused:
        papers.submit_scan(world.actor(world.student_account), paper_id, ph.upload(ph.png_bytes()))
    assert refused.value.code == "INVALID_STATE"


def test_reviewers_of_another_college_or_school_do_not_see_it(world, db_session):
    paper_id = ph.generated(world)
    for account in (world.other_college_reviewer, world.other_school_reviewer, world.student2_account,
                    world.hr):
        with pytest.raises(NotFound):
            papers.approve(world.actor(account), paper_id)


def test_every_step_is_on_the_flow_log_and_notified(world, db_session):
    paper_id = ph.effective(world)
    actions = db_session.scalars(select(FlowEntry.action).where(
        FlowEntry.subject_type == "paper_agreement", FlowEntry.subject_id == paper_id)
        .order_by(FlowEntry.seq)).all()
    assert actions == ["paper_create", "paper_generate", "paper_college_approve", "paper_school_approve",
                       "paper_submit_scan", "paper_college_verify", "paper_school_verify"]
    events = db_session.scalars(select(Notification.event).where(
        Notification.subject_type == "paper_agreement").order_by(Notification.id)).all()
    assert events == ["paper_generated", "paper_college_approved", "paper_approved", "paper_scan_submitted",
                      "paper_college_verified", "paper_effective"]
    assert verify_flow_log()[1] == []


def test_a_mistyped_credit_code_is_caught_before_generation(world, db_session):
    actor = world.actor(world.student_account)
    draft = papers.create_draft(actor, ph.content(credit_code="91430100MA4L16JQ9B"))
    with pytest.raises(InvalidInput) as refused:
        papers.generate(actor, draft.id, True)
    assert refused.value.fields == {"employer.credit_code": "统一社会信用代码校验位错误"}
