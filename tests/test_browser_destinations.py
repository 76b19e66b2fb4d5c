"""其他去向 through a real server: the student registers over HTTP as the mini-program does (draft,
evidence upload, 送审), the college and school reviewers decide in Chromium, the student asks to
cancel and the reviewers approve the cancellation."""
from __future__ import annotations

import io

import pytest
from PIL import Image

from tests.browser_fixtures import log_in, shot

API = "/api/v1"


@pytest.fixture(autouse=True)
def upload_dir(app, tmp_path, monkeypatch):
    monkeypatch.setitem(app.config, "UPLOAD_DIR", str(tmp_path / "uploads"))


def _png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (60, 40), (30, 120, 200)).save(out, "PNG")
    return out.getvalue()


def _student_api(page, account):
    token = page.request.post(f"{API}/_test/token", data={"account_id": account.id}).json()["token"]
    return {"Authorization": f"Bearer {token}"}


def test_registration_reviewed_then_cancelled(page, live_world, committing_db):
    world = live_world
    headers = _student_api(page, world.student_account)
    body = {"category_code": "80", "subcategory_code": "801",
            "fields": {"admitting_institution": "中南大学", "institution_region": "430104",
                       "admitted_major": "软件工程", "study_mode": "full_time",
                       "archive_disposition": "institution"},
            "dispatch": {"unit": "中南大学", "region_code": "430104"},
            "archive": {"unit": "中南大学研究生院", "address": "长沙市岳麓区麓山南路932号", "postcode": "410083",
                        "contact": "王老师（0731-88876543）", "hukou_not_moved": True}}
    created = page.request.post(f"{API}/student/other-destinations", data=body, headers=headers)
    assert created.status == 200, created.text()
    destination_id = created.json()["id"]
    uploaded = page.request.post(f"{API}/student/other-destinations/{destination_id}/evidence", headers=headers,
                                 multipart={"file": {"name": "offer.png", "mimeType": "image/png",
                                                     "buffer": _png()}})
    assert uploaded.status == 200, uploaded.text()
    sent = page.request.post(f"{API}/student/other-destinations/{destination_id}/submit", headers=headers)
    assert sent.json()["state"] == "college_review"

    log_in(page, world.college_reviewer)
    page.click("text=其他去向")
    assert page.inner_text("[data-tab-count=destinations]") == "1"
    page.click(f"tr[data-id='{destination_id}'] >> text=查看")
    page.wait_for_url(f"**/review/destinations/{destination_id}")
    assert "中南大学" in page.inner_text("[data-section=employment]")
    assert "麓山南路932号" in page.inner_text("[data-section=archive]")
    assert page.locator("[data-section=evidence] img").evaluate("img => img.naturalWidth") == 60
    assert page.inner_text("[data-role=chain]").startswith("✓")
    shot(page, "destination-detail")
    page.click("button[value=approve]")
    page.wait_for_url("**/review/destinations")
    assert "学院审核通过" in page.inner_text("#flash-area")
    page.goto("/logout")

    log_in(page, world.school_reviewer)
    page.goto(f"/review/destinations/{destination_id}")
    page.click("button[value=approve]")
    page.wait_for_url("**/review/destinations")
    assert "去向已生效" in page.inner_text("#flash-area")

    asked = page.request.post(f"{API}/student/other-destinations/{destination_id}/cancellations", headers=headers,
                              multipart={"reason": "已与单位签订就业协议"})
    assert asked.json()["state"] == "cancel_college_review"
    page.goto("/logout")
    log_in(page, world.college_reviewer)
    page.goto(f"/review/destinations/{destination_id}")
    assert "学生申请注销该去向" in page.inner_text("[data-role=cancellation]")
    page.click("summary:has-text('注销审核不通过')")
    page.fill("#reject-reason", "请补充签约材料")
    page.click("button[value=reject]")
    page.wait_for_url("**/review/destinations")
    assert "该去向继续有效" in page.inner_text("#flash-area")
    mine = page.request.get(f"{API}/student/other-destinations/{destination_id}", headers=headers).json()
    assert mine["state"] == "approved" and mine["allowed_actions"] == ["request_cancel"]
