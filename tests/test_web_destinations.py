"""其他去向 reviewer pages with the Flask client: the tab and its count, the queue's filters and
keyset pages, the detail (fields, 派遣 and 档案信息, images, flow log), the decisions with CSRF,
cancellations, and scope (another college's reviewer gets 404)."""
from __future__ import annotations

import pytest

from app.models import OtherDestination
from app.services import destinations
from tests.destination_helpers import approved, awaiting_work, png, submitted
from tests.test_web_review import count_queries, logged_in, post_form, text

QUEUE = "/review/destinations"


@pytest.fixture(autouse=True)
def upload_dir(app, tmp_path, monkeypatch):
    monkeypatch.setitem(app.config, "UPLOAD_DIR", str(tmp_path / "uploads"))


def test_the_tab_counts_what_waits_and_the_queue_lists_it(app, world, dicts):
    destination_id = submitted(world)
    client = logged_in(app, world.college_reviewer)
    page = text(client.get("/review/signings"))
    assert 'data-tab-count="destinations">1<' in page
    home = text(client.get("/"))
    assert "待我审核的其他去向" in home
    assert home.split('data-count="destinations-waiting"')[1].split('wq-card-value">')[1].startswith("1<")
    queue = client.get(QUEUE)
    assert queue.status_code == 200
    body = text(queue)
    assert f'data-id="{destination_id}"' in body and "境内升学（研究生）" in body and "湖南大学" in body
    assert "等待学院审核" in body and world.student.student_no in body
    # the school reviewer's "waiting" is the school's turn: not yet
    school = logged_in(app, world.school_reviewer)
    assert f'data-id="{destination_id}"' not in text(school.get(QUEUE))
    assert f'data-id="{destination_id}"' in text(school.get(QUEUE + "?status=all"))


def test_filters_and_keyset_pages(app, world, db_session, dicts):
    from tests.factories import AccountFactory, StudentFactory

    ids = []
    for _ in range(23):
        student = StudentFactory(major=world.major)
        account = AccountFactory(role="student", student_id=student.id, school_id=student.school_id,
                                 username=None, password_hash=None)
        db_session.commit()
        ids.append(destinations.submit(world.actor(account), None, awaiting_work()).id)
    client = logged_in(app, world.college_reviewer)
    first = text(client.get(QUEUE))
    assert first.count("data-id=") == 20 and 'data-role="next-page"' in first
    cursor = first.split('data-role="next-page" href="')[1].split('"')[0].replace("&amp;", "&")
    second = text(client.get(cursor))
    assert second.count("data-id=") == 3 and 'data-role="next-page"' not in second
    assert text(client.get(QUEUE + "?status=approved")).count("data-id=") == 0
    one = db_session.get(OtherDestination, ids[0]).student
    assert text(client.get(QUEUE + f"?q={one.student_no}")).count("data-id=") == 1
    assert client.get(QUEUE + "?status=nonsense").status_code == 400
    with count_queries() as seen:
        client.get(QUEUE)
    assert len(seen) < 20, seen  # no query per row


def test_detail_shows_everything_and_decisions_need_csrf(app, world, db_session, dicts):
    destination_id = submitted(world)
    client = logged_in(app, world.college_reviewer)
    url = f"{QUEUE}/{destination_id}"
    page = text(client.get(url))
    for shown in ("就业信息", "湖南大学", "湖南省 长沙市 岳麓区", "非全日制", "户档迁往就读高校", "派遣信息", "录取院校名称",
                  "档案信息", "五一大道98号", "未迁入", "学生保存并送审", "哈希链校验通过", "审核通过"):
        assert shown in page, shown
    image = page.split(f'{url}/files/')[1].split('"')[0]
    response = client.get(f"{url}/files/{image}")
    assert response.status_code == 200 and response.mimetype == "image/png"
    assert client.post(url, data={"action": "approve"}).status_code == 400  # no CSRF token
    assert db_session.get(OtherDestination, destination_id).state.value == "college_review"
    done = post_form(client, url, {"action": "approve"})
    assert done.status_code == 303
    db_session.expire_all()
    assert db_session.get(OtherDestination, destination_id).state.value == "school_review"


def test_reject_with_a_reason_then_the_school_never_sees_it_waiting(app, world, db_session, dicts):
    destination_id = submitted(world)
    client = logged_in(app, world.college_reviewer)
    url = f"{QUEUE}/{destination_id}"
    refused = post_form(client, url, {"action": "reject", "reason": " "})
    assert refused.status_code in (302, 303, 400)
    db_session.expire_all()
    assert db_session.get(OtherDestination, destination_id).state.value == "college_review"
    post_form(client, url, {"action": "reject", "reason": "录取通知书不清晰"})
    db_session.expire_all()
    d = db_session.get(OtherDestination, destination_id)
    assert d.state.value == "rejected" and d.last_remark == "录取通知书不清晰"
    assert "上次审核不通过原因：录取通知书不清晰" in text(client.get(url))


def test_a_cancellation_is_decided_on_the_same_page(app, world, db_session, dicts):
    destination_id = approved(world)
    destinations.request_cancel_with_file(world.actor(world.student_account), destination_id,
                                          "已与单位签订就业协议", png("proof.png"))
    client = logged_in(app, world.college_reviewer)
    url = f"{QUEUE}/{destination_id}"
    page = text(client.get(url))
    assert "学生申请注销该去向" in page and "注销审核通过" in page and "注销证明材料1" in page
    post_form(client, url, {"action": "approve"})
    school = logged_in(app, world.school_reviewer)
    assert f'data-id="{destination_id}"' in text(school.get(QUEUE))
    post_form(school, url, {"action": "approve"})
    db_session.expire_all()
    assert db_session.get(OtherDestination, destination_id).state.value == "cancelled"


def test_reviewers_outside_the_scope_get_404(app, world, dicts):
    destination_id = submitted(world)
    url = f"{QUEUE}/{destination_id}"
    for account in (world.other_college_reviewer, world.other_school_reviewer):
        client = logged_in(app, account)
        assert client.get(url).status_code == 404
        assert client.get(f"{url}/files/1").status_code == 404
        assert f'data-id="{destination_id}"' not in text(client.get(QUEUE + "?status=all"))
    outsider = logged_in(app, world.other_college_reviewer)
    from tests.web_helpers import csrf_from

    token = csrf_from(text(outsider.get(QUEUE)))
    assert outsider.post(url, data={"csrf_token": token, "action": "approve"}).status_code == 404
    assert logged_in(app, world.admin).get(QUEUE).status_code == 403


def test_export_is_the_filtered_list_with_text_kept_as_text(app, world, db_session, dicts):
    import io

    from openpyxl import load_workbook

    from tests.destination_helpers import further_study

    destination_id = submitted(world, further_study(admitting_institution="=HYPERLINK(\"http://x\",\"点击\")"))
    client = logged_in(app, world.college_reviewer)
    assert 'data-role="export"' in text(client.get(QUEUE))
    response = client.get(QUEUE + "/export?status=all")
    data = response.data
    response.close()
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(data)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:2] == ("学号", "姓名") and len(rows) == 2
    assert rows[1][0] == world.student.student_no and rows[1][6] == "等待学院审核"
    assert rows[1][5].startswith("=HYPERLINK") and sheet.cell(2, 6).data_type == "s"  # never a formula
    assert db_session.get(OtherDestination, destination_id) is not None
    outsider = logged_in(app, world.other_college_reviewer)
    theirs = outsider.get(QUEUE + "/export?status=all")
    data = theirs.data
    theirs.close()
    other = load_workbook(io.BytesIO(data)).active
    assert len(list(other.iter_rows(values_only=True))) == 1  # the header only
