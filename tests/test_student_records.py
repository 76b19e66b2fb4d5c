"""A school corrects student records with a history, and opens or closes signing per student,
college or cohort; the roster import follows the scope's setting."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select, text

from app.domain.errors import Conflict, InvalidInput, NotFound
from app.models import (Invitation, ScopeChange, SigningScope, SourceStatus, Student, StudentChange)
from app.services import invitations, roster, student_records
from app.services.student_records import StudentFilter
from tests.factories import StudentFactory, valid_id_number
from tests.test_roster import row, xlsx


def test_correcting_a_phone_keeps_a_masked_encrypted_history(world, db_session):
    """When the school changes a student's phone, is the history who/when/what/why, masked on screen
    and encrypted at rest, and does the new phone work for exact search?"""
    old_phone = world.student.phone
    student_records.correct_student(world.actor(world.school_reviewer), world.student.id,
                                    {"phone": "139 1234 5678", "email": "new@example.edu.cn"}, "学生换号")
    student = db_session.get(Student, world.student.id)
    assert student.phone == "13912345678" and student.email == "new@example.edu.cn"
    lines = student_records.history(student)
    phone_line = next(line for line in lines if line.what == "手机号")
    assert (phone_line.old, phone_line.new) == (old_phone[:3] + "****" + old_phone[-4:], "139****5678")
    assert phone_line.who == world.school_reviewer.display_name and phone_line.reason == "学生换号"
    raw = db_session.execute(text("SELECT old_text, new_text, old_secret, new_secret FROM student_changes "
                                  "WHERE field = 'phone'")).one()
    assert raw.old_text is None and raw.new_text is None
    assert "13912345678" not in raw.new_secret and old_phone not in raw.old_secret
    found, total = student_records.students_page(world.actor(world.school_reviewer), world.school.id,
                                                 StudentFilter(q="13912345678"))
    assert [s.id for s in found] == [world.student.id] and total == 1


def test_only_real_changes_are_recorded_and_a_reason_is_required(world, db_session):
    actor = world.actor(world.school_reviewer)
    with pytest.raises(InvalidInput, match="修改原因"):
        student_records.correct_student(actor, world.student.id, {"name": "新名字"}, "")
    with pytest.raises(InvalidInput, match="没有修改"):
        student_records.correct_student(actor, world.student.id, {"name": world.student.name}, "核对")
    changes = student_records.correct_student(actor, world.student.id,
                                              {"name": "改名", "class_name": world.student.class_name},
                                              "核对")
    assert [c.field for c in changes] == ["name"]


def test_id_number_change_follows_the_checksum_gender_and_uniqueness(world, db_session):
    """Is a bad ID number refused, the gender taken from a good one, and another student's ID (same
    cohort) a conflict?"""
    actor = world.actor(world.school_reviewer)
    with pytest.raises(InvalidInput) as caught:
        student_records.correct_student(actor, world.student.id, {"id_number": "110101200301010000"}, "核对")
    assert "id_number" in caught.value.fields
    female_id = valid_id_number(2)  # an even sequence digit: female
    student_records.correct_student(actor, world.student.id, {"id_number": female_id}, "身份证录入错误")
    student = db_session.get(Student, world.student.id)
    assert student.gender.value == "female" and student.id_number == female_id
    with pytest.raises(InvalidInput, match="提交的内容有误"):
        student_records.correct_student(actor, world.student.id, {"gender": "male"}, "核对")
    with pytest.raises(Conflict):
        student_records.correct_student(actor, world.student2.id, {"id_number": female_id}, "核对")


def test_moving_a_student_takes_the_agreements_to_the_new_college(world, db_session):
    """When a student moves college, do their invitations follow, so the new college reviews them?"""
    sent = invitations.send_invitations(world.actor(world.hr), [world.student.id], world.terms())[0]
    student_records.correct_student(world.actor(world.school_reviewer), world.student.id,
                                    {"college_id": world.other_college.id, "major_id": world.other_major.id},
                                    "转专业")
    assert db_session.get(Invitation, sent.invitation_id).college_id == world.other_college.id
    history = {line.what: (line.old, line.new) for line in student_records.history(
        db_session.get(Student, world.student.id))}
    assert history["学院"] == (world.college.name, world.other_college.name)
    with pytest.raises(InvalidInput) as caught:
        student_records.correct_student(world.actor(world.school_reviewer), world.student.id,
                                        {"college_id": world.college.id, "major_id": world.other_major.id},
                                        "x")
    assert "major_id" in caught.value.fields


def test_other_schools_and_college_reviewers_cannot_touch_students(world):
    """Does a reviewer of another school, or a college reviewer, get 'not found' for our student?"""
    for account in (world.other_school_reviewer, world.college_reviewer, world.hr):
        with pytest.raises(NotFound):
            student_records.correct_student(world.actor(account), world.student.id, {"name": "x"}, "x")
        with pytest.raises(NotFound):
            student_records.set_student_signing(world.actor(account), world.student.id, False, "x")


def test_closing_one_student_records_the_reason_the_student_sees(world, db_session):
    actor = world.actor(world.school_reviewer)
    with pytest.raises(InvalidInput):
        student_records.set_student_signing(actor, world.student.id, False, "")
    student_records.set_student_signing(actor, world.student.id, False, "毕业资格审核中")
    student = db_session.get(Student, world.student.id)
    assert (student.signing_open, student.signing_closed_reason) == (False, "毕业资格审核中")
    result = invitations.send_invitations(world.actor(world.hr), [world.student.id], world.terms())[0]
    assert not result.ok
    student_records.set_student_signing(actor, world.student.id, True, None)
    assert db_session.get(Student, world.student.id).signing_closed_reason is None
    whats = [line.what for line in student_records.history(student)]
    assert whats.count("网签开放") == 2


def test_source_status_of_one_student(world, db_session):
    actor = world.actor(world.school_reviewer)
    with pytest.raises(InvalidInput):  # 审核不通过 needs a reason
        student_records.set_student_source_status(actor, world.student.id, "rejected", "")
    student_records.set_student_source_status(actor, world.student.id, "rejected", "生源信息有误")
    assert db_session.get(Student, world.student.id).source_status == SourceStatus.REJECTED
    with pytest.raises(InvalidInput):
        student_records.set_student_source_status(actor, world.student.id, "bogus", "x")


def test_closing_a_college_updates_its_students_in_bulk_and_is_recorded(world, db_session):
    """Does closing a college of a cohort close exactly its students, with the reason, in the log?"""
    change = student_records.apply_signing_scope(world.actor(world.school_reviewer), world.school.id, 2026,
                                                 world.college.id, False, "学院信息核对中")
    students = {s.id: s for s in db_session.scalars(
        select(Student).execution_options(populate_existing=True))}
    assert change.affected == 2 and change.field == "signing_open"
    assert not students[world.student.id].signing_open
    assert students[world.student2.id].signing_closed_reason == "学院信息核对中"
    assert students[world.other_college_student.id].signing_open
    # Again: nothing changes, but it is still recorded.
    again = student_records.apply_signing_scope(world.actor(world.school_reviewer), world.school.id, 2026,
                                                world.college.id, False, "学院信息核对中")
    assert again.affected == 0
    assert db_session.scalar(select(func.count()).select_from(ScopeChange)) == 2
    lines = student_records.history(students[world.student.id])
    assert any("批量设置" in line.what for line in lines)


def test_a_cohort_setting_replaces_its_colleges_and_new_imports_follow(world, db_session):
    """After closing a college, then opening the whole cohort, are all open; and do students
    imported afterwards follow the newest setting of their scope?"""
    actor = world.actor(world.school_reviewer)
    student_records.apply_signing_scope(actor, world.school.id, 2026, world.college.id, False, "核对中")
    student_records.apply_signing_scope(actor, world.school.id, 2026, None, True, None)
    assert db_session.scalar(select(func.count()).select_from(Student).where(
        Student.signing_open.is_(False))) == 0
    assert [s.college_id for s in student_records.scopes_of(actor, world.school.id, 2026)] == [None]
    student_records.apply_signing_scope(actor, world.school.id, 2026, world.college.id, False, "暂未开放")

    world.college.name, world.major.name = "计算机学院", "软件工程"
    world.other_college.name, world.other_major.name = "数学学院", "数学与应用数学"
    db_session.commit()
    report = roster.import_roster(world.school.code, xlsx([
        row(501, 学号="R501", 身份证号=valid_id_number(501, birth="20040101")),
        row(502, 学号="R502", 学院="数学学院", 专业="数学与应用数学",
            身份证号=valid_id_number(502, birth="20040101")),
        row(503, 学号="R503", 毕业年度="2027", 身份证号=valid_id_number(503, birth="20040101"))]))
    assert report.imported == 3, report.problems
    imported = {s.student_no: s for s in db_session.scalars(select(Student).where(
        Student.student_no.in_(["R501", "R502", "R503"])))}
    assert (imported["R501"].signing_open, imported["R501"].signing_closed_reason) == (False, "暂未开放")
    assert imported["R502"].signing_open and imported["R502"].signing_closed_reason is None
    assert imported["R503"].signing_open  # another cohort: no setting
    assert db_session.scalar(select(func.count()).select_from(SigningScope)) == 2


def test_bulk_source_status_only_from_a_state(world, db_session):
    """Can the school approve every pending student of a cohort without touching the rejected?"""
    pending = StudentFactory(major=world.major, source_status=SourceStatus.PENDING)
    rejected = StudentFactory(major=world.major, source_status=SourceStatus.REJECTED)
    db_session.commit()
    change = student_records.apply_source_status(world.actor(world.school_reviewer), world.school.id, 2026,
                                                 None, "approved", "pending", None)
    assert change.affected == 1
    db_session.expire_all()
    assert db_session.get(Student, pending.id).source_status == SourceStatus.APPROVED
    assert db_session.get(Student, rejected.id).source_status == SourceStatus.REJECTED


def test_scope_settings_are_checked(world):
    actor = world.actor(world.school_reviewer)
    with pytest.raises(InvalidInput):
        student_records.apply_signing_scope(actor, world.school.id, 2026, None, False, "")
    with pytest.raises(InvalidInput):
        student_records.apply_signing_scope(actor, world.school.id, 1999, None, True, None)
    with pytest.raises(InvalidInput):  # a college of another school
        student_records.apply_signing_scope(actor, world.school.id, 2026, 999999, True, None)
    for account in (world.college_reviewer, world.other_school_reviewer):
        with pytest.raises(NotFound):
            student_records.apply_signing_scope(world.actor(account), world.school.id, 2026, None, True, None)


def test_students_page_filters(world):
    actor = world.actor(world.school_reviewer)
    student_records.set_student_signing(actor, world.student2.id, False, "待核对")
    closed, total = student_records.students_page(actor, world.school.id, StudentFilter(signing_open=False))
    assert [s.id for s in closed] == [world.student2.id] and total == 1
    by_college, _ = student_records.students_page(
        actor, world.school.id, StudentFilter(cohort=2026, college_id=world.other_college.id))
    assert [s.id for s in by_college] == [world.other_college_student.id]
    by_id, _ = student_records.students_page(actor, world.school.id, StudentFilter(q=world.student.id_number))
    assert [s.id for s in by_id] == [world.student.id]
    assert student_records.open_counts(world.school.id, 2026)[world.college.id] == (2, 1)


def test_staged_roster_belongs_to_its_uploader(world, db_session):
    """Is an uploaded roster kept for its uploader only, and refused when it is not an xlsx?"""
    actor = world.actor(world.school_reviewer)
    staged = roster.stage_upload(actor, world.school.id, xlsx([row(1)]), "花名册.xlsx")
    again = roster.staged_upload(actor, staged.token)
    assert again.content == staged.content and again.filename == "花名册.xlsx"
    with pytest.raises(NotFound):
        roster.staged_upload(world.actor(world.admin), staged.token)
    roster.discard_upload(staged.token)
    with pytest.raises(NotFound):
        roster.staged_upload(actor, staged.token)
    with pytest.raises(InvalidInput):
        roster.stage_upload(actor, world.school.id, b"not a workbook", "x.xlsx")
    with pytest.raises(NotFound):
        roster.stage_upload(world.actor(world.college_reviewer), world.school.id, xlsx([row(1)]), "x.xlsx")


def test_check_only_writes_nothing_and_reports_progress(world, db_session):
    world.college.name, world.major.name = "计算机学院", "软件工程"
    db_session.commit()
    seen = []
    content = xlsx([row(n, 学号=f"R{n:06d}", 身份证号=valid_id_number(n, birth=f"2004{1 + n // 1000:02d}02"))
                    for n in range(1, 2501)])
    before = db_session.scalar(select(func.count()).select_from(Student))
    report = roster.import_roster(world.school.code, content, check_only=True,
                                  progress=lambda done, total, what: seen.append((done, total, what)))
    assert (report.imported, report.ready, report.problems) == (0, 2500, [])
    assert db_session.scalar(select(func.count()).select_from(Student)) == before
    assert seen[0] == (1000, 2500, "校验") and seen[-1] == (2500, 2500, "校验")
    seen.clear()
    report = roster.import_roster(world.school.code, content, progress=lambda *a: seen.append(a))
    assert report.imported == 2500 and seen[-1] == (2500, 2500, "写入")
    assert db_session.scalar(select(func.count()).select_from(StudentChange)) == 0
