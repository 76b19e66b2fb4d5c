"""The 线下签约 tab in a real browser (Chromium): the college reviewer opens the tab, reads the
entered agreement and approves it; the school reviewer approves and gets the number; after the
student's stamped scan, the reviewer sees the QR match and the scan, and verifies the signing."""
from __future__ import annotations

from playwright.sync_api import expect

from tests.browser_fixtures import log_in, shot


def test_paper_agreement_reviewed_in_the_browser(page, live_world, committing_db, app, tmp_path,
                                                 monkeypatch):
    from app.services import paper_agreements
    from tests import paper_helpers

    monkeypatch.setitem(app.config, "UPLOAD_DIR", str(tmp_path))
    world = live_world
    paper_id = paper_helpers.generated(world)

    log_in(page, world.college_reviewer)
    page.goto("/review/signings")
    page.click("a.nav-link:has-text('线下签约')")
    page.wait_for_url("**/review/paper")
    row = page.locator(f"tr[data-id='{paper_id}']")
    expect(row).to_contain_text("协议书待学院审核")
    row.locator("a.btn:has-text('查看')").click()
    page.wait_for_url(f"**/review/paper/{paper_id}")
    assert "91430100MA4L16JQ9D" in page.inner_text("[data-section=employer]")
    page.click("button[value=approve]")
    page.wait_for_url("**/review/paper")
    assert "学院协议书审核通过" in page.inner_text("#flash-area")
    page.goto("/logout")

    log_in(page, world.school_reviewer)
    page.goto(f"/review/paper/{paper_id}")
    page.click("button[value=approve]")
    page.wait_for_url("**/review/paper")
    assert "协议书编号：2" in page.inner_text("#flash-area")

    committing_db.session.rollback()  # a fresh snapshot: the approvals were made by the server
    scan = paper_helpers.scan_upload(paper_id)
    paper_agreements.submit_scan(world.actor(world.student_account), paper_id, scan)
    committing_db.session.commit()
    page.goto("/logout")
    log_in(page, world.college_reviewer)
    page.goto(f"/review/paper/{paper_id}")
    assert "扫描件二维码与本协议书一致" in page.inner_text("[data-role=scan-match]")
    assert page.eval_on_selector("[data-section=scan] img", "img => img.naturalWidth") > 500
    shot(page, "review-paper-detail")
    page.click("button[value=approve]")
    page.wait_for_url("**/review/paper")
    assert "已提交学校签约审核" in page.inner_text("#flash-area")
