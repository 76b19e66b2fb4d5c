"""Reviewer pages with the Flask client: what each reviewer sees, every decision, the guards,
query counts (no N+1), keyset pages, exports and batch approval."""
from __future__ import annotations

import io
import re
from contextlib import contextmanager

import pytest
import time_machine
from openpyxl import load_workbook
from PIL import Image
from sqlalchemy import event, select
from sqlalchemy.engine import Engine

from app.models import (AccountEvent, Employer, InterventionEvidence, Invitation, LongJob, Notification,
                        RecipientType, Termination, WorkState)
from app.services import review_batch, review_export
from tests.review_helpers import accepted, college_approved, effective, termination_in_college_review
from tests.web_helpers import csrf_from, session_for, web_login


@contextmanager
def count_queries():
    """How many SQL statements run inside the block."""
    seen: list[str] = []

    def record(conn, cursor, statement, *args):
        if not statement.startswith(("SAVEPOINT", "RELEASE", "ROLLBACK TO")):  # the test's own
            seen.append(statement)

    event.listen(Engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(Engine, "before_cursor_execute", record)


def post_form(client, path: str, data: dict, files: dict | None = None, **kw):
    """Submit a form of the page at ``path`` as the browser would (with the page's CSRF token)."""
    token = csrf_from(client.get(path).get_data(as_text=True))
    payload = {"csrf_token": token, **data, **(files or {})}
    return client.post(path, data=payload, **kw)


def logged_in(app, account):
    client = app.test_client()
    web_login(client, account)
    return client


def text(response) -> str:
    return response.get_data(as_text=True)


def png_bytes() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (40, 30), (200, 30, 30)).save(out, "PNG")
    return out.getvalue()


# -- who sees what -------------------------------------------------------------------------------------

def test_college_reviewer_sees_only_the_college(client, world, db_session):
    """Is a signing of another college missing from the queue and a 404 by id, while the
    school's reviewer sees both?"""
    mine = accepted(world)
    from app.services import invitations, responses

    theirs = invitations.send_invitations(world.actor(world.hr), [world.other_college_student.id],
                                          world.terms())[0].invitation_id
    from tests.factories import AccountFactory

    other_account = AccountFactory(role=world.student_account.role, student_id=world.other_college_student.id,
                                   school_id=world.school.id, username=None, password_hash=None)
    responses.accept_invitation(world.actor(other_account), theirs, 1, True)

    web_login(client, world.college_reviewer)
    queue = text(client.get("/review/signings"))
    assert f'data-id="{mine}"' in queue and f'data-id="{theirs}"' not in queue
    assert client.get(f"/review/signings/{theirs}").status_code == 404
    assert client.get(f"/review/signings/{mine}").status_code == 200

    school = logged_in(client.application, world.school_reviewer)
    queue = text(school.get("/review/signings?status=all"))
    assert f'data-id="{mine}"' in queue and f'data-id="{theirs}"' in queue


@pytest.mark.parametrize("who", ["other_school_reviewer", "other_school_college_reviewer",
                                 "other_college_reviewer"])
def test_reviewers_elsewhere_get_404(app, world, db_session, who):
    """Do reviewers of another school or college get 404 on the detail, its actions and its
    termination, as if nothing were there?"""
    invitation_id, termination_id = termination_in_college_review(world)
    client = logged_in(app, getattr(world, who))
    assert client.get(f"/review/signings/{invitation_id}").status_code == 404
    assert client.get(f"/review/terminations/{termination_id}").status_code == 404
    token = csrf_from(text(client.get("/review/signings")))
    for action in ("approve", "reveal_id_number", "void"):
        response = client.post(f"/review/signings/{invitation_id}",
                               data={"csrf_token": token, "action": action, "reason": "x", "confirm": "1"})
        assert response.status_code == 404, action
    assert world.student.name not in text(client.get("/review/signings?status=all"))


REVIEW_PAGES = ["/review/signings", "/review/terminations", "/review/signings/export",
                "/review/employers", "/work"]


@pytest.mark.parametrize("path", REVIEW_PAGES)
@pytest.mark.parametrize("who", ["student_account", "hr"])
def test_students_and_employers_get_nothing(app, world, db_session, path, who):
    account = getattr(world, who)
    client = app.test_client()
    if account.username is None:
        session_for(client, account)
    else:
        web_login(client, account)
    response = client.get(path)
    assert response.status_code == 403 and "无权访问" in text(response)


@pytest.mark.parametrize("path", REVIEW_PAGES + ["/review/signings/1", "/review/terminations/1"])
def test_anonymous_visitors_are_sent_to_log_in(client, world, path):
    response = client.get(path)
    assert response.status_code == 302 and response.headers["Location"].startswith("/login?next=")


def test_a_form_without_its_csrf_token_is_refused(client, world, db_session):
    """Is an approve POST without the page's token refused, with nothing approved?"""
    invitation_id = accepted(world)
    web_login(client, world.college_reviewer)
    response = client.post(f"/review/signings/{invitation_id}", data={"action": "approve"})
    assert response.status_code == 400 and "页面已过期" in text(response)
    assert db_session.get(Invitation, invitation_id).state.value == "college_review"


# -- decisions -------------------------------------------------------------------------------------------

def test_approve_at_both_levels_gives_the_number(client, world, db_session):
    invitation_id = accepted(world)
    web_login(client, world.college_reviewer)
    response = post_form(client, f"/review/signings/{invitation_id}", {"action": "approve"})
    assert response.status_code == 303 and response.headers["Location"] == "/review/signings"
    assert "学院审核通过" in text(client.get("/review/signings"))
    school = logged_in(client.application, world.school_reviewer)
    post_form(school, f"/review/signings/{invitation_id}", {"action": "approve"})
    invitation = db_session.get(Invitation, invitation_id)
    assert invitation.state.value == "effective" and invitation.agreement_no
    assert f"协议书编号：{invitation.agreement_no}" in text(school.get("/review/signings"))


def test_reject_needs_a_reason_and_shows_the_warning(client, world, db_session):
    """Does the detail show the manuals' warning, refuse a rejection without a reason (message on
    the page, nothing changed) and record one with a reason?"""
    invitation_id = accepted(world)
    web_login(client, world.college_reviewer)
    page = text(client.get(f"/review/signings/{invitation_id}"))
    assert "欺诈、虚假签约、信息不实" in page
    response = post_form(client, f"/review/signings/{invitation_id}", {"action": "reject", "reason": "  "})
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/review/signings/{invitation_id}")
    assert "请填写原因" in text(client.get(response.headers["Location"]))
    assert db_session.get(Invitation, invitation_id).state.value == "college_review"
    post_form(client, f"/review/signings/{invitation_id}", {"action": "reject", "reason": "信息不实"})
    invitation = db_session.get(Invitation, invitation_id)
    assert invitation.state.value == "review_rejected" and invitation.last_remark == "信息不实"


def test_a_college_reviewer_cannot_approve_for_the_school(client, world, db_session):
    """Is a signing waiting for the school shown without buttons to the college reviewer, and a
    forged approve refused with a message?"""
    invitation_id = college_approved(world)
    web_login(client, world.college_reviewer)
    page = text(client.get(f"/review/signings/{invitation_id}"))
    assert 'value="approve"' not in page and 'data-role="actions"' not in page
    response = post_form(client, f"/review/signings/{invitation_id}", {"action": "approve"})
    assert response.status_code == 303
    assert db_session.get(Invitation, invitation_id).state.value == "school_review"


def test_full_numbers_are_masked_until_revealed_and_each_reveal_is_logged(client, world, db_session):
    invitation_id = accepted(world)
    web_login(client, world.college_reviewer)
    page = text(client.get(f"/review/signings/{invitation_id}"))
    assert world.student.id_number not in page and world.student.phone not in page
    fragment = text(post_form(client, f"/review/signings/{invitation_id}", {"action": "reveal_id_number"},
                              headers={"HX-Request": "true"}))
    assert world.student.id_number in fragment and "<html" not in fragment
    assert world.student.phone not in fragment
    whole = text(post_form(client, f"/review/signings/{invitation_id}", {"action": "reveal_phone"}))
    assert world.student.phone in whole and "<html" in whole  # without htmx: the page itself
    events = db_session.scalars(select(AccountEvent).where(AccountEvent.action == "pii_reveal")).all()
    assert [(e.account_id, e.detail["field"]) for e in events] == [
        (world.college_reviewer.id, "id_number"), (world.college_reviewer.id, "phone")]


def test_interventions_need_reason_and_confirmation(client, world, db_session):
    """Is 作废 refused without the confirmation tick, and done with it?"""
    invitation_id = effective(world)
    web_login(client, world.school_reviewer)
    path = f"/review/signings/{invitation_id}"
    post_form(client, path, {"action": "void", "reason": "学生信息填报错误"})
    assert "请勾选确认" in text(client.get(path))
    assert db_session.get(Invitation, invitation_id).state.value == "effective"
    post_form(client, path, {"action": "void", "reason": "学生信息填报错误", "confirm": "1"})
    assert db_session.get(Invitation, invitation_id).state.value == "voided"


def test_withdraw_approval_keeps_the_number(client, world, db_session):
    invitation_id = effective(world)
    number = db_session.get(Invitation, invitation_id).agreement_no
    web_login(client, world.school_reviewer)
    post_form(client, f"/review/signings/{invitation_id}",
              {"action": "withdraw_approval", "reason": "协议内容有误", "confirm": "1"})
    invitation = db_session.get(Invitation, invitation_id)
    assert invitation.state.value == "school_review" and invitation.agreement_no == number


def test_forced_termination_with_evidence(client, world, db_session, app, tmp_path, monkeypatch):
    """Does a forced termination store its evidence image, show it on the detail, and keep it
    from a reviewer of another college?"""
    monkeypatch.setitem(app.config, "UPLOAD_DIR", str(tmp_path))
    invitation_id = effective(world)
    web_login(client, world.school_reviewer)
    response = post_form(client, f"/review/signings/{invitation_id}",
                         {"action": "force_terminate", "reason": "用人单位已注销", "confirm": "1"},
                         files={"evidence": (io.BytesIO(png_bytes()), "注销证明.png")},
                         content_type="multipart/form-data")
    assert response.status_code == 303
    assert db_session.get(Invitation, invitation_id).state.value == "terminated"
    evidence = db_session.scalar(select(InterventionEvidence).where(
        InterventionEvidence.invitation_id == invitation_id))
    page = text(client.get(f"/review/signings/{invitation_id}"))
    url = f"/review/evidence/intervention/{evidence.id}"
    assert url in page
    image = client.get(url)
    assert image.status_code == 200 and image.mimetype == "image/png"
    image.close()
    assert logged_in(app, world.other_college_reviewer).get(url).status_code == 404


def test_invalid_evidence_is_refused_and_nothing_changes(client, world, db_session, app, tmp_path,
                                                         monkeypatch):
    monkeypatch.setitem(app.config, "UPLOAD_DIR", str(tmp_path))
    invitation_id = effective(world)
    web_login(client, world.school_reviewer)
    post_form(client, f"/review/signings/{invitation_id}",
              {"action": "force_terminate", "reason": "x", "confirm": "1"},
              files={"evidence": (io.BytesIO(b"%PDF-1.4 not an image"), "a.pdf")},
              content_type="multipart/form-data")
    assert "只能是JPEG或PNG图片" in text(client.get(f"/review/signings/{invitation_id}"))
    assert db_session.get(Invitation, invitation_id).state.value == "effective"
    assert list(tmp_path.iterdir()) == []


def test_invalidate_a_students_record(client, world, db_session):
    invitation_id = accepted(world)
    web_login(client, world.school_reviewer)
    post_form(client, f"/review/signings/{invitation_id}",
              {"action": "invalidate_student", "reason": "已退学", "confirm": "1"})
    assert db_session.get(Invitation, invitation_id).state.value == "invalidated"
    assert world.student.record_status.value == "invalid"


def test_reviewer_fills_missing_employer_data(client, world, db_session, dicts):
    """Does a missing 单位性质/行业/所在地/地址 show as missing with a form, and does filling it
    write only the missing fields (valid codes only)?"""
    world.employer.nature_code = None
    world.employer.address = None
    db_session.commit()
    invitation_id = accepted(world)
    web_login(client, world.college_reviewer)
    path = f"/review/signings/{invitation_id}"
    page = text(client.get(path))
    assert page.count("缺失，请填写") == 2 and 'data-role="fill-employer"' in page
    post_form(client, path, {"action": "fill_employer", "nature_code": "99999", "address": "长沙市1号"})
    assert "单位性质代码不存在" in text(client.get(path))
    assert db_session.get(Employer, world.employer.id).address is None
    post_form(client, path, {"action": "fill_employer", "nature_code": "10", "address": "长沙市岳麓区1号",
                             "industry_code": "A"})
    employer = db_session.get(Employer, world.employer.id)
    assert (employer.nature_code, employer.address, employer.industry_code) == ("10", "长沙市岳麓区1号", "I")


# -- the queue: filters, pages, counts ------------------------------------------------------------------

def many_accepted(world, n: int) -> list[int]:
    from app.models import Role
    from app.services import invitations, responses
    from tests.factories import AccountFactory, StudentFactory, add_favorites

    students = [StudentFactory(major=world.major) for _ in range(n)]
    add_favorites(world.employer, *students)
    ids = []
    for s in students:
        account = AccountFactory(role=Role.STUDENT, student_id=s.id, school_id=s.school_id, username=None,
                                 password_hash=None)
        inv = invitations.send_invitations(world.actor(world.hr), [s.id], world.terms())[0].invitation_id
        responses.accept_invitation(world.actor(account), inv, 1, True)
        ids.append(inv)
    return ids


def ids_on(html: str) -> list[int]:
    return [int(i) for i in re.findall(r'<tr class="[^"]*" data-id="(\d+)"', html)]


def test_keyset_pages_cover_every_row_once(client, world, db_session):
    ids = many_accepted(world, 23)
    web_login(client, world.college_reviewer)
    first = text(client.get("/review/signings"))
    page_one = ids_on(first)
    assert len(page_one) == 20
    cursor = re.search(r'data-role="next-page" href="[^"]*cursor=([^"&]+)', first).group(1)
    second = text(client.get(f"/review/signings?cursor={cursor}"))
    page_two = ids_on(second)
    assert sorted(page_one + page_two) == sorted(ids) and 'data-role="next-page"' not in second
    assert client.get("/review/signings?cursor=!!bad").status_code == 400


def test_queue_and_detail_query_counts_do_not_grow_with_rows(client, world, db_session):
    """The same number of statements for a page of 2 rows as for 20 (no N+1), and for a detail
    with a long history as for a short one."""
    web_login(client, world.school_reviewer)
    few = many_accepted(world, 2)
    db_session.expire_all()  # every measurement starts from a cold session, as a new request does
    with count_queries() as small:
        assert client.get("/review/signings?status=all").status_code == 200
    many_accepted(world, 20)
    db_session.expire_all()
    with count_queries() as large:
        assert client.get("/review/signings?status=all").status_code == 200
    # 8 today: account, school's limit, page ids, page rows, college and major names ×2, tab counts
    assert len(small) == len(large) <= 12, large

    db_session.expire_all()
    with count_queries() as short:
        assert client.get(f"/review/signings/{few[0]}").status_code == 200
    from app.services import invitations as invitation_service

    for n in range(3):  # the employer modifies twice and the student answers: a longer history
        invitation_service.modify_invitation(world.actor(world.hr), few[1], world.terms(position=f"职位{n}"))
    db_session.expire_all()
    with count_queries() as long:
        assert client.get(f"/review/signings/{few[1]}").status_code == 200
    assert len(short) == len(long) <= 20, long

    _, termination_id = termination_in_college_review(world)
    db_session.expire_all()
    with count_queries() as terminations_page:
        assert client.get("/review/terminations?status=all").status_code == 200
    assert len(terminations_page) <= 12


def test_filters(client, world, db_session):
    """Status, name, student number, college and date range each narrow the list."""
    first = accepted(world)
    second = college_approved(world, student=world.student2)
    web_login(client, world.school_reviewer)
    assert ids_on(text(client.get("/review/signings"))) == [second]  # waiting for the school
    assert ids_on(text(client.get("/review/signings?status=college_review"))) == [first]
    assert set(ids_on(text(client.get("/review/signings?status=all")))) == {first, second}
    assert ids_on(text(client.get(f"/review/signings?status=all&q={world.student.student_no}"))) == [first]
    assert ids_on(text(client.get(f"/review/signings?status=all&q={world.student2.name}"))) == [second]
    assert ids_on(text(client.get(f"/review/signings?status=all&college={world.other_college.id}"))) == []
    assert ids_on(text(client.get(f"/review/signings?status=all&major={world.major.id}&cohort=2026")))
    assert ids_on(text(client.get("/review/signings?status=all&from=2000-01-01&to=2000-01-02"))) == []
    bad = client.get("/review/signings?from=2026-13-01")
    assert bad.status_code == 400 and "日期格式" in text(bad)
    assert client.get("/review/signings?status=nonsense").status_code == 400


def test_htmx_filter_gets_only_the_results_block(client, world, db_session):
    accepted(world)
    web_login(client, world.college_reviewer)
    fragment = text(client.get("/review/signings?status=all", headers={"HX-Request": "true"}))
    assert fragment.lstrip().startswith('<div id="queue-results"') and "<nav class=\"navbar" not in fragment
    error = client.get("/review/signings?from=bad", headers={"HX-Request": "true"})
    assert error.status_code == 200 and error.headers["HX-Retarget"] == "#flash-area"
    assert "日期格式" in text(error)


def test_items_past_the_service_level_are_counted_and_coloured(client, world, db_session):
    """An item accepted on a Monday is 4 working days old on Friday: past the default 3, it is
    counted on the landing page and coloured in the queue; a Thursday's item is not."""
    with time_machine.travel("2026-11-23 10:00 +0800", tick=False):  # Monday
        old = accepted(world)
    with time_machine.travel("2026-11-26 10:00 +0800", tick=False):  # Thursday
        new = accepted(world, student=world.student2)
    with time_machine.travel("2026-11-27 15:00 +0800", tick=False):  # Friday
        web_login(client, world.college_reviewer)
        home = text(client.get("/"))
        assert re.search(r'data-count="signings-overdue">\s*<div class="card-body">\s*'
                         r'<div class="wq-card-label">签约审核已超时</div>\s*'
                         r'<div class="wq-card-value">1<', home)
        queue = text(client.get("/review/signings"))
        assert f'<tr class="wq-overdue" data-id="{old}">' in queue
        assert f'<tr class="" data-id="{new}">' in queue and "4个工作日（超时）" in queue
        assert ids_on(text(client.get("/review/signings?overdue=1"))) == [old]


# -- batch approve and export ---------------------------------------------------------------------------

def test_batch_approve_reports_each_item(client, world, db_session):
    """Are the college's items approved and an item of another college refused as unknown,
    each with its line?"""
    ids = many_accepted(world, 3)
    other = accepted(world)  # world.student, then make it someone else's: move it out of reach
    db_session.get(Invitation, other).college_id = world.other_college.id
    db_session.commit()
    web_login(client, world.college_reviewer)
    token = csrf_from(text(client.get("/review/signings")))
    response = client.post("/review/signings", data={"csrf_token": token, "action": "batch_approve",
                                                     "ids": [*map(str, ids), str(other)]})
    html = text(response)
    assert response.status_code == 200 and "成功3条，失败1条" in html
    assert html.count("table-success") == 3 and f"#{other}" in html and world.student.name not in html
    assert all(db_session.get(Invitation, i).state.value == "school_review" for i in ids)


def test_large_batches_run_as_long_work(client, world, db_session, monkeypatch):
    monkeypatch.setattr(review_batch, "DIRECT_MAX", 1)
    ids = many_accepted(world, 3)
    web_login(client, world.college_reviewer)
    token = csrf_from(text(client.get("/review/signings")))
    response = client.post("/review/signings", data={"csrf_token": token, "action": "batch_approve",
                                                     "ids": [str(i) for i in ids]})
    assert response.status_code == 303 and response.headers["Location"].startswith("/work/")
    job = db_session.scalar(select(LongJob).order_by(LongJob.id.desc()))
    assert job.state == WorkState.DONE and job.result["summary"] == "共3条：成功3条，失败0条"
    assert "共3条：成功3条" in text(client.get(response.headers["Location"]))


def test_nothing_selected(client, world, db_session):
    web_login(client, world.college_reviewer)
    token = csrf_from(text(client.get("/review/signings")))
    response = client.post("/review/signings", data={"csrf_token": token, "action": "batch_approve"})
    assert response.status_code == 303 and "请先勾选" in text(client.get("/review/signings"))


def read_xlsx(data: bytes) -> list[tuple]:
    workbook = load_workbook(io.BytesIO(data), read_only=True)
    rows = list(workbook.active.iter_rows(values_only=True))
    workbook.close()
    return rows


def test_export_of_a_filtered_list(client, world, db_session):
    first = accepted(world)
    effective(world, student=world.student2)
    web_login(client, world.school_reviewer)
    response = client.get("/review/signings/export?status=effective")
    assert response.mimetype.endswith("spreadsheetml.sheet")
    rows = read_xlsx(response.get_data())
    response.close()
    assert len(rows) == 2 and rows[1][2] == world.student2.student_no and rows[1][1] == "已生效"
    assert world.student.student_no not in str(rows)  # still in review: filtered out
    del first
    assert world.student2.id_number not in str(rows)


def test_an_export_writes_stored_formulas_as_text(client, world, db_session):
    """Would an employer named like a formula open as a live link in the reviewer's Excel?"""
    import io

    from openpyxl import load_workbook

    world.employer.name = '=HYPERLINK("http://evil.example","点击查看")'
    db_session.commit()
    effective(world, student=world.student2)
    web_login(client, world.school_reviewer)
    response = client.get("/review/signings/export?status=effective")
    sheet = load_workbook(io.BytesIO(response.get_data())).active
    response.close()
    cells = [c for c in sheet[2] if c.value == world.employer.name]
    assert cells and all(c.data_type == "s" and c.quotePrefix for c in cells)


def test_large_exports_run_as_long_work(client, world, db_session, monkeypatch, app, tmp_path):
    monkeypatch.setattr(review_export, "DIRECT_MAX", 0)
    monkeypatch.setitem(app.config, "WORK_RESULT_DIR", str(tmp_path))
    many_accepted(world, 3)
    web_login(client, world.college_reviewer)
    response = client.get("/review/signings/export?status=all")
    assert response.status_code == 303
    page = client.get(response.headers["Location"])
    assert "共导出3条" in text(page)
    download = client.get(re.search(r'href="(/work/\d+/download)"', text(page)).group(1))
    assert len(read_xlsx(download.get_data())) == 4
    download.close()


# -- terminations -------------------------------------------------------------------------------------------

def test_termination_review_at_both_levels(client, world, db_session):
    invitation_id, termination_id = termination_in_college_review(world)
    web_login(client, world.college_reviewer)
    queue = text(client.get("/review/terminations"))
    assert f'data-id="{termination_id}"' in queue and "单位业务调整" in queue
    page = text(client.get(f"/review/terminations/{termination_id}"))
    assert "解约审核不通过" in page and "欺诈" in page
    post_form(client, f"/review/terminations/{termination_id}", {"action": "approve"})
    assert db_session.get(Termination, termination_id).state.value == "school_review"
    school = logged_in(client.application, world.school_reviewer)
    post_form(school, f"/review/terminations/{termination_id}", {"action": "approve"})
    assert db_session.get(Termination, termination_id).state.value == "approved"
    assert db_session.get(Invitation, invitation_id).state.value == "terminated"


def test_termination_rejection_keeps_the_agreement(client, world, db_session):
    invitation_id, termination_id = termination_in_college_review(world)
    web_login(client, world.college_reviewer)
    post_form(client, f"/review/terminations/{termination_id}", {"action": "reject", "reason": ""})
    assert db_session.get(Termination, termination_id).state.value == "college_review"
    post_form(client, f"/review/terminations/{termination_id}", {"action": "reject", "reason": "证据不足"})
    assert db_session.get(Termination, termination_id).state.value == "rejected"
    assert db_session.get(Invitation, invitation_id).state.value == "effective"


# -- employer verification ----------------------------------------------------------------------------------

@pytest.fixture
def pending_employer(world, db_session, app, tmp_path, monkeypatch):
    from werkzeug.datastructures import FileStorage

    from app.services import employers

    monkeypatch.setitem(app.config, "UPLOAD_DIR", str(tmp_path))
    world.other_employer.verification_status = world.other_employer.verification_status.PENDING
    world.other_employer.verified_at = None
    db_session.commit()
    employers.submit_evidence(world.actor(world.other_hr),
                              FileStorage(io.BytesIO(png_bytes()), "licence.png", "licence"))
    return world.other_employer


def test_employer_verification(client, world, db_session, pending_employer):
    """Does the school reviewer see the pending employer with its licence, refuse a rejection
    without a reason, and approve it so that the employer is told?"""
    web_login(client, world.school_reviewer)
    assert pending_employer.name in text(client.get("/review/employers"))
    page = text(client.get(f"/review/employers/{pending_employer.id}"))
    evidence_url = re.search(r'src="(/review/evidence/employer/\d+)"', page).group(1)
    image = client.get(evidence_url)
    assert image.status_code == 200
    image.close()
    post_form(client, f"/review/employers/{pending_employer.id}", {"decision": "reject", "reason": ""})
    assert db_session.get(Employer, pending_employer.id).verification_status.value == "pending"
    post_form(client, f"/review/employers/{pending_employer.id}", {"decision": "approve"})
    assert db_session.get(Employer, pending_employer.id).verification_status.value == "approved"
    told = db_session.scalar(select(Notification).where(
        Notification.recipient_type == RecipientType.EMPLOYER,
        Notification.recipient_id == pending_employer.id,
        Notification.event == "employer_verified"))
    assert told is not None


def test_employer_verification_is_not_for_college_reviewers(client, world, db_session, pending_employer):
    web_login(client, world.college_reviewer)
    assert client.get("/review/employers").status_code == 403
    page = text(client.get("/review/employers/1"))
    assert "无权访问" in page
    admin = logged_in(client.application, world.admin)
    assert pending_employer.name in text(admin.get("/review/employers"))
