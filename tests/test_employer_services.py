"""Employer registration, verification evidence and decisions, exact search and favorites import,
called as the services (the HTTP side is in test_api_employer_account.py)."""
from __future__ import annotations

import io

import pytest
from PIL import Image
from sqlalchemy import select
from werkzeug.datastructures import FileStorage

from app.domain.errors import Conflict, Forbidden, InvalidInput
from app.extensions import db
from app.models import (Account, Employer, FlowEntry, Notification, RecipientType, RecordStatus,
                        SourceStatus, TrainingMode, VerificationStatus)
from app.services import employers, search, uploads
from app.services.favorites import import_favorites
from tests.factories import EmployerFactory, StudentFactory, valid_credit_code


pytestmark = pytest.mark.usefixtures("empty_favorites")


@pytest.fixture(autouse=True)
def upload_dir(app, tmp_path, monkeypatch):
    monkeypatch.setitem(app.config, "UPLOAD_DIR", str(tmp_path / "uploads"))
    return tmp_path / "uploads"


def image_bytes(fmt: str = "PNG", size=(60, 40), **save) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(out, fmt, **save)
    return out.getvalue()


def upload(content: bytes, name: str = "scan.png", content_type: str = "image/png") -> FileStorage:
    return FileStorage(io.BytesIO(content), filename=name, content_type=content_type)


def registration(**overrides) -> employers.Registration:
    data = dict(name="长沙星辰软件科技有限公司", credit_code=valid_credit_code(987654), nature_code="39",
                industry_code="I", region_code="430100", address="长沙市岳麓区麓谷大道658号",
                contact_name="王经理", contact_phone="0731-88888888", email="hr@xingchen.example.cn",
                username="xingchen_hr", password="Xingchen2026")
    data.update(overrides)
    return employers.Registration(**data)


def pending_employer_with_evidence(world):
    employer, account = employers.register_employer(registration())
    employers.submit_evidence(world.actor(account), upload(image_bytes()))
    return employer, account


# --- registration -------------------------------------------------------------------------

def test_registration_normalises_the_credit_code_and_starts_pending(world, dicts):
    """Does a lower-case credit code with spaces register as the canonical code, pending review?"""
    code = valid_credit_code(4242)
    employer, account = employers.register_employer(registration(credit_code=f" {code.lower()} "))
    assert employer.credit_code == code
    assert employer.verification_status == VerificationStatus.PENDING
    assert account.role.value == "employer_user" and account.employer_id == employer.id
    assert account.password_hash != "Xingchen2026"


@pytest.mark.parametrize("field, value, message", [
    ("credit_code", "91110108000000000X", "校验位"),
    ("nature_code", "99", "单位性质代码不存在"),
    ("region_code", "999999", "所在地区代码不存在"),
    ("password", "short1", "至少8位"),
    ("password", "onlyletters", "字母和数字"),
])
def test_registration_rejects_bad_fields_in_chinese(world, dicts, field, value, message):
    """Is each bad registration field named with a Chinese reason?"""
    with pytest.raises(InvalidInput) as caught:
        employers.register_employer(registration(**{field: value}))
    assert message in caught.value.fields[field]


def test_username_is_taken_whatever_its_case(world, dicts):
    """Can a second employer register the username of an existing user in other letter case?"""
    with pytest.raises(Conflict) as caught:
        employers.register_employer(registration(username=world.hr.username.upper()))
    assert caught.value.code == "USERNAME_TAKEN"


# --- uploads -------------------------------------------------------------------------------

def test_saved_image_is_reencoded_without_metadata_under_a_random_name(db_session, upload_dir):
    """Does a phone photo lose its EXIF (camera, GPS) and get stored under a random key?"""
    exif = Image.Exif()
    exif[0x010F] = "TestCam"  # Make
    stored = uploads.save_image(upload(image_bytes("JPEG", exif=exif.tobytes()), "我的执照.jpg"))
    assert stored.content_type == "image/jpeg" and stored.storage_key.endswith(".jpg")
    assert len(stored.storage_key) == 36 and "执照" not in stored.storage_key
    with Image.open(upload_dir / stored.storage_key) as saved:
        assert saved.format == "JPEG" and dict(saved.getexif()) == {}
    assert [p.name for p in upload_dir.iterdir()] == [stored.storage_key]


@pytest.mark.parametrize("content, error", [
    (b"just some text, renamed to .png", uploads.UnsupportedUpload),
    (image_bytes()[:60], uploads.UnsupportedUpload),  # a PNG cut short
    (b"%PDF-1.7\n" + b"0" * 100, uploads.UnsupportedUpload),
    (b"\x89PNG\r\n\x1a\n" + b"\0" * (2 * 1024 * 1024), uploads.UploadTooLarge),
])
def test_bad_uploads_are_refused(db_session, upload_dir, content, error):
    """Are a renamed text file, a truncated PNG, a PDF and an oversized file all refused?"""
    with pytest.raises(error):
        uploads.save_image(upload(content))
    assert not upload_dir.exists() or not any(upload_dir.iterdir())


def bomb(pixels) -> FileStorage:
    out = io.BytesIO()
    Image.new("1", pixels).save(out, "PNG")
    assert len(out.getvalue()) < 2 * 1024 * 1024  # a few KB that decode to millions of pixels
    return upload(out.getvalue())


def test_images_above_our_pixel_limit_are_refused(db_session):
    """Is a tiny PNG that would decode to 49 million pixels refused before decoding?"""
    with pytest.raises(uploads.UnsupportedUpload) as caught:
        uploads.save_image(bomb((7000, 7000)))
    assert caught.value.code == "IMAGE_TOO_LARGE" and caught.value.kind == "unsupported"


def test_pillows_bomb_warning_is_a_refusal_even_where_warnings_are_ignored(db_session, monkeypatch):
    """In production warnings are not errors: does Pillow's decompression-bomb warning still refuse?"""
    import warnings

    monkeypatch.setattr(uploads, "MAX_IMAGE_PIXELS", 10**9)  # leave it to Pillow's guard
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(uploads.UnsupportedUpload) as caught:
            uploads.save_image(bomb((10000, 10000)))
    assert caught.value.code == "IMAGE_TOO_LARGE"


def test_storage_keys_cannot_escape_the_upload_folder(db_session):
    with pytest.raises(ValueError):
        uploads.path_of("../../etc/passwd")


# --- verification --------------------------------------------------------------------------

@pytest.mark.parametrize("who", ["school_reviewer", "other_school_reviewer", "admin"])
def test_any_school_reviewer_or_the_admin_may_approve(world, dicts, who):
    """Can the platform admin and any school's reviewer approve a pending employer?"""
    employer, _ = pending_employer_with_evidence(world)
    employers.decide_verification(world.actor(getattr(world, who)), employer.id, True)
    assert employer.verification_status == VerificationStatus.APPROVED
    assert employer.verified_by_id == getattr(world, who).id and employer.verified_at is not None


@pytest.mark.parametrize("who", ["college_reviewer", "hr", "student_account"])
def test_others_may_not_decide(world, dicts, who):
    """Are college reviewers, employer users and students refused the verification decision?"""
    employer, _ = pending_employer_with_evidence(world)
    with pytest.raises(Forbidden):
        employers.decide_verification(world.actor(getattr(world, who)), employer.id, True)
    assert employer.verification_status == VerificationStatus.PENDING


def test_rejection_needs_a_reason_and_resubmission_clears_it(world, dicts):
    """Does a rejection need a reason, tell the employer why, and does new evidence reopen it?"""
    employer, account = pending_employer_with_evidence(world)
    reviewer = world.actor(world.school_reviewer)
    with pytest.raises(InvalidInput) as caught:
        employers.decide_verification(reviewer, employer.id, False, "  ")
    assert caught.value.kind == "invalid" and "reason" in caught.value.fields

    employers.decide_verification(reviewer, employer.id, False, "营业执照不清晰")
    assert employer.verification_status == VerificationStatus.REJECTED
    notice = db.session.scalar(select(Notification).where(
        Notification.recipient_type == RecipientType.EMPLOYER, Notification.recipient_id == employer.id))
    assert notice.event == "employer_verification_rejected" and "营业执照不清晰" in notice.body

    employers.submit_evidence(world.actor(account), upload(image_bytes("JPEG"), "again.jpg"))
    assert employer.verification_status == VerificationStatus.PENDING
    assert employer.rejection_reason is None
    actions = db.session.scalars(select(FlowEntry.action).where(
        FlowEntry.subject_type == "employer", FlowEntry.subject_id == employer.id).order_by(FlowEntry.seq))
    assert list(actions) == ["register", "submit_evidence", "verify_reject", "submit_evidence"]


def test_only_pending_employers_with_a_licence_are_decided_or_queued(world, dicts):
    """Is a verified employer not decided twice, and one without a licence kept out of the queue?"""
    reviewer = world.actor(world.admin)
    with pytest.raises(Conflict) as caught:
        employers.decide_verification(reviewer, world.employer.id, True)
    assert caught.value.code == "VERIFICATION_NOT_PENDING"
    bare, _ = employers.register_employer(registration(credit_code=valid_credit_code(5151),
                                                       username="bare_hr"))
    with pytest.raises(Conflict) as caught:
        employers.decide_verification(reviewer, bare.id, True)
    assert caught.value.code == "EVIDENCE_MISSING"
    ready, _ = pending_employer_with_evidence(world)
    assert [e.id for e in employers.list_pending_verifications()] == [ready.id]


def test_accounts_are_those_of_the_own_employer(world):
    names = [a.username for a in employers.accounts_of(world.actor(world.hr2))]
    assert names == [world.hr.username, world.hr2.username]


# --- search -------------------------------------------------------------------------------

def key_for(student, phone_or_id: str, **overrides) -> search.StudentKey:
    values = dict(school_code=student.school.code, cohort=student.cohort, name=student.name,
                  phone_or_id=phone_or_id)
    values.update(overrides)
    return search.StudentKey(**values)


def test_exact_search_by_phone_or_id_number(world):
    """Is a student found by phone (even typed +86 138-…) or by ID number (lower-case x), and only
    when school, cohort and name match too?"""
    s = world.student
    spaced = f"+86 {s.phone[:3]}-{s.phone[3:7]}-{s.phone[7:]}"
    keys = [key_for(s, spaced), key_for(s, s.id_number.lower()),
            key_for(s, s.phone, name=s.name + "x"), key_for(s, s.phone, cohort=s.cohort + 1),
            key_for(s, s.phone, school_code=world.other_school.code)]
    found = search.find_students(keys)
    assert found == {keys[0]: s, keys[1]: s}


@pytest.mark.parametrize("kind", [
    {"training_mode": TrainingMode.DIRECTED}, {"source_status": SourceStatus.PENDING},
    {"signing_open": False}, {"record_status": RecordStatus.INVALID}])
def test_students_who_cannot_sign_are_not_found(world, kind):
    """Are 定向, unapproved, signing-closed and invalid students invisible to search?"""
    hidden = StudentFactory(major=world.major, **kind)
    assert search.find_students([key_for(hidden, hidden.phone)]) == {}


def test_unverified_employer_cannot_search(world):
    pending = EmployerFactory(verification_status=VerificationStatus.PENDING, verified_at=None)
    hr = Account(role=world.hr.role, username="pending_hr", password_hash="x", display_name="待审",
                 employer_id=pending.id)
    db.session.add(hr)
    db.session.flush()
    with pytest.raises(Forbidden) as caught:
        search.search_students(world.actor(hr), key_for(world.student, world.student.phone))
    assert caught.value.code == "EMPLOYER_NOT_VERIFIED"


# --- favorites import ----------------------------------------------------------------------

def xlsx(rows, header=("学校代码", "毕业年度", "姓名", "手机号或身份证号")) -> bytes:
    from openpyxl import Workbook

    book = Workbook()
    book.active.append(header)
    for row in rows:
        book.active.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_import_is_per_row(world):
    """Does an import add the rows that resolve and explain each of the others, row by row?"""
    s, s2 = world.student, world.student2
    directed = StudentFactory(major=world.major, training_mode=TrainingMode.DIRECTED)
    code = s.school.code
    content = xlsx([
        (code, s.cohort, s.name, s.phone),  # row 2: added
        (code, "2026", s2.name, s2.id_number),  # row 3: added (cohort typed as text)
        (code, s.cohort, s.name, s.id_number),  # row 4: same student as row 2
        (code, directed.cohort, directed.name, directed.phone),  # row 5: not signable
        (code, 1999, s.name, "12345"),  # row 6: two format problems
        (code, s.cohort, "张冒名", s.phone),  # row 7: wrong name
        (None, None, None, None),  # blank rows are skipped
        (code, s.cohort, s.name, int(s.id_number[:15] + "000")),  # row 9: ID typed as a number
    ])
    report = import_favorites(world.actor(world.hr), content)
    by_row = {r.row: r for r in report.rows}
    assert (report.added, report.existing, report.failed) == (2, 0, 4)
    assert by_row[2].ok and by_row[2].student_id == s.id and by_row[3].student_id == s2.id
    assert by_row[4].ok and "第2行" in by_row[4].message
    assert not by_row[5].ok and "未找到" in by_row[5].message
    assert "毕业年度" in by_row[6].message and "手机号" in by_row[6].message
    assert not by_row[7].ok and 8 not in by_row and "文本格式" in by_row[9].message

    again = import_favorites(world.actor(world.hr2), content)  # a colleague imports the same file
    assert (again.added, again.existing) == (0, 2)


@pytest.mark.parametrize("content, error, code", [
    (b"name,phone\n", uploads.UnsupportedUpload, "UNSUPPORTED_FILE_TYPE"),
    (xlsx([], header=("姓名", "手机号")), InvalidInput, "BAD_TEMPLATE"),
    (xlsx([]), InvalidInput, "EMPTY_IMPORT"),
    (xlsx([("10001", 2026, f"学生{i}", "13800000000") for i in range(1001)]), InvalidInput,
     "TOO_MANY_ROWS"),
])
def test_unusable_import_files_are_refused_whole(world, content, error, code):
    with pytest.raises(error) as caught:
        import_favorites(world.actor(world.hr), content)
    assert caught.value.code == code


def test_registration_of_the_same_code_twice_is_a_conflict(world, dicts):
    employers.register_employer(registration())
    with pytest.raises(Conflict) as caught:
        employers.register_employer(registration(username="another_hr"))
    assert caught.value.code == "EMPLOYER_EXISTS"
    assert db.session.scalar(select(Employer).where(Employer.name == "长沙星辰软件科技有限公司"))
