"""其他去向: the categories' forms, every state and guard of the registration, the one-destination
rule against online agreements, cancellation, notifications and the flow log (SPEC §3, §7)."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from app.domain import destinations as rules
from app.domain.errors import Conflict, Forbidden, InvalidInput, NotFound
from app.models import (
    ActiveDestination,
    DestinationKind,
    FlowEntry,
    Notification,
    OtherDestination,
    ReviewLevels,
)
from app.services import destinations, responses
from app.services.destinations import Registration
from app.services.uploads import UploadRejected
from tests import review_helpers
from tests.destination_helpers import approved, archive, awaiting_work, further_study, png, submitted


@pytest.fixture(autouse=True)
def upload_dir(app, tmp_path, monkeypatch):
    monkeypatch.setitem(app.config, "UPLOAD_DIR", str(tmp_path / "uploads"))


def _state(db_session, destination_id: int) -> str:
    db_session.expire_all()
    return db_session.get(OtherDestination, destination_id).state.value


def _lock(db_session, student_id: int):
    db_session.expire_all()
    return db_session.get(ActiveDestination, student_id)


# -- the forms -------------------------------------------------------------------------------------------

def test_categories_come_from_the_dictionary_with_children_and_evidence(dicts):
    specs = destinations.category_specs()
    top = [s.code for s in destinations.selectable_categories()]
    assert "10" not in top  # 签就业协议 is what agreements record, never chosen here
    assert {"11", "12", "27", "46", "50", "51", "75", "76", "80", "85", "70", "71", "72"} <= set(top)
    assert specs["80"].children == ("801", "802")
    study = specs["801"]
    assert study.evidence and study.dispatch.unit_label == "录取院校名称"
    assert {f.key for f in study.fields} >= {"study_mode", "archive_disposition", "admitting_institution"}
    assert specs["70"].evidence is None and specs["70"].dispatch is None


def test_a_category_with_children_needs_one_of_them(dicts):
    specs = destinations.category_specs()
    with pytest.raises(InvalidInput) as err:
        rules.resolve(specs, "80", None)
    assert "subcategory_code" in err.value.fields
    with pytest.raises(InvalidInput):
        rules.resolve(specs, "80", "502")  # a child of another category
    with pytest.raises(InvalidInput):
        rules.resolve(specs, "10", None)  # not selectable
    with pytest.raises(InvalidInput):
        rules.resolve(specs, "70", "801")  # no children
    assert rules.resolve(specs, "80", "802").code == "802"


def _problems(reg: Registration, complete: bool = True) -> dict[str, str]:
    spec = rules.resolve(destinations.category_specs(), reg.category_code, reg.subcategory_code)
    data = destinations._normalised(spec, reg)
    return rules.problems(spec, data, destinations._region_levels(data), complete)


def test_archive_address_must_reach_the_house_number(dicts):
    reg = further_study()
    assert _problems(reg) == {}
    reg = Registration("80", "801", reg.fields, reg.dispatch, archive(address="长沙市芙蓉区五一大道"))
    assert _problems(reg) == {"archive.address": "档案转递地址应精确到门牌号"}


def test_hukou_is_an_address_or_not_moved(dicts):
    fields, dispatch = further_study().fields, further_study().dispatch
    missing = Registration("80", "801", fields, dispatch, archive(hukou_not_moved=False))
    assert "archive.hukou_address" in _problems(missing)
    moved = Registration("80", "801", fields, dispatch, archive(hukou_not_moved=False, hukou_address="湖南省长沙市岳麓区麓山南路2号"))
    assert _problems(moved) == {}
    spec = rules.resolve(destinations.category_specs(), "80", "801")
    assert destinations._normalised(spec, further_study()).get("archive")["hukou_address"] == "未迁入"


def test_full_time_study_sends_the_archive_to_the_institution(dicts):
    """升学（全日制）: 户档迁往就读高校 only; 非全日制 chooses, 迁回原籍 by default (seed 002 §2.5.1)."""
    assert _problems(further_study(study_mode="full_time", archive_disposition="institution")) == {}
    wrong = _problems(further_study(study_mode="full_time", archive_disposition="home"))
    assert wrong == {"fields.archive_disposition": "“户档迁回原籍”不适用于当前选择"}
    spec = rules.resolve(destinations.category_specs(), "80", "801")
    defaulted = destinations._normalised(spec, further_study(archive_disposition=None))
    assert defaulted["fields"]["archive_disposition"] == "home"


def test_region_fields_use_the_region_dictionary_below_province(dicts):
    assert _problems(further_study(institution_region="999999")) == {
        "fields.institution_region": "院校所在地代码不存在"}
    assert _problems(further_study(institution_region="430000")) == {
        "fields.institution_region": "院校所在地请选择到市或区县"}
    assert _problems(further_study(institution_region="110101")) == {}  # a municipality's district


def test_required_fields_only_at_submission(dicts):
    bare = Registration("80", "801", {"admitting_institution": "湖南大学"}, None, {})
    assert _problems(bare, complete=False) == {}
    missing = _problems(bare)
    assert {"fields.admitted_major", "fields.institution_region", "dispatch.unit", "archive.unit",
            "archive.address", "archive.hukou_address"} <= set(missing)
    assert "fields.unknown" in _problems(Registration("70", None, {"unknown": "x"}, None, archive()))


# -- the workflow ----------------------------------------------------------------------------------------

def test_draft_submit_approve_with_the_lock_and_the_flow_log(world, db_session, dicts):
    student = world.actor(world.student_account)
    d = destinations.save_draft(student, Registration("80", "801", {"admitting_institution": "湖南大学"}, None, {}))
    assert d.state.value == rules.DRAFT and d.unit_name == "湖南大学"
    with pytest.raises(InvalidInput) as err:
        destinations.submit(student, d.id)
    assert err.value.code == "DESTINATION_INCOMPLETE" and "evidence" in err.value.fields
    assert _lock(db_session, world.student.id) is None
    with pytest.raises(Conflict) as err:
        destinations.save_draft(student, further_study())  # one open registration per student
    assert err.value.code == "DESTINATION_EXISTS"
    d = destinations.save_draft(student, further_study(), d.id)
    destinations.add_evidence(student, d.id, png())
    d = destinations.submit(student, d.id)
    assert d.state.value == rules.COLLEGE_REVIEW  # the world's school reviews on two levels
    lock = _lock(db_session, world.student.id)
    assert lock.kind == DestinationKind.OTHER and lock.invitation_id is None
    destinations.approve(world.actor(world.college_reviewer), d.id)
    assert _state(db_session, d.id) == rules.SCHOOL_REVIEW
    destinations.approve(world.actor(world.school_reviewer), d.id)
    assert _state(db_session, d.id) == rules.APPROVED
    actions = db_session.scalars(select(FlowEntry.action).where(
        FlowEntry.subject_type == "destination", FlowEntry.subject_id == d.id).order_by(FlowEntry.seq)).all()
    assert actions == ["destination_save", "destination_edit", "destination_submit",
                       "destination_college_approve", "destination_school_approve"]
    note = db_session.scalars(select(Notification).where(Notification.event == "destination_approved")).one()
    assert note.recipient_id == world.student.id and "湖南大学" in note.body
    assert note.page == f"pages/student/destination/detail?id={d.id}"


def test_one_level_school_reviews_once(world, db_session, dicts):
    world.school.review_levels = ReviewLevels.SCHOOL
    db_session.commit()
    destination_id = submitted(world)
    assert _state(db_session, destination_id) == rules.SCHOOL_REVIEW
    with pytest.raises(Forbidden):
        destinations.approve(world.actor(world.college_reviewer), destination_id)
    destinations.approve(world.actor(world.school_reviewer), destination_id)
    assert _state(db_session, destination_id) == rules.APPROVED


def test_withdraw_during_review_frees_the_destination(world, db_session, dicts):
    destination_id = submitted(world)
    destinations.withdraw(world.actor(world.student_account), destination_id)
    assert _state(db_session, destination_id) == rules.DRAFT
    assert _lock(db_session, world.student.id) is None
    review_helpers.accepted(world)  # online signing is open to the student again
    with pytest.raises(Conflict) as err:
        destinations.submit(world.actor(world.student_account), destination_id)
    assert err.value.code == "ALREADY_SIGNED" and "其他去向" in err.value.message


def test_withdraw_only_in_review(world, db_session, dicts):
    destination_id = approved(world)
    with pytest.raises(Conflict) as err:
        destinations.withdraw(world.actor(world.student_account), destination_id)
    assert err.value.code == "INVALID_STATE"


def test_reject_needs_a_reason_then_edit_and_resubmit(world, db_session, dicts):
    destination_id = submitted(world)
    college = world.actor(world.college_reviewer)
    with pytest.raises(InvalidInput) as err:
        destinations.reject(college, destination_id, "  ")
    assert err.value.code == "REASON_REQUIRED"
    destinations.reject(college, destination_id, "录取通知书不清晰")
    d = db_session.get(OtherDestination, destination_id)
    assert d.state.value == rules.REJECTED and d.last_remark == "录取通知书不清晰"
    assert _lock(db_session, world.student.id) is None
    note = db_session.scalars(select(Notification).where(Notification.event == "destination_rejected")).one()
    assert "录取通知书不清晰" in note.body
    student = world.actor(world.student_account)
    destinations.add_evidence(student, destination_id, png("clearer.png"))
    d = destinations.submit(student, destination_id, further_study(admitted_major="软件工程"))
    assert d.id == destination_id and d.state.value == rules.COLLEGE_REVIEW
    assert d.data["fields"]["admitted_major"] == "软件工程"


def test_no_edit_or_evidence_while_in_review(world, db_session, dicts):
    destination_id = submitted(world)
    student = world.actor(world.student_account)
    with pytest.raises(Conflict) as err:
        destinations.save_draft(student, further_study(), destination_id)
    assert err.value.code == "INVALID_STATE"
    with pytest.raises(Conflict):
        destinations.add_evidence(student, destination_id, png())


def test_an_agreement_blocks_registration_and_a_registration_blocks_acceptance(world, db_session, dicts):
    invitation_id = review_helpers.invite(world)
    destination_id = submitted(world)
    with pytest.raises(Conflict) as err:
        responses.accept_invitation(world.actor(world.student_account), invitation_id, 1, True)
    assert err.value.code == "ALREADY_SIGNED"
    destinations.withdraw(world.actor(world.student_account), destination_id)
    responses.accept_invitation(world.actor(world.student_account), invitation_id, 1, True)
    with pytest.raises(Conflict) as err:
        destinations.submit(world.actor(world.student_account), destination_id)
    assert err.value.code == "ALREADY_SIGNED"
    assert _lock(db_session, world.student.id).invitation_id == invitation_id


def test_cancellation_is_reviewed_and_a_refusal_keeps_the_destination(world, db_session, dicts):
    destination_id = approved(world)
    student = world.actor(world.student_account)
    with pytest.raises(InvalidInput):
        destinations.request_cancel(student, destination_id, "")
    destinations.request_cancel_with_file(student, destination_id, "已与单位签订就业协议", png("proof.png"))
    d = db_session.get(OtherDestination, destination_id)
    assert d.state.value == rules.CANCEL_COLLEGE_REVIEW and d.cancel_reason == "已与单位签订就业协议"
    assert [f.purpose.value for f in d.files] == ["evidence", "cancellation"]
    assert _lock(db_session, world.student.id) is not None  # still holds it while cancelling
    destinations.reject(world.actor(world.college_reviewer), destination_id, "证明材料不足")
    assert _state(db_session, destination_id) == rules.APPROVED
    assert db_session.scalars(select(Notification.event).where(
        Notification.event == "destination_cancel_rejected")).one()
    destinations.request_cancel(student, destination_id, "已与单位签订就业协议")
    destinations.approve(world.actor(world.college_reviewer), destination_id)
    assert _state(db_session, destination_id) == rules.CANCEL_SCHOOL_REVIEW
    destinations.approve(world.actor(world.school_reviewer), destination_id)
    d = db_session.get(OtherDestination, destination_id)
    assert d.state.value == rules.CANCELLED and d.open_student_id is None and d.cancelled_at
    assert _lock(db_session, world.student.id) is None
    review_helpers.accepted(world)  # free to sign again


def test_after_cancellation_a_new_registration_starts(world, db_session, dicts):
    destination_id = approved(world)
    student = world.actor(world.student_account)
    destinations.request_cancel(student, destination_id, "改为待就业")
    destinations.approve(world.actor(world.college_reviewer), destination_id)
    destinations.approve(world.actor(world.school_reviewer), destination_id)
    fresh = destinations.submit(student, None, awaiting_work())
    assert fresh.id != destination_id and fresh.state.value == rules.COLLEGE_REVIEW


def test_reviewers_outside_the_scope_get_404_and_students_cannot_review(world, db_session, dicts):
    destination_id = submitted(world)
    for account in (world.other_college_reviewer, world.other_school_reviewer,
                    world.other_school_college_reviewer, world.student2_account):
        with pytest.raises(NotFound):
            destinations.approve(world.actor(account), destination_id)
    with pytest.raises(Forbidden):
        destinations.approve(world.actor(world.student_account), destination_id)
    with pytest.raises(Forbidden):
        destinations.save_draft(world.actor(world.hr), awaiting_work())
    assert _state(db_session, destination_id) == rules.COLLEGE_REVIEW


def test_evidence_is_refused_when_not_an_image_and_limited_in_number(world, db_session, dicts):
    import io

    from werkzeug.datastructures import FileStorage

    student = world.actor(world.student_account)
    d = destinations.save_draft(student, further_study())
    fake = FileStorage(io.BytesIO(b"\x89PNG\r\n\x1a\nnot really"), filename="x.png", content_type="image/png")
    with pytest.raises(UploadRejected):
        destinations.add_evidence(student, d.id, fake)
    assert db_session.get(OtherDestination, d.id).files == []
    for i in range(rules.MAX_FILES):
        destinations.add_evidence(student, d.id, png(f"{i}.png"))
    with pytest.raises(Conflict) as err:
        destinations.add_evidence(student, d.id, png())
    assert err.value.code == "TOO_MANY_FILES"
    d = destinations.remove_evidence(student, d.id, d.files[0].id)
    assert len(d.files) == rules.MAX_FILES - 1


def test_table_allows_the_buttons_a_client_shows(world, db_session, dicts):
    destination_id = submitted(world)
    d = db_session.get(OtherDestination, destination_id)
    assert destinations.allowed_actions(d, world.actor(world.student_account)) == ["withdraw"]
    assert destinations.allowed_actions(d, world.actor(world.college_reviewer)) == ["approve", "reject"]
    assert destinations.allowed_actions(d, world.actor(world.school_reviewer)) == []
    assert destinations.allowed_actions(d, world.actor(world.other_college_reviewer)) == []
