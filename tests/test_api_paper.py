"""线下签约 over the JSON API (issue 13): the student's whole flow, the review API, uploads with
bad files, and who may see what."""
from __future__ import annotations

import io

import pytest
from sqlalchemy import select

from app.models import PaperAgreement
from tests import paper_helpers as ph
from tests.api_helpers import ApiClient


@pytest.fixture(autouse=True)
def uploads_and_documents(app, tmp_path, monkeypatch):
    monkeypatch.setitem(app.config, "UPLOAD_DIR", str(tmp_path / "uploads"))
    monkeypatch.setitem(app.config["DOCUMENTS"], "ON_COMMIT", True)  # rendered inline after commit


@pytest.fixture
def student(client, world):
    return ApiClient(client, world.student_account)


@pytest.fixture
def college(client, world):
    return ApiClient(client, world.college_reviewer)


@pytest.fixture
def school(client, world):
    return ApiClient(client, world.school_reviewer)


def error_code(response) -> str:
    return response.get_json()["error"]["code"]


def send_file(api, path: str, field: str, content: bytes, filename: str = "scan.jpg", **fields):
    """A multipart upload, encoded up front (the test client would spool a big one to a file)."""
    from werkzeug.datastructures import FileStorage
    from werkzeug.test import encode_multipart

    boundary, body = encode_multipart({field: FileStorage(io.BytesIO(content), filename), **fields})
    return api.post(path, data=body, content_type=f"multipart/form-data; boundary={boundary}")


def test_the_student_enters_generates_prints_and_feeds_back(student, college, school, world, db_session):
    listing = student.get("/student/paper-agreements").get_json()
    assert listing == {"items": [], "can_create": True, "blocker": None}
    created = student.post("/student/paper-agreements",
                           json={"content": {"employer": {"name": "长沙某公司"}}})
    assert created.status_code == 201, created.get_json()
    body = created.get_json()
    paper_id = body["id"]
    assert body["state"] == "draft" and body["document_label"] == "未生成"
    assert {"update", "discard", "generate"} <= set(body["actions"])
    assert "employer.credit_code" in body["problems"]
    assert student.get("/student/paper-agreements").get_json()["can_create"] is False
    updated = student.put(f"/student/paper-agreements/{paper_id}", json={"content": ph.content()}).get_json()
    assert updated["problems"] == {} and updated["labels"]["employer_nature"] == "机关"
    unconfirmed = student.post(f"/student/paper-agreements/{paper_id}/generate", json={"confirm": False})
    assert unconfirmed.status_code == 400 and error_code(unconfirmed) == "CONFIRMATION_REQUIRED"
    generated = student.post(f"/student/paper-agreements/{paper_id}/generate",
                             json={"confirm": True}).get_json()
    assert generated["state"] == "college_review" and generated["state_label"] == "协议书待学院审核"
    early = student.get(f"/paper-agreements/{paper_id}/document")
    assert early.status_code == 409 and error_code(early) == "AGREEMENT_NOT_NUMBERED"

    assert college.post(f"/review/paper-agreements/{paper_id}/approve").status_code == 200
    approved = school.post(f"/review/paper-agreements/{paper_id}/approve").get_json()
    assert approved["state"] == "awaiting_feedback" and approved["agreement_no"].startswith("2")

    pdf = student.get(f"/paper-agreements/{paper_id}/document")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf" and pdf.data.startswith(b"%PDF")
    png = student.get(f"/paper-agreements/{paper_id}/document.png")
    assert png.status_code == 200 and png.mimetype == "image/png"
    scan = ph.jpeg_bytes(ph.scan_image(pdf.data))
    fed = send_file(student, f"/student/paper-agreements/{paper_id}/feedback", "scan", scan)
    assert fed.status_code == 200, fed.get_json()
    fed = fed.get_json()
    assert fed["state"] == "college_verify" and fed["scan"]["match"] == "match"
    assert fed["scan"]["found_refs"] == [approved["agreement_no"]]

    seen = college.get(f"/review/paper-agreements/{paper_id}").get_json()
    assert seen["scan"]["match_label"] == "扫描件二维码与本协议书一致"
    assert seen["actions"] == ["approve", "reject"]
    college.post(f"/review/paper-agreements/{paper_id}/approve")
    done = school.post(f"/review/paper-agreements/{paper_id}/approve").get_json()
    assert done["state"] == "effective" and done["state_label"] == "签约审核通过"
    assert [f["action"] for f in done["flow"]][-2:] == ["paper_college_verify", "paper_school_verify"]
    home = student.get("/student/home").get_json()
    assert home["destination_status"]["kind"] == "paper"


def test_bad_uploads_are_4xx_with_chinese_messages_and_change_nothing(student, world, db_session):
    paper_id = ph.numbered(world)
    path = f"/student/paper-agreements/{paper_id}/feedback"

    def post(data: bytes, name: str = "x.png"):
        return send_file(student, path, "scan", data, name)

    cases = [
        (post(b"definitely not a png"), 415, "UNSUPPORTED_FILE_TYPE"),
        (post(b"%PDF-1.4\n" + b"1" * 100, "scan.pdf"), 415, "UNSUPPORTED_FILE_TYPE"),
        (post(ph.jpeg_bytes(ph.scan_image(ph.pdf_of(paper_id)))[:5000], "cut.jpg"), 415,
         "UNSUPPORTED_FILE_TYPE"),
        (post(b"\x89PNG\r\n\x1a\n" + b"\0" * (2 * 1024 * 1024)), 413, "FILE_TOO_LARGE"),
        (post(ph.png_bytes()), 400, "SCAN_WITHOUT_CODE"),
        (student.post(path, json={"scan": "x"}), 415, "UNSUPPORTED_MEDIA_TYPE"),
    ]
    for response, status, code in cases:
        assert response.status_code == status, (code, response.get_json())
        body = response.get_json()["error"]
        assert body["code"] == code and any("\u4e00" <= ch <= "\u9fff" for ch in body["message"])
    db_session.expire_all()
    assert db_session.get(PaperAgreement, paper_id).state.value == "awaiting_feedback"


def test_a_huge_image_is_refused_by_its_pixel_count(student, world, db_session):
    """A 20000×20000 PNG (tiny on the wire) is refused before it is decoded."""
    from PIL import Image

    paper_id = ph.numbered(world)
    out = io.BytesIO()
    Image.new("1", (20000, 20000)).save(out, "PNG")
    response = send_file(student, f"/student/paper-agreements/{paper_id}/feedback", "scan", out.getvalue(),
                         "big.png")
    assert response.status_code == 415 and error_code(response) == "IMAGE_TOO_LARGE"


def test_a_second_destination_is_a_409(student, world, db_session):
    ph.generated(world)
    second = student.post("/student/paper-agreements", json={"content": {}})
    assert second.status_code == 409 and error_code(second) == "ALREADY_SIGNED"
    listing = student.get("/student/paper-agreements").get_json()
    assert listing["can_create"] is False and "毕业去向" in listing["blocker"]


def test_the_review_queue_lists_what_waits_at_my_level(college, school, world, db_session):
    first = ph.generated(world)
    second = ph.numbered(world, world.student2_account)
    mine = college.get("/review/paper-agreements").get_json()
    assert [r["id"] for r in mine["items"]] == [first] and mine["waiting"] == 1
    assert mine["items"][0]["review_label"] == "协议书待学院审核"
    waiting = school.get("/review/paper-agreements?status=awaiting_feedback").get_json()
    assert [r["id"] for r in waiting["items"]] == [second] and waiting["items"][0]["agreement_no"]
    every = school.get("/review/paper-agreements?status=all&limit=1").get_json()
    assert len(every["items"]) == 1 and every["next_cursor"]
    rest = school.get(f"/review/paper-agreements?status=all&limit=1&cursor={every['next_cursor']}").get_json()
    assert {every["items"][0]["id"], rest["items"][0]["id"]} == {first, second}
    by_name = school.get(f"/review/paper-agreements?status=all&q={world.student2.student_no}").get_json()
    assert [r["id"] for r in by_name["items"]] == [second]
    bad = school.get("/review/paper-agreements?status=nonsense")
    assert bad.status_code == 400 and error_code(bad) == "BAD_STATUS"


def test_another_college_or_school_gets_404_and_an_employer_403(client, world, db_session):
    paper_id = ph.generated(world)
    for account in (world.other_college_reviewer, world.other_school_reviewer):
        other = ApiClient(client, account)
        assert other.get(f"/review/paper-agreements/{paper_id}").status_code == 404
        assert other.post(f"/review/paper-agreements/{paper_id}/approve").status_code == 404
        listed = other.get("/review/paper-agreements?status=all").get_json()["items"]
        assert paper_id not in [r["id"] for r in listed]
    other_student = ApiClient(client, world.student2_account)
    assert other_student.get(f"/student/paper-agreements/{paper_id}").status_code == 404
    assert ApiClient(client, world.hr).get(f"/paper-agreements/{paper_id}/document").status_code == 403


def test_a_rejection_needs_its_reason(college, world, db_session):
    paper_id = ph.generated(world)
    assert college.post(f"/review/paper-agreements/{paper_id}/reject", json={"reason": ""}).status_code == 400
    failed = college.post(f"/review/paper-agreements/{paper_id}/reject",
                          json={"reason": "信息不实"}).get_json()
    assert failed["state"] == "failed" and failed["last_remark"] == "信息不实"


def test_the_verification_page_reads_a_paper_number(client, world, db_session, app):
    from app.services import paper_documents

    paper_id = ph.effective(world)
    paper = db_session.get(PaperAgreement, paper_id)
    ref, code = paper_documents.expected_code(paper)
    page = client.get(f"/verify/{ref}?c={code}")
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and "线下签约" in text and "已生效" in text
    assert client.get(f"/verify/{ref}?c={'A' * 20}").status_code == 404


def test_the_pdf_says_what_the_student_entered(student, world, db_session):
    from pypdf import PdfReader

    paper_id = ph.numbered(world)
    data = student.get(f"/paper-agreements/{paper_id}/document").data
    text = "".join(p.extract_text().replace("\n", "") for p in PdfReader(io.BytesIO(data)).pages)
    number = db_session.scalar(select(PaperAgreement.agreement_no).where(PaperAgreement.id == paper_id))
    for expected in (number, "长沙麓山精密机械有限公司", "91430100MA4L16JQ9D", "机械设计工程师",
                     world.student.name,
                     "提供员工宿舍", "（线下签约）", "学校审核协议书通过"):
        assert expected in text, expected
    assert "未生效" not in text  # the copy to print carries no watermark


def test_a_draft_is_previewed_before_generation(student, world, db_session):
    draft = student.post("/student/paper-agreements", json={"content": {
        "employer": {"name": "长沙某公司", "credit_code": "bad"},
        "terms": {"position": "质检员", "report_deadline": "not a date",
                  "probation_salary": "abc"}}}).get_json()
    preview = student.get(f"/student/paper-agreements/{draft['id']}/preview")
    assert preview.status_code == 200, preview.get_json()
    body = preview.get_json()
    assert body["title"] == "全国普通高等学校毕业生就业协议书" and body["subtitle"] == "（线下签约）"
    employer = {x["label"]: x["value"] for x in body["parties"][0]}
    assert employer["单位名称"] == "长沙某公司" and employer["统一社会信用代码"] == "—"
    terms = {x["label"]: x["value"] for x in body["sections"][0]["lines"]}
    assert terms["拟聘用职位"] == "质检员" and terms["报到期限"] == "—"
    student.put(f"/student/paper-agreements/{draft['id']}", json={"content": ph.content()})
    full = student.get(f"/student/paper-agreements/{draft['id']}/preview").get_json()
    archive = {x["label"]: x["value"] for x in full["sections"][1]["lines"]}
    assert archive["档案接收"] == "签约单位接收"


def test_the_standard_termination_proof_is_filled_in(student, world, db_session):
    from pypdf import PdfReader

    paper_id = ph.numbered(world)
    early = student.get(f"/student/paper-agreements/{paper_id}/termination-proof")
    assert early.status_code == 409
    paper_id = ph.effective(world, world.student2_account)
    other = ApiClient(student.client, world.student2_account)
    pdf = other.get(f"/student/paper-agreements/{paper_id}/termination-proof")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    text = "".join(p.extract_text().replace("\n", "") for p in PdfReader(io.BytesIO(pdf.data)).pages)
    assert "就业协议解除证明" in text and world.student2.name in text and "长沙麓山精密机械有限公司" in text
    assert student.get(f"/student/paper-agreements/{paper_id}/termination-proof").status_code == 404


def test_the_student_asks_to_terminate_over_the_api(student, school, college, world, db_session):
    paper_id = ph.effective(world)
    asked = send_file(student, f"/student/paper-agreements/{paper_id}/terminations", "proof", ph.png_bytes(),
                      "proof.png", type="mutual", reason="双方协商一致", acknowledge="true")
    assert asked.status_code == 200, asked.get_json()
    body = asked.get_json()
    assert body["terminations"][0]["state"] == "college_review"
    assert "request_termination" not in body["actions"]
    termination_id = body["terminations"][0]["id"]
    seen = college.get(f"/review/paper-agreements/{paper_id}").get_json()
    assert seen["terminations"][0]["actions"] == ["approve", "reject"]
    college.post(f"/review/paper-terminations/{termination_id}/approve")
    done = school.post(f"/review/paper-terminations/{termination_id}/approve").get_json()
    assert done["state"] == "terminated" and done["terminations"][0]["state"] == "approved"
    pdf_proof = send_file(student, f"/student/paper-agreements/{paper_id}/terminations", "proof",
                          b"%PDF-1.4 fake", "proof.pdf", type="mutual", reason="再次", acknowledge="true")
    assert pdf_proof.status_code in (409, 415)


def test_a_30_mb_scan_is_a_413_with_the_envelope(student, world, db_session):
    paper_id = ph.numbered(world)
    response = send_file(student, f"/student/paper-agreements/{paper_id}/feedback", "scan",
                         b"\xff\xd8\xff" + b"\0" * (30 * 1024 * 1024), "huge.jpg")
    assert response.status_code == 413
    assert response.get_json()["error"]["message"]
    db_session.expire_all()
    assert db_session.get(PaperAgreement, paper_id).state.value == "awaiting_feedback"


def test_salary_below_the_minimum_wage_and_damages_above_the_cap_are_flagged(student, college, world,
                                                                             db_session):
    from app.models import MinimumWage

    world.school.liquidated_damages_cap = 1000
    db_session.add(MinimumWage(school_id=world.school.id, region_code="430100", monthly_wage=7000))
    db_session.flush()
    paper_id = ph.generated(world)
    checks = college.get(f"/review/paper-agreements/{paper_id}").get_json()["checks"]
    assert checks == ["试用起薪6000元/月低于" + world.school.name + "设定的工作地最低工资标准7000元/月",
                      "违约金2000元高于" + world.school.name + "规定的上限1000元"]
    assert student.get(f"/student/paper-agreements/{paper_id}").get_json()["checks"] == checks
