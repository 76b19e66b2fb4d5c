"""其他去向 over the API: the categories, the student's registration (暂存, 保存并送审, evidence,
withdraw, cancellation) and the review API — with the bad inputs and who may see what."""
from __future__ import annotations

import io

import pytest
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from app.models import OtherDestination
from tests import review_helpers
from tests.api_helpers import ApiClient
from tests.destination_helpers import archive, png

BASE = "/student/other-destinations"


def body(**overrides):
    data = {"category_code": "80", "subcategory_code": "801",
            "fields": {"admitting_institution": "湖南大学", "institution_region": "430104",
                       "admitted_major": "计算机科学与技术", "study_mode": "full_time",
                       "archive_disposition": "institution"},
            "dispatch": {"unit": "湖南大学", "region_code": "430104"}, "archive": archive()}
    data.update(overrides)
    return data


@pytest.fixture(autouse=True)
def upload_dir(app, tmp_path, monkeypatch):
    monkeypatch.setitem(app.config, "UPLOAD_DIR", str(tmp_path / "uploads"))


def multipart(api, path: str, **fields):
    """A multipart POST, encoded up front (the test client would spool a big one to a file)."""
    boundary, data = encode_multipart(fields)
    return api.post(path, data=data, content_type=f"multipart/form-data; boundary={boundary}")


def upload(api, destination_id, file=None):
    return multipart(api, f"{BASE}/{destination_id}/evidence", file=file or png())


def fetched(api, url: str) -> int:
    """The status of an image download (the file response closed again)."""
    response = api.get(url.removeprefix("/api/v1"))
    response.close()
    return response.status_code


def submitted(client, world) -> tuple[ApiClient, int]:
    api = ApiClient(client, world.student_account)
    created = api.post(BASE, body())
    assert created.status_code == 200, created.get_json()
    destination_id = created.get_json()["id"]
    assert upload(api, destination_id).status_code == 200
    response = api.post(f"{BASE}/{destination_id}/submit")
    assert response.status_code == 200, response.get_json()
    return api, destination_id


def test_categories_carry_forms_children_and_the_notice(client, world, dicts):
    data = ApiClient(client, world.student_account).get("/destination-categories").get_json()
    codes = [c["code"] for c in data["items"]]
    assert "10" not in codes and "80" in codes and "70" in codes
    study = next(c for c in data["items"] if c["code"] == "80")
    assert [c["code"] for c in study["children"]] == ["801", "802"]
    child = study["children"][0]
    mode = next(f for f in child["fields"] if f["key"] == "archive_disposition")
    assert mode["default"] == "home" and {"value": "home", "label": "户档迁回原籍",
                                          "when": {"study_mode": ["part_time"]}} in mode["options"]
    assert child["dispatch"]["unit_label"] == "录取院校名称" and child["evidence"]
    assert "撤回" in data["notice"] and data["archive_labels"]["address"] == "档案转递地址"


def test_draft_evidence_submit_and_the_detail(client, world, dicts):
    api = ApiClient(client, world.student_account)
    draft = api.post(BASE, {"category_code": "80", "subcategory_code": "801",
                            "fields": {"admitting_institution": "湖南大学"}})
    assert draft.status_code == 200, draft.get_json()
    d = draft.get_json()
    assert d["state"] == "draft" and d["allowed_actions"] == ["edit"]  # 送审 once complete
    assert {"fields.admitted_major", "archive.address", "evidence"} <= set(d["incomplete"])
    refused = api.post(f"{BASE}/{d['id']}/submit")
    assert refused.status_code == 400 and refused.get_json()["error"]["code"] == "DESTINATION_INCOMPLETE"
    assert api.put(f"{BASE}/{d['id']}", body()).status_code == 200
    uploaded = upload(api, d["id"])
    assert uploaded.status_code == 200 and uploaded.get_json()["incomplete"] == {}
    assert uploaded.get_json()["allowed_actions"] == ["edit", "submit"]
    image = uploaded.get_json()["files"][0]
    assert fetched(api, image["url"]) == 200
    sent = api.post(f"{BASE}/{d['id']}/submit", headers={"Idempotency-Key": "submit-0001"})
    assert sent.status_code == 200
    again = api.post(f"{BASE}/{d['id']}/submit", headers={"Idempotency-Key": "submit-0001"})
    assert again.status_code == 200 and again.get_json()["state"] == "college_review"  # replayed
    detail = api.get(f"{BASE}/{d['id']}").get_json()
    assert detail["state_label"] == "等待学院审核" and detail["allowed_actions"] == ["withdraw"]
    assert detail["labels"]["430104"] == "湖南省 长沙市 岳麓区"
    assert [e["action_label"] for e in detail["flow"]][-1] == "学生保存并送审"
    listed = api.get(BASE).get_json()["items"]
    assert [i["id"] for i in listed] == [d["id"]] and listed[0]["unit_name"] == "湖南大学"
    home = api.get("/student/home").get_json()
    assert home["destination_status"]["kind"] == "other"


def test_bad_input_is_a_400_with_the_field_and_nothing_changes(client, world, db_session, dicts):
    api = ApiClient(client, world.student_account)
    no_house = api.post(BASE, body(archive=archive(address="长沙市芙蓉区五一大道")))
    assert no_house.status_code == 400
    assert no_house.get_json()["error"]["fields"] == {"archive.address": "档案转递地址应精确到门牌号"}
    unknown = api.post(BASE, body(color="red"))
    assert unknown.status_code == 400
    wrong_sub = api.post(BASE, body(subcategory_code="502"))
    assert wrong_sub.status_code == 400 and "subcategory_code" in wrong_sub.get_json()["error"]["fields"]
    bad_region = api.post(BASE, body(dispatch={"unit": "湖南大学", "region_code": "43010"}))
    assert bad_region.status_code == 400
    assert db_session.query(OtherDestination).count() == 0


def test_uploads_are_sniffed_and_limited(client, world, db_session, dicts):
    api = ApiClient(client, world.student_account)
    destination_id = api.post(BASE, body()).get_json()["id"]
    fake = upload(api, destination_id, FileStorage(io.BytesIO(b"\x89PNG\r\n\x1a\n" + b"0" * 100),
                                                    filename="a.png", content_type="image/png"))
    assert fake.status_code == 415
    pdf = upload(api, destination_id, FileStorage(io.BytesIO(b"%PDF-1.4 fake"), filename="a.pdf",
                                                   content_type="application/pdf"))
    assert pdf.status_code == 415
    huge = upload(api, destination_id, FileStorage(io.BytesIO(b"\xff\xd8\xff" + b"0" * (3 * 1024 * 1024)),
                                                    filename="big.jpg", content_type="image/jpeg"))
    assert huge.status_code == 413
    assert db_session.get(OtherDestination, destination_id).files == []


def test_a_second_destination_is_a_409(client, world, dicts):
    review_helpers.accepted(world)
    api = ApiClient(client, world.student_account)
    response = api.post(BASE, body(category_code="70", subcategory_code=None, fields={}, dispatch=None,
                                   submit=True))
    assert response.status_code == 409
    assert response.get_json()["error"]["code"] == "ALREADY_SIGNED"


def test_withdraw_then_cancel_an_approved_one(client, world, dicts):
    api, destination_id = submitted(client, world)
    assert api.post(f"{BASE}/{destination_id}/withdraw").get_json()["state"] == "draft"
    assert api.post(f"{BASE}/{destination_id}/submit").status_code == 200
    college, school = ApiClient(client, world.college_reviewer), ApiClient(client, world.school_reviewer)
    assert college.post(f"/review/destinations/{destination_id}/approve", {}).get_json()["state"] == "school_review"
    assert school.post(f"/review/destinations/{destination_id}/approve", {}).get_json()["state"] == "approved"
    no_reason = multipart(api, f"{BASE}/{destination_id}/cancellations", reason="")
    assert no_reason.status_code == 400
    asked = multipart(api, f"{BASE}/{destination_id}/cancellations", reason="已与单位签约", file=png("proof.png"))
    assert asked.status_code == 200, asked.get_json()
    assert asked.get_json()["state"] == "cancel_college_review"
    assert [f["purpose"] for f in asked.get_json()["files"]] == ["evidence", "cancellation"]
    assert college.get("/review/home").get_json()["destinations_waiting"] == 1
    queue = college.get("/review/destinations").get_json()
    assert [i["id"] for i in queue["items"]] == [destination_id]
    assert queue["items"][0]["state_label"] == "注销申请等待学院审核"
    detail = college.get(f"/review/destinations/{destination_id}").get_json()
    assert detail["cancelling"] and detail["cancel_reason"] == "已与单位签约" and detail["chain_ok"]
    assert fetched(college, detail["files"][1]["url"]) == 200
    college.post(f"/review/destinations/{destination_id}/approve", {})
    done = school.post(f"/review/destinations/{destination_id}/approve", {}).get_json()
    assert done["state"] == "cancelled"


def test_review_reject_needs_a_reason_and_the_student_resubmits(client, world, dicts):
    api, destination_id = submitted(client, world)
    college = ApiClient(client, world.college_reviewer)
    assert college.post(f"/review/destinations/{destination_id}/reject", {"reason": ""}).status_code == 400
    rejected = college.post(f"/review/destinations/{destination_id}/reject", {"reason": "录取通知书不清晰"})
    assert rejected.get_json()["state"] == "rejected"
    mine = api.get(f"{BASE}/{destination_id}").get_json()
    assert mine["last_remark"] == "录取通知书不清晰" and "submit" in mine["allowed_actions"]
    again = api.put(f"{BASE}/{destination_id}", body(submit=True))
    assert again.status_code == 200 and again.get_json()["state"] == "college_review"


def test_who_may_see_what(client, world, dicts):
    api, destination_id = submitted(client, world)
    image = api.get(f"{BASE}/{destination_id}").get_json()["files"][0]["url"]
    for account in (world.other_college_reviewer, world.other_school_reviewer):
        other = ApiClient(client, account)
        assert other.get(f"/review/destinations/{destination_id}").status_code == 404
        assert other.post(f"/review/destinations/{destination_id}/approve", {}).status_code == 404
        assert other.get(f"/review/destinations/{destination_id}/files/1").status_code == 404
        assert other.get("/review/destinations?status=all").get_json()["items"] == []
    student2 = ApiClient(client, world.student2_account)
    assert student2.get(f"{BASE}/{destination_id}").status_code == 404
    assert fetched(student2, image) == 404
    assert student2.post(f"{BASE}/{destination_id}/withdraw").status_code == 404
    hr = ApiClient(client, world.hr)
    assert hr.get(BASE).status_code == 403
    assert hr.get("/review/destinations").status_code == 403
    assert hr.get("/destination-categories").status_code == 403
    assert api.get("/review/destinations").status_code == 403
    assert ApiClient(client, world.school_reviewer).post(
        f"/review/destinations/{destination_id}/approve", {}).status_code == 403  # the college's turn
