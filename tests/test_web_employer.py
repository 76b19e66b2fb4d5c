"""The employer's desktop pages with the Flask client (issue 12): log-in lands on the workbench,
search and favorites with the Excel template/import/export, the letter form with its checks
before sending, the 签约/解约 lists, detail, modify and termination both ways, 户档信息, 单位信息,
认证 and 账号管理 — and another employer's records are a 404 everywhere."""
from __future__ import annotations

import io
import re

import pytest
from openpyxl import Workbook, load_workbook

from app.domain.flow_labels import ACTION_LABELS
from app.models import AccountEvent, Favorite, Invitation, Termination
from tests.factories import TEST_PASSWORD
from tests.review_helpers import effective, invite
from tests.web_helpers import csrf_from, session_for, web_login


def text(response) -> str:
    return response.get_data(as_text=True)


def logged_in(app, account):
    client = app.test_client()
    web_login(client, account)
    return client


def post(client, path: str, data: dict, page: str | None = None, **kw):
    """Submit a form of ``page`` (default: the path itself) with the page's CSRF token."""
    token = csrf_from(text(client.get(page or path)))
    return client.post(path, data={"csrf_token": token, **data}, **kw)


LETTER = {"job_category_code": "13", "position": "软件工程师", "feedback_days": "5", "probation_days": "60",
          "probation_salary": "8000", "regular_salary": "10000", "liquidated_damages": "3000",
          "report_deadline": "2026-07-15", "work_region_city": "430100", "work_region_code": "430104",
          "work_address": "长沙市岳麓区麓谷大道658号", "contact_name": "王经理", "contact_phone": "0731-88888888",
          "archive_mode": "custom", "archive_receiving": "employer", "archive_unit": "长沙星辰软件科技有限公司",
          "archive_address": "长沙市岳麓区麓谷大道658号", "archive_postcode": "410205", "archive_contact": "李老师",
          "archive_phone": "0731-88888889", "hukou_receiving": "not_received"}


# -- log-in and workbench -----------------------------------------------------------------------

def test_password_log_in_lands_on_the_workbench_with_the_previous_log_in(app, world, db_session):
    """Does an employer user's password log-in end on /employer/ with the counts, and does the
    second log-in show the first one's time and IP?"""
    client = app.test_client()
    response = web_login(client, world.hr)
    done = client.get(response.headers["Location"])
    assert done.status_code == 302 and done.headers["Location"] == "/employer/"
    first = text(client.get("/employer/"))
    assert "工作台" in first and "首次登录" in first and 'data-count="signing"' in first
    client2 = app.test_client()
    client2.environ_base["REMOTE_ADDR"] = "10.1.2.3"
    web_login(client2, world.hr)
    page = text(client2.get("/employer/"))
    assert "上次登录IP：127.0.0.1" in page and "上次登录时间" in page
    assert db_session.query(AccountEvent).filter_by(account_id=world.hr.id, action="web_login").count() == 2


def test_workbench_counts_switch_by_cohort(app, world, db_session):
    """Is a letter counted under 签约中 for its cohort and not under another cohort?"""
    invite(world)
    client = logged_in(app, world.hr)

    def count(html: str, group: str) -> int:
        match = re.search(rf'data-count="{group}".*?wq-card-value">(\d+)<', html, re.DOTALL)
        return int(match.group(1))

    assert count(text(client.get("/employer/")), "signing") == 1
    assert count(text(client.get("/employer/?cohort=2026")), "signing") == 1
    assert count(text(client.get("/employer/?cohort=2030")), "signing") == 0


def test_employer_nav_and_guide(app, world):
    client = logged_in(app, world.hr)
    page = text(client.get("/employer/guide"))
    for label in ("工作台", "签约/解约", "户档信息管理", "账号管理", "单位信息"):
        assert f">{label}</a>" in page
    assert "学生收藏夹" in page and "户档信息管理" in page


def test_lockout_applies_to_employer_users(app, world):
    """Five wrong passwords lock the employer's name like a reviewer's."""
    client = app.test_client()
    for _ in range(5):
        token = csrf_from(text(client.get("/login/password")))
        client.post("/login/password", data={"username": world.hr.username, "password": "wrong-1234",
                                             "csrf_token": token})
    token = csrf_from(text(client.get("/login/password")))
    locked = client.post("/login/password", data={"username": world.hr.username, "password": "x",
                                                  "csrf_token": token})
    assert locked.status_code == 429 and "锁定" in text(locked)


# -- search and favorites ----------------------------------------------------------------------

def test_search_then_add_to_favorites(app, world, db_session, empty_favorites):
    client = logged_in(app, world.hr)
    s = world.student
    query = "/employer/search"
    found = text(post(client, query, {"school_code": s.school.code, "cohort": "2026", "name": s.name,
                                      "phone_or_id": s.phone}))
    results = found.split('data-role="search-results"')[1]
    assert f'data-student="{s.id}"' in results and "加入收藏夹" in results
    assert s.phone not in results and s.id_number not in results  # masked
    response = post(client, "/employer/favorites", {"action": "add", "student_id": s.id, "back": query},
                    page=query)
    assert response.status_code == 303 and response.headers["Location"] == query
    assert db_session.query(Favorite).filter_by(employer_id=world.employer.id, student_id=s.id).count() == 1
    listed = text(client.get("/employer/favorites"))
    assert f'data-student="{s.id}"' in listed
    post(client, "/employer/favorites", {"action": "remove", "student_id": s.id})
    assert db_session.query(Favorite).filter_by(employer_id=world.employer.id).count() == 0


def test_adding_an_unsearched_student_is_refused(app, world, empty_favorites, db_session):
    client = logged_in(app, world.hr)
    response = post(client, "/employer/favorites", {"action": "add", "student_id": world.student.id},
                    page="/employer/favorites", follow_redirects=True)
    assert "请先按学校代码" in text(response)
    assert db_session.query(Favorite).filter_by(employer_id=world.employer.id).count() == 0


def _xlsx(rows: list[list]) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.append(["学校代码", "毕业年度", "姓名", "手机号或身份证号"])
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_template_import_report_and_send_list_export(app, world, db_session, empty_favorites):
    client = logged_in(app, world.hr)
    template = client.get("/employer/favorites/template.xlsx")
    assert template.status_code == 200
    assert [c.value for c in load_workbook(io.BytesIO(template.data)).active[1]] == \
        ["学校代码", "毕业年度", "姓名", "手机号或身份证号"]
    s = world.student
    body = _xlsx([[s.school.code, 2026, s.name, s.phone], ["10001", 2026, "无此人", "13900000000"],
                  ["abc", 2026, "", "1"]])
    token = csrf_from(text(client.get("/employer/favorites")))
    response = client.post("/employer/favorites", data={
        "csrf_token": token, "action": "import", "file": (io.BytesIO(body), "名单.xlsx")},
        content_type="multipart/form-data")
    page = text(response)
    assert response.status_code == 200 and 'data-role="import-report"' in page
    assert 'data-row="2"' in page and "已加入收藏夹" in page and "未找到可签约的学生" in page
    assert "学校代码应为5位数字" in page
    export = client.get("/employer/favorites/export.xlsx")
    sheet = load_workbook(io.BytesIO(export.data)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][0] == "学校代码" and len(rows) == 2 and rows[1][6] == s.name
    assert s.id_number not in str(rows)  # masked


def test_import_without_a_file_says_so(app, world):
    client = logged_in(app, world.hr)
    response = post(client, "/employer/favorites", {"action": "import"}, follow_redirects=True)
    assert "请上传Excel文件" in text(response)


# -- the letter -----------------------------------------------------------------------------------

def test_letter_form_review_shows_checks_and_preview_then_sends(app, world, db_session):
    """The first submit shows the checks and the preview and sends nothing; the send button then
    sends to both chosen students, one result each."""
    client = logged_in(app, world.hr)
    ids = f"student_ids={world.student.id}&student_ids={world.student2.id}"
    form = text(client.get(f"/employer/letter?{ids}"))
    assert "邀请对象（2人）" in form and 'name="job_category_code"' in form and 'data-role="send"' not in form
    data = {**LETTER, "student_ids": [world.student.id, world.student2.id], "liquidated_damages": "3000"}
    token = csrf_from(form)
    reviewed = text(client.post("/employer/letter", data={"csrf_token": token, "action": "review", **data}))
    assert 'data-role="checks"' in reviewed and 'data-role="preview"' in reviewed and 'data-role="send"' in reviewed
    assert db_session.query(Invitation).count() == 0
    digest = re.search(r'name="reviewed" value="(\w+)"', reviewed).group(1)
    changed = text(client.post("/employer/letter", data={"csrf_token": token, "action": "send", "reviewed": digest,
                                                         **data, "position": "测试工程师"}))
    assert 'data-role="checks"' in changed and db_session.query(Invitation).count() == 0  # shown again
    sent = client.post("/employer/letter", data={"csrf_token": token, "action": "send", "reviewed": digest, **data})
    page = text(sent)
    assert 'data-role="send-results"' in page and page.count("已发送</td>") == 2
    assert db_session.query(Invitation).filter_by(employer_id=world.employer.id).count() == 2


def test_letter_below_minimum_wage_is_a_warning_shown_before_sending(app, world, db_session):
    from app.models import School

    school = db_session.get(School, world.school.id)
    school.liquidated_damages_cap = 1000
    db_session.commit()
    client = logged_in(app, world.hr)
    token = csrf_from(text(client.get(f"/employer/letter?student_ids={world.student.id}")))
    reviewed = text(client.post("/employer/letter", data={"csrf_token": token, "action": "review",
                                                          **LETTER, "student_ids": [world.student.id]}))
    assert 'data-check="DAMAGES_ABOVE_CAP"' in reviewed and "可以继续发送" in reviewed


def test_letter_without_archive_profile_defaults_from_it_once_saved(app, world, db_session):
    """No 户档信息 and 'use the profile' is an error shown on the form; once saved, it is the default."""
    client = logged_in(app, world.hr)
    form = text(client.get(f"/employer/letter?student_ids={world.student.id}"))
    assert 'id="mode-profile" value="profile" disabled' in form
    archive = {k: v for k, v in LETTER.items() if k.startswith(("archive_", "hukou_")) and k != "archive_mode"}
    post(client, "/employer/archive", archive)
    form = text(client.get(f"/employer/letter?student_ids={world.student.id}"))
    assert 'value="长沙星辰软件科技有限公司"' in form and 'value="profile" checked' in form


def test_letter_errors_are_named_in_chinese(app, world, db_session):
    client = logged_in(app, world.hr)
    token = csrf_from(text(client.get(f"/employer/letter?student_ids={world.student.id}")))
    page = text(client.post("/employer/letter", data={"csrf_token": token, "action": "send",
                                                      **LETTER, "position": "", "regular_salary": "100",
                                                      "student_ids": [world.student.id]}))
    assert 'data-role="form-errors"' in page and "拟聘用职位" in page
    assert db_session.query(Invitation).count() == 0


def test_letter_to_nobody_goes_back_to_the_favorites(app, world):
    client = logged_in(app, world.hr)
    response = client.get("/employer/letter")
    assert response.status_code == 303 and response.headers["Location"].endswith("/employer/favorites")


def test_district_picker(app, world):
    client = logged_in(app, world.hr)
    page = text(client.get("/employer/regions?work_region_city=430100", headers={"HX-Request": "true"}))
    assert 'value="430104"' in page


# -- lists, detail, modify, terminations -----------------------------------------------------------

def test_lists_filter_page_and_export(app, world, db_session, monkeypatch):
    invite(world)
    invite(world, world.student2)
    client = logged_in(app, world.hr)
    page = text(client.get("/employer/agreements?status=signing"))
    assert page.count('data-role="group">签约中') == 2
    one = text(client.get(f"/employer/agreements?name={world.student2.name}"))
    assert one.count("data-id=") == 1
    assert text(client.get("/employer/agreements?status=signed")).count("data-id=") == 0
    monkeypatch.setattr("app.web.employer_agreements.PAGE", 1)
    first = text(client.get("/employer/agreements"))
    assert 'data-role="next-page"' in first
    cursor = re.search(r'cursor=(\d+)', first).group(1)
    second = text(client.get(f"/employer/agreements?cursor={cursor}"))
    assert second.count("data-id=") == 1 and 'data-role="next-page"' not in second
    export = client.get(f"/employer/agreements/export.xlsx?name={world.student2.name}")
    rows = list(load_workbook(io.BytesIO(export.data)).active.iter_rows(values_only=True))
    assert len(rows) == 2 and rows[1][7] == world.student2.name
    bad = client.get("/employer/agreements?from=2026-13-01")
    assert bad.status_code == 400 and "日期格式" in text(bad)


def test_detail_shows_the_flow_log_and_modify_works(app, world, db_session):
    invitation_id = invite(world)
    client = logged_in(app, world.hr)
    page = text(client.get(f"/employer/agreements/{invitation_id}"))
    flow = page.split('data-role="flow"')[1]
    assert f"<td>{ACTION_LABELS['invite']}</td>" in flow and world.hr.display_name in flow
    assert 'data-role="modify"' in page
    form = text(client.get(f"/employer/agreements/{invitation_id}/modify"))
    assert 'value="软件工程师"' in form
    token = csrf_from(form)
    data = {**LETTER, "position": "高级工程师"}
    reviewed = text(client.post(f"/employer/agreements/{invitation_id}/modify",
                                data={"csrf_token": token, "action": "review", **data}))
    assert 'data-role="send"' in reviewed
    digest = re.search(r'name="reviewed" value="(\w+)"', reviewed).group(1)
    done = client.post(f"/employer/agreements/{invitation_id}/modify",
                       data={"csrf_token": token, "action": "send", "reviewed": digest, **data})
    assert done.status_code == 303
    assert "高级工程师" in text(client.get(f"/employer/agreements/{invitation_id}"))


def test_employer_requests_a_termination(app, world, db_session):
    invitation_id = effective(world)
    client = logged_in(app, world.hr)
    page = text(client.get(f"/employer/agreements/{invitation_id}"))
    assert 'data-role="request-termination"' in page
    missing = post(client, f"/employer/agreements/{invitation_id}", {"action": "request_termination",
                                                                   "reason": "业务调整"}, follow_redirects=True)
    assert "解约须知" in text(missing)
    post(client, f"/employer/agreements/{invitation_id}", {"action": "request_termination", "reason": "业务调整",
                                                         "acknowledge": "1"})
    termination = db_session.query(Termination).filter_by(invitation_id=invitation_id).one()
    assert termination.initiated_by.value == "employer"


@pytest.mark.parametrize("agree", [True, False])
def test_employer_answers_the_students_request(app, world, db_session, agree):
    from app.services import terminations

    invitation_id = effective(world)
    terminations.request_termination(world.actor(world.student_account), invitation_id, "读研", True)
    client = logged_in(app, world.hr)
    assert "待我回应的解约申请" in text(client.get("/employer/"))
    page = text(client.get(f"/employer/agreements/{invitation_id}"))
    assert 'data-role="answer-termination"' in page and "读研" in page
    data = {"action": "agree", "confirm": "1"} if agree else {"action": "disagree", "reason": "不同意"}
    post(client, f"/employer/agreements/{invitation_id}", data)
    termination = db_session.query(Termination).filter_by(invitation_id=invitation_id).one()
    db_session.refresh(termination)
    assert termination.state.value == ("college_review" if agree else "disagreed")


# -- 户档信息, 单位信息, 认证, 账号 ----------------------------------------------------------------

def test_archive_profile_keeps_history(app, world, db_session):
    client = logged_in(app, world.hr)
    archive = {k: v for k, v in LETTER.items() if k.startswith(("archive_", "hukou_")) and k != "archive_mode"}
    post(client, "/employer/archive", archive)
    post(client, "/employer/archive", {**archive, "archive_unit": "新档案室"})
    page = text(client.get("/employer/archive"))
    assert 'data-version="1"' in page and 'data-version="2"' in page and "新档案室" in page
    bad = post(client, "/employer/archive", {**archive, "archive_address": "没有门牌"})
    assert "门牌号" in text(bad)


def test_unit_and_verification_pages(app, world, db_session, tmp_path, monkeypatch):
    from PIL import Image

    client = logged_in(app, world.hr)
    unit = text(client.get("/employer/unit"))
    assert world.employer.credit_code in unit and "电子就业协议书" in unit
    template = client.get("/employer/verification/authorisation-template.txt")
    assert world.employer.name in template.data.decode("utf-8-sig")
    from app.models import Employer, VerificationStatus

    employer = db_session.get(Employer, world.employer.id)
    employer.verification_status = VerificationStatus.PENDING
    db_session.commit()
    monkeypatch.setitem(app.config, "UPLOAD_DIR", str(tmp_path))
    png = io.BytesIO()
    Image.new("RGB", (40, 30), (0, 0, 200)).save(png, "PNG")
    token = csrf_from(text(client.get("/employer/verification")))
    response = client.post("/employer/verification", data={"csrf_token": token,
                                                            "licence": (io.BytesIO(png.getvalue()), "l.png")},
                           content_type="multipart/form-data", follow_redirects=True)
    assert "认证材料已提交" in text(response) and "营业执照/法人证书" in text(response)


def test_admin_adds_resets_and_disables_colleagues(app, world, db_session):
    from app.models import Account

    admin = db_session.get(Account, world.hr.id)
    admin.employer_admin = True
    db_session.commit()
    client = logged_in(app, world.hr)
    post(client, "/employer/accounts", {"action": "add", "username": "hr.new", "display_name": "新同事",
                                        "password": "newpass123"})
    colleague = db_session.query(Account).filter_by(username="hr.new").one()
    assert colleague.employer_id == world.employer.id
    post(client, "/employer/accounts", {"action": "reset", "account_id": world.hr2.id, "password": "reset1234x"})
    web_login(app.test_client(), world.hr2, "reset1234x")
    post(client, "/employer/accounts", {"action": "disable", "account_id": world.hr2.id})
    db_session.refresh(world.hr2)
    assert not world.hr2.is_active
    own = post(client, "/employer/accounts", {"action": "disable", "account_id": world.hr.id}, follow_redirects=True)
    assert "不能停用自己的账号" in text(own)
    other = post(client, "/employer/accounts", {"action": "disable", "account_id": world.other_hr.id})
    assert other.status_code == 404


def test_a_non_admin_cannot_manage_colleagues(app, world, db_session):
    client = logged_in(app, world.hr2)
    page = text(client.get("/employer/accounts"))
    assert 'data-role="add-account"' not in page and "修改密码" in page
    refused = post(client, "/employer/accounts", {"action": "disable", "account_id": world.hr.id},
                   follow_redirects=True)
    assert "只有本单位的管理员账号" in text(refused)


def test_change_own_password(app, world, db_session):
    client = logged_in(app, world.hr)
    response = post(client, "/account/password", {"current": TEST_PASSWORD, "new": "another123",
                                                  "confirm": "another123"})
    assert response.status_code == 303 and response.headers["Location"] == "/login/done"
    web_login(app.test_client(), world.hr, "another123")


# -- permissions ------------------------------------------------------------------------------------

def test_another_employers_records_are_404(app, world, db_session):
    invitation_id = effective(world)
    client = logged_in(app, world.other_hr)
    for path in (f"/employer/agreements/{invitation_id}", f"/employer/agreements/{invitation_id}/modify"):
        assert client.get(path).status_code == 404, path
    response = post(client, f"/employer/agreements/{invitation_id}",
                    {"action": "request_termination", "reason": "x", "acknowledge": "1"}, page="/employer/")
    assert response.status_code == 404
    assert f'data-id="{invitation_id}"' not in text(client.get("/employer/agreements"))
    export = client.get("/employer/agreements/export.xlsx")
    rows = list(load_workbook(io.BytesIO(export.data)).active.iter_rows(values_only=True))
    assert len(rows) == 1  # the header only


def test_other_roles_are_refused(app, world, db_session):
    reviewer = logged_in(app, world.school_reviewer)
    assert reviewer.get("/employer/").status_code == 403
    student = app.test_client()
    session_for(student, world.student_account)
    assert student.get("/employer/favorites").status_code == 403
    assert app.test_client().get("/employer/").status_code == 302


def test_pages_take_as_many_statements_for_many_rows_as_for_few(app, world, db_session):
    """No N+1: the favorites, the letter form for the ticked students and the 签约 list take the
    same number of statements with 2 students as with 12."""
    from app.services import invitations
    from tests.factories import MajorFactory, StudentFactory, add_favorites
    from tests.test_web_review import count_queries

    client = logged_in(app, world.hr)

    def measure(students) -> list[int]:
        ids = "&".join(f"student_ids={s.id}" for s in students)
        counts = []
        for path in ("/employer/favorites", f"/employer/letter?{ids}", "/employer/agreements"):
            db_session.expire_all()
            with count_queries() as seen:
                assert client.get(path).status_code == 200, path
            counts.append(len(seen))
        return counts

    invitations.send_invitations(world.actor(world.hr), [world.student.id, world.student2.id], world.terms())
    few = measure([world.student, world.student2])
    more = [StudentFactory(major=MajorFactory(college=world.college)) for _ in range(10)]  # names differ
    add_favorites(world.employer, *more)
    db_session.commit()
    invitations.send_invitations(world.actor(world.hr), [s.id for s in more], world.terms())
    assert measure([world.student, world.student2, *more]) == few, few


# -- 单位注册 ------------------------------------------------------------------------------------------

def test_registration_logs_the_new_admin_in_and_leads_to_verification(app, world, db_session):
    from app.models import Account, Employer
    from tests.factories import valid_credit_code

    client = app.test_client()
    assert "用人单位注册" in text(client.get("/login/password"))
    form = {"name": "长沙新星科技有限公司", "credit_code": valid_credit_code(4321), "nature_code": "39",
            "industry_code": "I", "region_code": "430100", "address": "长沙市岳麓区麓谷大道1号",
            "contact_name": "张三", "contact_phone": "0731-88880000", "email": "hr@xinxing.example.com",
            "username": "hr.xinxing", "password": "start1234", "confirm": "start1234"}
    short = post(client, "/employer/register", {**form, "password": "short", "confirm": "short"})
    assert 'data-role="form-errors"' in text(short) and 'value="长沙新星科技有限公司"' in text(short)
    taken = post(client, "/employer/register", {**form, "credit_code": world.employer.credit_code})
    assert "已注册" in text(taken)
    done = post(client, "/employer/register", form)
    assert done.status_code == 303 and done.headers["Location"] == "/employer/verification"
    page = text(client.get("/employer/verification"))
    assert "待审核" in page and "注册成功" in page
    account = db_session.query(Account).filter_by(username="hr.xinxing").one()
    assert account.employer_admin and db_session.get(Employer, account.employer_id).name == "长沙新星科技有限公司"
    assert client.get("/employer/favorites").status_code == 403  # not verified yet: said, not shown


def test_notices_show_and_are_marked_read(app, world, db_session):
    """A student's answer reaches the employer's inbox: the workbench lists it as unread until
    全部标为已读."""
    from app.models import Notification, RecipientType
    from app.services import responses

    invitation_id = invite(world)
    responses.accept_invitation(world.actor(world.student_account), invitation_id, 1, True)
    client = logged_in(app, world.hr)
    page = text(client.get("/employer/"))
    notices = page.split('data-role="notices"')[1]
    assert "条未读" in notices and 'data-role="mark-read"' in notices
    post(client, "/employer/", {})
    unread = db_session.query(Notification).filter_by(recipient_type=RecipientType.EMPLOYER,
                                                      recipient_id=world.employer.id, read_at=None).count()
    assert unread == 0 and "条未读" not in text(client.get("/employer/")).split('data-role="notices"')[1]
