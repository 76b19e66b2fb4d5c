"""The employer's account through HTTP, as the mini-program calls it: register, upload the
licence, get verified, search students, keep the 收藏夹, the 户档信息 and the accounts list."""
from __future__ import annotations

import io

import pytest
import time_machine
from openpyxl import load_workbook
from PIL import Image
from sqlalchemy import select

from app.extensions import db
from app.models import (Employer, FlowEntry, Notification, RecipientType, SourceStatus,
                        TrainingMode)
from app.services import employers
from tests.api_helpers import ApiClient
from tests.factories import StudentFactory, valid_credit_code


pytestmark = pytest.mark.usefixtures("empty_favorites")


@pytest.fixture(autouse=True)
def upload_dir(app, tmp_path, monkeypatch):
    monkeypatch.setitem(app.config, "UPLOAD_DIR", str(tmp_path / "uploads"))
    return tmp_path / "uploads"


class TokenClient(ApiClient):
    """The phone right after registration: it holds the token the registration returned."""

    def __init__(self, client, token: str) -> None:  # noqa: D107 (no test-only route needed)
        self.client = client
        self.headers = {"Authorization": f"Bearer {token}"}


def register_body(**overrides):
    body = {"name": "长沙星辰软件科技有限公司", "credit_code": valid_credit_code(777001),
            "nature_code": "39", "industry_code": "I", "region_code": "430100",
            "address": "长沙市岳麓区麓谷大道658号", "contact_name": "王经理",
            "contact_phone": "0731-88888888", "email": "hr@xingchen.example.cn",
            "username": "xingchen_hr", "password": "Xingchen2026"}
    body.update(overrides)
    return body


def png(size=(80, 50)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (20, 120, 200)).save(out, "PNG")
    return out.getvalue()


def jpeg() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (64, 64), (240, 240, 240)).save(out, "JPEG")
    return out.getvalue()


def send_files(api, path="/employer/verification", **files):
    """A multipart upload, encoded up front (the test client would spool a big one to a file)."""
    from werkzeug.datastructures import FileStorage
    from werkzeug.test import encode_multipart

    boundary, body = encode_multipart({name: FileStorage(io.BytesIO(content), filename)
                                       for name, (content, filename) in files.items()})
    return api.post(path, data=body, content_type=f"multipart/form-data; boundary={boundary}")


def search_query(student, phone_or_id):
    return (f"/employer/students/search?school_code={student.school.code}&cohort={student.cohort}"
            f"&name={student.name}&phone_or_id={phone_or_id}")


# --- registration and verification --------------------------------------------------------

def test_register_upload_and_get_verified(world, dicts, client, upload_dir):
    """Can a new employer register from the phone, upload its licence and authorisation with the
    token it got, and be approved by a school reviewer, hearing of it in its inbox?"""
    registered = client.post("/api/v1/employer/register", json=register_body())
    assert registered.status_code == 200, registered.get_json()
    body = registered.get_json()
    assert body["verification_status"] == "pending" and body["token"]
    phone = TokenClient(client, body["token"])

    blocked = phone.get(search_query(world.student, world.student.phone))
    assert blocked.status_code == 403 and blocked.get_json()["error"]["code"] == "EMPLOYER_NOT_VERIFIED"

    sent = send_files(phone, licence=(png(), "营业执照.png"), authorisation=(jpeg(), "授权书.jpg"))
    assert sent.status_code == 200, sent.get_json()
    evidence = sent.get_json()["evidence"]
    assert [(e["kind"], e["content_type"]) for e in evidence] == [
        ("licence", "image/png"), ("authorisation", "image/jpeg")]
    stored = sorted(p.name for p in upload_dir.iterdir())
    assert len(stored) == 2 and all(len(name) == 36 for name in stored)  # random keys, no user names

    employers.decide_verification(world.actor(world.school_reviewer), body["employer_id"], True)
    status = phone.get("/employer/verification").get_json()
    assert status["verification_status"] == "approved" and status["verification_label"] == "已认证"
    notice = db.session.scalar(select(Notification).where(
        Notification.recipient_type == RecipientType.EMPLOYER,
        Notification.recipient_id == body["employer_id"]))
    assert notice.event == "employer_verified" and "审核通过" in notice.body
    flow = db.session.scalars(select(FlowEntry).where(
        FlowEntry.subject_type == "employer", FlowEntry.subject_id == body["employer_id"])
        .order_by(FlowEntry.seq)).all()
    assert [(f.action, f.to_state) for f in flow][-1] == ("verify_approve", "approved")
    assert flow[-1].actor_name == world.school_reviewer.display_name
    assert phone.get(search_query(world.student, world.student.phone)).status_code == 200


@pytest.mark.parametrize("overrides, status, code, field", [
    ({"credit_code": "91110108000000000X"}, 400, "VALIDATION_FAILED", "credit_code"),
    ({"password": "abcdefgh"}, 400, "VALIDATION_FAILED", "password"),
    ({"password": "ab12"}, 400, "VALIDATION_FAILED", "password"),
    ({"industry_code": "ZZ"}, 400, "VALIDATION_FAILED", "industry_code"),
    ({"email": "not-an-email"}, 400, "VALIDATION_FAILED", "email"),
    ({"credit_code": "<existing>"}, 409, "EMPLOYER_EXISTS", "credit_code"),
    ({"username": "<existing>"}, 409, "USERNAME_TAKEN", "username"),
])
def test_registration_refusals_name_the_field(world, dicts, client, overrides, status, code, field):
    """Does a bad checksum, weak password, unknown code, registered credit code or taken username
    get a clear answer that names the field?"""
    existing = {"credit_code": world.employer.credit_code, "username": world.hr.username}
    body = register_body(**{k: existing.get(k) if v == "<existing>" else v for k, v in overrides.items()})
    answer = client.post("/api/v1/employer/register", json=body)
    error = answer.get_json()["error"]
    assert answer.status_code == status and error["code"] == code and field in error["fields"]
    assert db.session.scalar(select(Employer).where(Employer.name == body["name"])) is None


@pytest.fixture
def pending_hr(world, dicts):
    employer, account = employers.register_employer(employers.Registration(**register_body()))
    return account


@pytest.mark.parametrize("files, status, code", [
    ({"licence": (b"hello, I am text", "licence.png")}, 415, "UNSUPPORTED_FILE_TYPE"),
    ({"licence": (b"\x89PNG\r\n\x1a\n" + b"\0" * (2 * 1024 * 1024), "big.png")}, 413, "FILE_TOO_LARGE"),
    ({"licence": (png(), "ok.png"), "authorisation": (b"GIF89a...", "a.png")}, 415,
     "UNSUPPORTED_FILE_TYPE"),
    ({"licence": (b"", "empty.png")}, 400, "FILE_EMPTY"),
    ({"authorisation": (png(), "only.png")}, 400, "FILE_REQUIRED"),
])
def test_bad_evidence_is_refused_and_nothing_is_kept(client, pending_hr, upload_dir, files, status, code):
    """Are a renamed text file (415), an oversized file (413), an empty or missing licence (400)
    refused with the field named, leaving no evidence behind?"""
    answer = send_files(ApiClient(client, pending_hr), **files)
    error = answer.get_json()["error"]
    assert answer.status_code == status and error["code"] == code, error
    assert set(error["fields"]) & {"licence", "authorisation"}
    assert ApiClient(client, pending_hr).get("/employer/verification").get_json()["evidence"] == []
    assert not upload_dir.exists() or not any(upload_dir.iterdir())


def test_evidence_must_be_multipart(client, pending_hr):
    """JSON where a file upload is expected is the wrong media type (415); no body at all names
    the missing file (400)."""
    answer = ApiClient(client, pending_hr).post("/employer/verification", {"licence": "x"})
    assert answer.status_code == 415 and answer.get_json()["error"]["code"] == "UNSUPPORTED_MEDIA_TYPE"
    empty = ApiClient(client, pending_hr).post("/employer/verification")
    assert empty.status_code == 400 and "licence" in empty.get_json()["error"]["fields"]


def test_a_verified_employer_does_not_resubmit(client, world):
    answer = send_files(ApiClient(client, world.hr), licence=(png(), "l.png"))
    assert answer.status_code == 409 and answer.get_json()["error"]["code"] == "EMPLOYER_ALREADY_VERIFIED"


# --- search -------------------------------------------------------------------------------

def test_search_finds_the_student_by_phone_or_id_and_masks_them(world, client):
    """Does an exact search by phone or by ID number return the student with masked ID and phone?"""
    hr = ApiClient(client, world.hr)
    s = world.student
    for phone_or_id in (s.phone, s.id_number):
        answer = hr.get(search_query(s, phone_or_id))
        assert answer.status_code == 200, answer.get_json()
        [card] = answer.get_json()["items"]
        assert card["id"] == s.id and card["name"] == s.name and card["school"] == s.school.name
        assert card["id_number"] == s.id_number[:6] + "********" + s.id_number[-4:]
        assert card["phone"] == s.phone[:3] + "****" + s.phone[-4:]
        assert card["education_level_label"] == "本科" and card["in_favorites"] is False


@pytest.mark.parametrize("hidden", [{"training_mode": TrainingMode.DIRECTED},
                                    {"source_status": SourceStatus.PENDING}, {"signing_open": False}])
def test_search_gives_nothing_for_students_who_cannot_sign(world, client, hidden):
    """Do 定向, unapproved and signing-closed students look exactly like nobody (200, empty)?"""
    student = StudentFactory(major=world.major, **hidden)
    answer = ApiClient(client, world.hr).get(search_query(student, student.phone))
    assert answer.status_code == 200 and answer.get_json() == {"items": []}


@pytest.mark.parametrize("missing", ["school_code", "cohort", "name", "phone_or_id"])
def test_search_needs_all_four_fields(world, client, missing):
    params = {"school_code": world.school.code, "cohort": 2026, "name": world.student.name,
              "phone_or_id": world.student.phone}
    params.pop(missing)
    answer = ApiClient(client, world.hr).get("/employer/students/search", query_string=params)
    assert answer.status_code == 400 and missing in answer.get_json()["error"]["fields"]


def test_search_is_rate_limited_per_employer(world, client):
    """After 30 searches in a minute, is the 31st refused with 429 and Retry-After — for a
    colleague of the same employer too (one budget per employer), not for another employer —
    and does the limit lift a minute after the first search?"""
    hr = ApiClient(client, world.hr)
    query = search_query(world.student, world.student.phone)
    with time_machine.travel("2026-03-02 10:00:05 +0800", tick=False) as traveller:
        assert all(hr.get(query).status_code == 200 for _ in range(30))
        limited = hr.get(query)
        assert limited.status_code == 429 and limited.get_json()["error"]["code"] == "RATE_LIMITED"
        assert limited.headers["Retry-After"] == "60"
        assert ApiClient(client, world.hr2).get(query).status_code == 429
        assert ApiClient(client, world.other_hr).get(query).status_code == 200
        traveller.shift(61)
        assert hr.get(query).status_code == 200


# --- favorites ---------------------------------------------------------------------------

def test_favorites_add_list_remove(world, client):
    """Can an HR add a searched student once, see it with a colleague, and remove it again?"""
    hr, hr2, other = (ApiClient(client, a) for a in (world.hr, world.hr2, world.other_hr))
    s = world.student
    unsearched = hr.post("/employer/favorites", {"student_id": world.student2.id})
    assert unsearched.status_code == 404  # an id alone is no way to browse students

    hr.get(search_query(s, s.phone))
    first = hr.post("/employer/favorites", {"student_id": s.id})
    again = hr.post("/employer/favorites", {"student_id": s.id})
    assert first.status_code == again.status_code == 200
    assert first.get_json()["added"] is True and again.get_json()["added"] is False
    assert hr.get(search_query(s, s.phone)).get_json()["items"][0]["in_favorites"] is True

    shared = hr2.get("/employer/favorites").get_json()
    assert [i["student_id"] for i in shared["items"]] == [s.id] and shared["items"][0]["signable"]
    assert "*" in shared["items"][0]["id_number"]
    assert other.get("/employer/favorites").get_json()["items"] == []

    gone = hr2.delete(f"/employer/favorites?student_id={s.id}")
    assert gone.status_code == 200 and gone.get_json()["removed"] is True
    assert hr.delete(f"/employer/favorites?student_id={s.id}").get_json()["removed"] is False
    assert hr.get("/employer/favorites").get_json()["items"] == []


def test_favorites_page_with_a_cursor(world, client):
    hr = ApiClient(client, world.hr)
    students = [world.student, world.student2, world.other_college_student]
    for s in students:
        hr.get(search_query(s, s.phone))
        hr.post("/employer/favorites", {"student_id": s.id})
    first = hr.get("/employer/favorites?limit=2").get_json()
    rest = hr.get(f"/employer/favorites?limit=2&cursor={first['next_cursor']}").get_json()
    seen = [i["student_id"] for i in first["items"] + rest["items"]]
    assert seen == [s.id for s in reversed(students)] and rest["next_cursor"] is None


def test_template_downloads_and_a_filled_one_imports_per_row(world, client):
    """Does the template open in Excel terms, and does a filled copy add the good rows and explain
    the bad ones row by row?"""
    hr = ApiClient(client, world.hr)
    template = hr.get("/employer/favorites/template.xlsx")
    assert template.status_code == 200 and "spreadsheetml" in template.content_type
    book = load_workbook(io.BytesIO(template.data))
    assert [c.value for c in book.worksheets[0][1]] == ["学校代码", "毕业年度", "姓名", "手机号或身份证号"]
    assert book.sheetnames[1] == "说明"

    s, directed = world.student, StudentFactory(major=world.major, training_mode=TrainingMode.DIRECTED)
    sheet = book.worksheets[0]
    sheet.append([s.school.code, s.cohort, s.name, s.id_number])
    sheet.append([s.school.code, s.cohort, directed.name, directed.phone])
    sheet.append([s.school.code, s.cohort, world.student2.name, "1380013800"])
    filled = io.BytesIO()
    book.save(filled)
    answer = send_files(hr, "/employer/favorites/import", file=(filled.getvalue(), "名单.xlsx"))
    assert answer.status_code == 200, answer.get_json()
    report = answer.get_json()
    assert (report["added"], report["failed"]) == (1, 2)
    assert [(r["row"], r["ok"]) for r in report["rows"]] == [(2, True), (3, False), (4, False)]
    assert "未找到" in report["rows"][1]["message"] and "手机号" in report["rows"][2]["message"]
    assert [i["student_id"] for i in hr.get("/employer/favorites").get_json()["items"]] == [s.id]


@pytest.mark.parametrize("content, status", [(png(), 415), (b"PK\x03\x04" + b"0" * (2 * 1024 * 1024), 413)])
def test_import_refuses_what_is_not_a_small_xlsx(world, client, content, status):
    answer = send_files(ApiClient(client, world.hr), "/employer/favorites/import", file=(content, "a.xlsx"))
    assert answer.status_code == status and "file" in answer.get_json()["error"]["fields"]


# --- 户档信息 and accounts --------------------------------------------------------------------

ARCHIVE = {"archive_receiving": "employer", "archive_unit": "长沙星辰软件科技有限公司人事部",
           "archive_address": "长沙市岳麓区麓谷大道658号", "archive_postcode": "410205",
           "archive_contact": "李老师", "archive_phone": "0731-88888889", "hukou_receiving": "not_received"}


def test_archive_profile_keeps_every_version(world, client):
    """Do two colleagues' edits of the 户档信息 show as versions 2 and 1 with who and when?"""
    hr, hr2 = ApiClient(client, world.hr), ApiClient(client, world.hr2)
    assert hr.get("/employer/archive-profile").get_json() == {"profile": None, "version": 0, "history": []}
    assert hr.put("/employer/archive-profile", ARCHIVE).status_code == 200
    moved = {**ARCHIVE, "hukou_receiving": "received", "hukou_address": "长沙市岳麓区麓谷街道1号"}
    saved = hr2.put("/employer/archive-profile", moved).get_json()
    assert saved["version"] == 2 and saved["profile"]["hukou_receiving"] == "received"
    history = hr.get("/employer/archive-profile").get_json()["history"]
    assert [(h["version"], h["changed_by"]) for h in history] == [
        (2, world.hr2.display_name), (1, world.hr.display_name)]
    assert history[1]["data"]["hukou_receiving"] == "not_received"
    assert history[0]["changed_at"].endswith("+08:00")
    other = ApiClient(client, world.other_hr).get("/employer/archive-profile").get_json()
    assert other["profile"] is None


def test_archive_profile_needs_a_complete_address(world, client):
    bad = ApiClient(client, world.hr).put("/employer/archive-profile",
                                          {**ARCHIVE, "archive_address": "长沙市岳麓区"})
    assert bad.status_code == 400 and "门牌号" in str(bad.get_json()["error"]["fields"])


def test_accounts_lists_only_our_own_users(world, client):
    """Does 账号管理 show my employer's users, and not another employer's?"""
    items = ApiClient(client, world.hr).get("/employer/accounts").get_json()["items"]
    assert [i["username"] for i in items] == [world.hr.username, world.hr2.username]
    assert world.other_hr.username not in str(items) and items[0]["is_active"] is True


@pytest.mark.parametrize("path", ["/employer/accounts", "/employer/favorites",
                                  "/employer/archive-profile", "/employer/verification"])
def test_employer_pages_are_for_employer_users_only(world, client, path):
    assert ApiClient(client, world.student_account).get(path).status_code == 403
    assert client.get(f"/api/v1{path}").status_code == 401


def test_unverified_employer_has_no_favorites(client, pending_hr):
    answer = ApiClient(client, pending_hr).get("/employer/favorites")
    assert answer.status_code == 403 and answer.get_json()["error"]["code"] == "EMPLOYER_NOT_VERIFIED"
