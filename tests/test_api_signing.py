"""The signing lifecycle through HTTP, as the mini-program calls it."""
from __future__ import annotations

from tests.api_helpers import ApiClient, terms_json


def test_invite_accept_review_effective_over_http(world, client):
    """Can an employer invite, the student accept, and both reviewers approve, with the student
    seeing each step and the agreement number at the end?"""
    from app.services import reviews

    hr = ApiClient(client, world.hr)
    student = ApiClient(client, world.student_account)

    sent = hr.post("/employer/invitations", {"student_ids": [world.student.id], "terms": terms_json()})
    assert sent.status_code == 200, sent.get_json()
    assert sent.get_json()["sent"] == 1
    inv_id = sent.get_json()["results"][0]["invitation_id"]

    home = student.get("/student/home").get_json()
    assert home["open_invitations"] == 1 and home["unread_notifications"] == 1

    listing = student.get("/student/invitations?status=open").get_json()
    assert [i["id"] for i in listing["items"]] == [inv_id]
    detail = student.get(f"/student/invitations/{inv_id}").get_json()
    assert "请于" in detail["letter"] and detail["terms"]["position"] == "软件工程师"
    assert detail["student"]["id_number"] == world.student.id_number  # the student sees their own

    refused = student.post(f"/student/invitations/{inv_id}/accept", {"revision": 1, "confirm": False})
    assert refused.status_code == 400 and refused.get_json()["error"]["code"] == "CONFIRMATION_REQUIRED"

    accepted = student.post(f"/student/invitations/{inv_id}/accept", {"revision": 1, "confirm": True})
    assert accepted.status_code == 200 and accepted.get_json()["state"] == "college_review"

    employer_view = hr.get(f"/employer/invitations/{inv_id}").get_json()
    assert "*" in employer_view["student"]["id_number"]  # employers see it masked

    reviews.approve_signing(world.actor(world.college_reviewer), inv_id)
    reviews.approve_signing(world.actor(world.school_reviewer), inv_id)
    final = student.get(f"/student/invitations/{inv_id}").get_json()
    assert final["state"] == "effective" and final["agreement_no"].startswith("12026")
    assert [f["action"] for f in final["flow"]] == ["invite", "accept", "college_approve",
                                                   "school_approve"]
    assert student.get("/student/home").get_json()["destination"]["id"] == inv_id


def test_validation_errors_name_the_fields(world, client):
    hr = ApiClient(client, world.hr)
    bad = hr.post("/employer/invitations", {"student_ids": [], "terms": {"position": ""}})
    body = bad.get_json()
    assert bad.status_code == 400 and body["error"]["code"] == "VALIDATION_FAILED"
    assert "student_ids" in body["error"]["fields"]


def test_idempotency_key_replays_the_first_result(world, client):
    """Does a double tap with the same Idempotency-Key accept once and answer twice the same?"""
    from sqlalchemy import func, select

    from app.models import FlowEntry

    hr = ApiClient(client, world.hr)
    student = ApiClient(client, world.student_account)
    inv_id = hr.post("/employer/invitations", {"student_ids": [world.student.id],
                                               "terms": terms_json()}).get_json()["results"][0]["invitation_id"]
    headers = {"Idempotency-Key": "tap-0001-abcdef"}
    first = student.post(f"/student/invitations/{inv_id}/accept", {"revision": 1, "confirm": True},
                         headers=headers)
    second = student.post(f"/student/invitations/{inv_id}/accept", {"revision": 1, "confirm": True},
                          headers=headers)
    assert first.status_code == second.status_code == 200
    assert second.headers["Idempotent-Replayed"] == "true"
    assert first.get_json() == second.get_json()
    from app.extensions import db

    assert db.session.scalar(select(func.count()).select_from(FlowEntry).where(
        FlowEntry.subject_id == inv_id, FlowEntry.action == "accept")) == 1
    other = student.post(f"/student/invitations/{inv_id}/reject", {"reason": "x"}, headers=headers)
    assert other.status_code == 422


def test_etag_gives_304(world, client):
    student = ApiClient(client, world.student_account)
    first = student.get("/student/home")
    again = student.get("/student/home", headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304


def test_notifications_inbox_and_read(world, client):
    hr = ApiClient(client, world.hr)
    student = ApiClient(client, world.student_account)
    hr.post("/employer/invitations", {"student_ids": [world.student.id], "terms": terms_json()})
    inbox = student.get("/notifications").get_json()
    assert inbox["unread"] == 1 and inbox["items"][0]["event"] == "invitation_received"
    assert inbox["items"][0]["page"].startswith("pages/student/invitation/detail?id=")
    assert student.post("/notifications/read", {}).get_json()["marked"] == 1
    assert student.get("/notifications").get_json()["unread"] == 0


def test_redis_down_is_a_503_not_a_crash(world, client, monkeypatch):
    """With Redis unreachable, does the API answer 503 SERVICE_UNAVAILABLE with Retry-After?"""
    import redis

    from app.extensions import redis_ext

    token_client = ApiClient(client, world.student_account)

    def unreachable(*args, **kwargs):
        raise redis.exceptions.ConnectionError("Redis is down")

    monkeypatch.setattr(type(redis_ext.client), "get", unreachable)
    response = token_client.get("/student/home")
    assert response.status_code == 503
    assert response.get_json()["error"]["code"] == "SERVICE_UNAVAILABLE"
    assert response.headers["Retry-After"] == "5"


def test_letter_names_its_dictionary_codes(world, client, dicts):
    """Does the letter carry the names of its job category and region, not just codes?"""
    hr = ApiClient(client, world.hr)
    terms = terms_json(work_region_code="430100")
    inv_id = hr.post("/employer/invitations", {"student_ids": [world.student.id],
                                               "terms": terms}).get_json()["results"][0]["invitation_id"]
    labels = ApiClient(client, world.student_account).get(f"/student/invitations/{inv_id}").get_json()["labels"]
    assert labels["job_category"] == "工程技术人员"
    assert labels["employer_industry"].startswith("信息传输")
    assert labels["work_region"] == "长沙市"
