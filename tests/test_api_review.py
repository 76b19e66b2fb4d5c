"""The review API (/api/v1/review/…): the whole lifecycle through the API as reviewers' phones
and the parties' mini-programs use it; errors, idempotency, per-item batches, interventions,
employer verification, and a reviewer account bound in the mini-program."""
from __future__ import annotations

import io

import pytest
from PIL import Image
from sqlalchemy import func, select

from app.models import AccountEvent, FlowEntry, Invitation
from tests.api_helpers import ApiClient, terms_json
from tests.factories import TEST_PASSWORD
from tests.review_helpers import accepted, effective
from tests.wechat_fixtures import *  # noqa: F401,F403


@pytest.fixture
def apis(client, world, db_session):
    class Apis:
        hr = ApiClient(client, world.hr)
        student = ApiClient(client, world.student_account)
        college = ApiClient(client, world.college_reviewer)
        school = ApiClient(client, world.school_reviewer)
        other_college = ApiClient(client, world.other_college_reviewer)
        admin = ApiClient(client, world.admin)
    return Apis


def test_the_whole_lifecycle_through_the_api(apis, world, db_session):
    """Invite, accept, college and school approval with the number; termination requested,
    agreed, approved at both levels — every step a request."""
    sent = apis.hr.post("/employer/invitations", {"student_ids": [world.student.id], "terms": terms_json()})
    invitation_id = sent.get_json()["results"][0]["invitation_id"]
    assert apis.student.post(f"/student/invitations/{invitation_id}/accept",
                             {"revision": 1, "confirm": True}).status_code == 200

    home = apis.college.get("/review/home").get_json()
    assert home["signings_waiting"] == 1 and home["college"] == world.college.name
    queue = apis.college.get("/review/signings").get_json()
    assert [i["id"] for i in queue["items"]] == [invitation_id]
    assert queue["items"][0]["signing_review"] == "等待学院审核" and queue["items"][0]["age_days"] == 0
    detail = apis.college.get(f"/review/signings/{invitation_id}").get_json()
    assert detail["allowed_actions"] == ["approve", "reject"] and detail["flow_chain_ok"]
    assert detail["student"]["id_number_masked"] != world.student.id_number
    assert "欺诈" in detail["rejection_warning"]

    after_college = apis.college.post(f"/review/signings/{invitation_id}/approve", {}).get_json()
    assert after_college["state"] == "school_review" and after_college["allowed_actions"] == []
    after_school = apis.school.post(f"/review/signings/{invitation_id}/approve", {"remark": "材料齐全"})
    body = after_school.get_json()
    assert body["state"] == "effective" and body["agreement_no"].startswith(f"12026{world.school.code}")

    asked = apis.hr.post(f"/employer/agreements/{invitation_id}/terminations",
                         {"reason": "单位业务调整", "acknowledge": True}).get_json()
    apis.student.post(f"/student/terminations/{asked['id']}/agree", {"confirm": True})
    terminations = apis.college.get("/review/terminations").get_json()["items"]
    assert [t["id"] for t in terminations] == [asked["id"]] and terminations[0]["reason"] == "单位业务调整"
    step = apis.college.post(f"/review/terminations/{asked['id']}/approve", {}).get_json()
    assert step["state"] == "school_review"
    done = apis.school.post(f"/review/terminations/{asked['id']}/approve", {}).get_json()
    assert done["state"] == "approved" and done["agreement"]["state"] == "terminated"


def test_reject_needs_a_reason(apis, world, db_session):
    invitation_id = accepted(world)
    missing = apis.college.post(f"/review/signings/{invitation_id}/reject", {})
    assert missing.status_code == 400 and missing.get_json()["error"]["fields"] == {"reason": "必填"}
    blank = apis.college.post(f"/review/signings/{invitation_id}/reject", {"reason": " "})
    assert blank.status_code == 400
    done = apis.college.post(f"/review/signings/{invitation_id}/reject", {"reason": "信息不实"})
    assert done.status_code == 200 and done.get_json()["state"] == "review_rejected"


def test_wrong_level_or_state_is_a_409_and_another_college_a_404(apis, world, db_session):
    invitation_id = accepted(world)
    early = apis.school.post(f"/review/signings/{invitation_id}/approve", {})
    assert early.status_code in (403, 409) and early.get_json()["error"]["code"]
    assert apis.other_college.get(f"/review/signings/{invitation_id}").status_code == 404
    assert apis.other_college.post(f"/review/signings/{invitation_id}/approve", {}).status_code == 404
    assert apis.other_college.get("/review/signings?status=all").get_json()["items"] == []


def test_a_repeated_approval_with_its_key_is_one_transition(apis, world, db_session):
    """A double tap (same Idempotency-Key): one flow entry, the first answer replayed."""
    invitation_id = accepted(world)
    headers = {"Idempotency-Key": "approve-once-123"}
    first = apis.college.post(f"/review/signings/{invitation_id}/approve", {}, headers=headers)
    again = apis.college.post(f"/review/signings/{invitation_id}/approve", {}, headers=headers)
    assert first.status_code == again.status_code == 200
    assert again.headers["Idempotent-Replayed"] == "true" and again.get_json() == first.get_json()
    approvals = db_session.scalar(select(func.count()).select_from(FlowEntry).where(
        FlowEntry.subject_id == invitation_id, FlowEntry.action == "college_approve"))
    assert approvals == 1


def test_batch_approve_gives_a_result_per_item(apis, world, db_session):
    ours = accepted(world)
    outside = 987654
    response = apis.college.post("/review/signings/batch-approve", {"ids": [ours, outside, ours]})
    body = response.get_json()
    assert response.status_code == 200 and body["succeeded"] == 1 and body["failed"] == 1
    assert [(r["id"], r["ok"]) for r in body["results"]] == [(ours, True), (outside, False)]
    too_many = apis.college.post("/review/signings/batch-approve", {"ids": list(range(1, 102))})
    assert too_many.status_code == 400


def test_queue_filters_and_cursor(apis, world, db_session):
    first = accepted(world)
    second = accepted(world, student=world.student2)
    page = apis.college.get("/review/signings?limit=1").get_json()
    assert len(page["items"]) == 1 and page["next_cursor"]
    rest = apis.college.get(f"/review/signings?limit=1&cursor={page['next_cursor']}").get_json()
    assert {page["items"][0]["id"], rest["items"][0]["id"]} == {first, second} and rest["next_cursor"] is None
    by_no = apis.college.get(f"/review/signings?q={world.student2.student_no}").get_json()
    assert [i["id"] for i in by_no["items"]] == [second]
    assert apis.college.get("/review/signings?status=bogus").status_code == 400
    assert apis.college.get("/review/signings?cursor=%21%21").status_code == 400
    assert apis.college.get("/review/signings?from=2026-02-30").status_code == 400


def test_reveal_is_logged(apis, world, db_session):
    invitation_id = accepted(world)
    response = apis.college.post(f"/review/signings/{invitation_id}/reveal", {"field": "phone"})
    assert response.get_json() == {"field": "phone", "value": world.student.phone}
    logged = db_session.scalar(select(AccountEvent).where(AccountEvent.action == "pii_reveal"))
    assert logged.account_id == world.college_reviewer.id and logged.detail["field"] == "phone"


def test_interventions_need_confirmation(apis, world, db_session):
    invitation_id = effective(world)
    unconfirmed = apis.school.post(f"/review/agreements/{invitation_id}/void",
                                   {"reason": "信息有误", "confirm": False})
    assert unconfirmed.status_code == 400
    assert unconfirmed.get_json()["error"]["code"] == "CONFIRMATION_REQUIRED"
    assert apis.college.post(f"/review/agreements/{invitation_id}/void",
                             {"reason": "x", "confirm": True}).status_code == 403
    withdrawn = apis.school.post(f"/review/agreements/{invitation_id}/withdraw-approval",
                                 {"reason": "协议内容有误", "confirm": True}).get_json()
    assert withdrawn["state"] == "school_review" and withdrawn["agreement_no"]
    invalid = apis.school.post(f"/review/agreements/{invitation_id}/invalidate",
                               {"reason": "学生信息不实", "confirm": True}).get_json()
    assert invalid["state"] == "invalidated"


def test_forced_termination_with_evidence(apis, world, db_session, app, tmp_path, monkeypatch):
    monkeypatch.setitem(app.config, "UPLOAD_DIR", str(tmp_path))
    invitation_id = effective(world)
    image = io.BytesIO()
    Image.new("RGB", (20, 20), (0, 90, 200)).save(image, "JPEG")
    image.seek(0)
    response = apis.school.client.post(
        f"/api/v1/review/agreements/{invitation_id}/force-terminate", headers=apis.school.headers,
        data={"reason": "单位已注销", "confirm": "true", "evidence": (image, "证明.jpg")},
        content_type="multipart/form-data")
    body = response.get_json()
    assert response.status_code == 200, body
    assert body["state"] == "terminated" and [e["kind"] for e in body["evidence"]][-1] == "intervention"
    url = body["evidence"][-1]["url"]
    shown = apis.school.client.get(url, headers=apis.school.headers)
    assert (shown.status_code, shown.mimetype) == (200, "image/jpeg") and shown.data[:2] == b"\xff\xd8"
    shown.close()
    assert apis.school.client.get(url).status_code == 401
    other = ApiClient(apis.school.client, world.other_school_reviewer)
    assert other.client.get(url, headers=other.headers).status_code == 404
    json_instead = apis.school.post(f"/review/agreements/{effective(world, student=world.student2)}"
                                    "/force-terminate", {"reason": "x", "confirm": True})
    assert json_instead.status_code == 415  # evidence goes as a form, as everywhere in the API


def test_employer_verification_queue(apis, world, db_session, app, tmp_path, monkeypatch):
    from werkzeug.datastructures import FileStorage

    from app.services import employers

    monkeypatch.setitem(app.config, "UPLOAD_DIR", str(tmp_path))
    world.other_employer.verification_status = world.other_employer.verification_status.PENDING
    world.other_employer.verified_at = None
    db_session.commit()
    image = io.BytesIO()
    Image.new("RGB", (20, 20)).save(image, "PNG")
    image.seek(0)
    employers.submit_evidence(world.actor(world.other_hr), FileStorage(image, "licence.png"))
    listed = apis.school.get("/review/employers").get_json()["items"]
    assert [e["id"] for e in listed] == [world.other_employer.id] and listed[0]["evidence"]
    licence = apis.school.client.get(listed[0]["evidence"][0]["url"], headers=apis.school.headers)
    assert (licence.status_code, licence.mimetype) == (200, "image/png")
    licence.close()
    assert apis.college.get("/review/employers").status_code == 403
    no_reason = apis.admin.post(f"/review/employers/{world.other_employer.id}/verify", {"decision": "reject"})
    assert no_reason.status_code == 400
    done = apis.admin.post(f"/review/employers/{world.other_employer.id}/verify", {"decision": "approve"})
    assert done.status_code == 200 and done.get_json()["verification_status"] == "approved"


@pytest.fixture
def wx(emu_app, live_app, db_session, redis_client):
    """The emulator-enabled app calling the live emulator (as tests/test_auth_binding.py)."""
    from wechat.clients import reset_clients

    saved = dict(emu_app.config["WECHAT"])
    base = live_app.config["WECHAT"]["API_BASE"]
    emu_app.config["WECHAT"].update(API_BASE=base, MP_BASE=base, OPEN_BASE=base)
    with emu_app.app_context():
        reset_clients()
        yield emu_app.test_client()
        reset_clients()
    emu_app.config["WECHAT"].update(saved)


def test_a_reviewer_binds_in_the_mini_program_and_reviews(world, wx, db_session):
    """Does a college reviewer bind their account in the mini-program like an employer user, and
    does the token then open the review API?"""
    from wechat.emulator.core import key, store

    invitation_id = accepted(world)
    store().delete(key("used", "jscode", "dev:mp-reviewer"))
    login = wx.post("/api/v1/auth/wxa-login", json={"code": "dev:mp-reviewer"}).get_json()
    bound = wx.post("/api/v1/auth/bind/employer", headers={"Authorization": f"Bearer {login['token']}"},
                    json={"username": world.college_reviewer.username, "password": TEST_PASSWORD})
    body = bound.get_json()
    assert bound.status_code == 200 and body["role"] == "college_reviewer", body
    assert body["profile"]["college"] == world.college.name
    headers = {"Authorization": f"Bearer {body['token']}"}
    queue = wx.get("/api/v1/review/signings", headers=headers)
    assert [i["id"] for i in queue.get_json()["items"]] == [invitation_id], queue.get_data(as_text=True)
    approved = wx.post(f"/api/v1/review/signings/{invitation_id}/approve", json={}, headers=headers)
    assert approved.status_code == 200, approved.get_data(as_text=True)
    assert db_session.get(Invitation, invitation_id).state.value == "school_review"
