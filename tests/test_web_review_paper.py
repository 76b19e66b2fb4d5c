"""The reviewers' 线下签约 pages: the queue tab, the detail with the scan's QR match, decisions with
CSRF at each level, terminations with their proofs, and 404 outside the reviewer's reach."""
from __future__ import annotations

import re

import pytest

from app.models import PaperAgreement
from app.services import paper_agreements
from tests import paper_helpers as ph
from tests.test_web_review import logged_in, post_form, text


@pytest.fixture(autouse=True)
def upload_dir(app, tmp_path, monkeypatch):
    monkeypatch.setitem(app.config, "UPLOAD_DIR", str(tmp_path / "uploads"))


def state(db_session, paper_id: int) -> str:
    db_session.expire_all()
    return db_session.get(PaperAgreement, paper_id).state.value


def test_the_paper_tab_lists_what_waits_and_links_the_detail(app, world, db_session):
    paper_id = ph.generated(world)
    client = logged_in(app, world.college_reviewer)
    page = text(client.get("/review/paper"))
    assert 'data-tab-count="paper">1<' in page and "长沙麓山精密机械有限公司" in page
    assert f"/review/paper/{paper_id}" in page and "协议书待学院审核" in page and "纸质签约" in page
    assert 'data-tab-count="paper">1<' in text(client.get("/review/signings"))  # the tab is on every queue
    empty = text(client.get("/review/paper?status=effective"))
    assert "没有符合条件的记录" in empty


def test_first_review_at_both_levels_then_the_scan_and_its_match(app, world, db_session):
    paper_id = ph.generated(world)
    path = f"/review/paper/{paper_id}"
    college = logged_in(app, world.college_reviewer)
    detail = text(college.get(path))
    assert "协议书审核通过" in detail and "机械设计工程师" in detail and "91430100MA4L16JQ9D" in detail
    assert post_form(college, path, {"action": "approve"}).status_code == 303
    assert state(db_session, paper_id) == "school_review"
    school = logged_in(app, world.school_reviewer)
    post_form(school, path, {"action": "approve"})
    assert state(db_session, paper_id) == "awaiting_feedback"
    assert "等待学生反馈签约材料" in text(school.get("/review/paper", follow_redirects=True))

    paper_agreements.submit_scan(world.actor(world.student_account), paper_id, ph.scan_upload(paper_id))
    detail = text(college.get(path))
    assert "扫描件二维码与本协议书一致" in detail and "签约审核通过" in detail
    scan_url = re.search(r'<img[^>]+src="([^"]+/scans/\d+)"', detail).group(1)
    image = college.get(scan_url)
    image.close()
    assert image.status_code == 200 and image.mimetype == "image/jpeg"
    assert logged_in(app, world.other_college_reviewer).get(scan_url).status_code == 404


def test_a_rejection_needs_a_reason_and_the_csrf_token(app, world, db_session):
    paper_id = ph.generated(world)
    path = f"/review/paper/{paper_id}"
    college = logged_in(app, world.college_reviewer)
    no_token = college.post(path, data={"action": "reject", "reason": "信息不实"})
    assert no_token.status_code in (400, 403) and state(db_session, paper_id) == "college_review"
    post_form(college, path, {"action": "reject", "reason": ""})
    assert state(db_session, paper_id) == "college_review"
    post_form(college, path, {"action": "reject", "reason": "单位信息与实际不符"})
    assert state(db_session, paper_id) == "failed"


def test_another_college_or_school_gets_404(app, world, db_session):
    paper_id = ph.generated(world)
    for account in (world.other_college_reviewer, world.other_school_reviewer):
        client = logged_in(app, account)
        assert client.get(f"/review/paper/{paper_id}").status_code == 404
        assert f"/review/paper/{paper_id}" not in text(client.get("/review/paper?status=all"))


def test_a_termination_is_reviewed_on_the_detail_page(app, world, db_session):
    paper_id = ph.effective(world)
    termination = paper_agreements.request_termination(
        world.actor(world.student_account), paper_id,
        paper_agreements.TerminationRequest("mutual", "双方协商一致", True),
        ph.upload(ph.png_bytes(), "p.png"))
    path = f"/review/paper/{paper_id}"
    college = logged_in(app, world.college_reviewer)
    queue = text(college.get("/review/paper?status=termination_review"))
    assert 'data-tab-count="paper">1<' in queue and f"/review/paper/{paper_id}" in queue
    detail = text(college.get(path))
    assert "双方协商一致解除" in detail and "查看解约证明" in detail
    proof = college.get(f"/review/paper/proofs/{termination.id}")
    proof.close()
    assert proof.status_code == 200 and proof.mimetype == "image/png"
    post_form(college, path, {"action": "approve_termination", "termination_id": str(termination.id)})
    post_form(logged_in(app, world.school_reviewer), path,
              {"action": "approve_termination", "termination_id": str(termination.id)})
    assert state(db_session, paper_id) == "terminated"


def test_the_landing_page_and_the_review_home_count_paper_items(app, client, world, db_session):
    from tests.api_helpers import ApiClient

    ph.generated(world)
    page = text(logged_in(app, world.college_reviewer).get("/"))
    assert re.search(r'data-count="paper-waiting">.*?wq-card-value">1<', page, re.S)
    home = ApiClient(client, world.college_reviewer).get("/review/home").get_json()
    assert (home["paper_waiting"], home["paper_overdue"]) == (1, 0)
    assert ApiClient(client, world.school_reviewer).get("/review/home").get_json()["paper_waiting"] == 0


def test_the_filtered_list_is_exported_to_excel(app, world, db_session):
    import io

    from openpyxl import load_workbook

    ph.generated(world)
    ph.numbered(world, world.student2_account)
    client = logged_in(app, world.school_reviewer)
    response = client.get("/review/paper/export?status=awaiting_feedback")
    data = response.data
    response.close()
    assert response.status_code == 200 and "attachment" in response.headers["Content-Disposition"]
    workbook = load_workbook(io.BytesIO(data), read_only=True)
    rows = list(workbook.active.iter_rows(values_only=True))
    workbook.close()
    assert rows[0][:4] == ("协议书编号", "协议书状态", "学号", "姓名")
    assert [r[3] for r in rows[1:]] == [world.student2.name] and rows[1][10] == "待反馈"
    assert logged_in(app, world.hr).get("/review/paper/export").status_code == 403


def test_batch_approval_with_a_result_per_item(app, world, db_session):
    first = ph.generated(world)
    second = ph.generated(world, world.student2_account)
    college = logged_in(app, world.college_reviewer)
    ids = [str(first), str(second), "999999"]
    response = post_form(college, "/review/paper", {"action": "batch_approve", "ids": ids})
    page = text(response)
    assert "共3条：成功2条，失败1条" in page and 'data-role="batch-results"' in page
    assert state(db_session, first) == state(db_session, second) == "school_review"
    assert "#999999" in page
