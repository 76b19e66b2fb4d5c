"""The school's and the platform's administration pages with the Flask client: every page, every
permission, CSRF, and each form doing what it says."""
from __future__ import annotations

import io
import re

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from app.models import Account, College, DictEntry, Major, MinimumWage, School, Student
from app.services.accounts import verify_password
from tests.test_roster import row, xlsx
from tests.web_helpers import csrf_from, page_token, session_for, web_login

SCHOOL_PAGES = ["/school/settings", "/school/colleges", "/school/accounts", "/school/students",
                "/school/students/{student}", "/school/signing-open", "/school/roster",
                "/school/roster/template.xlsx"]
ADMIN_PAGES = ["/admin/schools", "/admin/schools/{school}", "/admin/schools/{school}/colleges",
               "/admin/accounts", "/admin/employers", "/admin/dictionaries", "/admin/dictionaries/region"]
STAFF_PAGES = ["/statistics", "/statistics/export.xlsx", "/account/password"]


def fill(path: str, world) -> str:
    return path.format(student=world.student.id, school=world.school.id)


def log_in(client, world, who: str) -> None:
    account = getattr(world, who)
    if account.username is None:
        session_for(client, account)
    else:
        web_login(client, account)


def post(client, path: str, data: dict, token_page: str | None = None, **kw):
    token = page_token(client, token_page or path)
    return client.post(path, data={"csrf_token": token, **data}, **kw)


def flashed(client, path: str) -> str:
    return client.get(path).get_data(as_text=True)


# -- who may see what ------------------------------------------------------------------------------

@pytest.mark.parametrize("path", SCHOOL_PAGES + ADMIN_PAGES + STAFF_PAGES)
def test_anonymous_is_sent_to_log_in(client, world, path):
    response = client.get(fill(path, world))
    assert response.status_code == 302 and response.headers["Location"].startswith("/login?next=")


@pytest.mark.parametrize("who", ["college_reviewer", "student_account", "hr", "admin"])
@pytest.mark.parametrize("path", SCHOOL_PAGES)
def test_school_pages_are_for_the_schools_reviewers_only(client, world, dicts, who, path):
    """Does a college reviewer (or a student, an employer, even the platform admin) get the 403
    page on the school's administration pages?"""
    log_in(client, world, who)
    response = client.get(fill(path, world))
    assert response.status_code == 403, (who, path)
    assert "无权访问" in response.get_data(as_text=True)


@pytest.mark.parametrize("who", ["college_reviewer", "school_reviewer", "student_account", "hr"])
@pytest.mark.parametrize("path", ADMIN_PAGES)
def test_platform_pages_are_for_the_platform_admin_only(client, world, dicts, who, path):
    log_in(client, world, who)
    assert client.get(fill(path, world)).status_code == 403


@pytest.mark.parametrize("path", SCHOOL_PAGES)
def test_school_reviewer_sees_every_school_page(client, world, dicts, path):
    web_login(client, world.school_reviewer)
    response = client.get(fill(path, world))
    assert response.status_code == 200, response.get_data(as_text=True)[:500]


@pytest.mark.parametrize("path", ADMIN_PAGES + STAFF_PAGES)
def test_platform_admin_sees_every_platform_page(client, world, dicts, path):
    web_login(client, world.admin)
    assert client.get(fill(path, world)).status_code == 200


def test_another_schools_reviewer_gets_nothing_of_ours(client, world, dicts):
    """Our student is 'not found' for another school's reviewer, and their pages list only theirs."""
    web_login(client, world.other_school_reviewer)
    assert client.get(f"/school/students/{world.student.id}").status_code == 404
    response = post(client, f"/school/students/{world.student.id}",
                    {"action": "signing", "signing_open": "0", "reason": "x"}, token_page="/school/settings")
    assert response.status_code == 404
    html = client.get("/school/students").get_data(as_text=True)
    assert world.student.name not in html
    assert world.college.name not in client.get("/school/colleges").get_data(as_text=True)
    stats = client.get(f"/statistics?school={world.school.id}").get_data(as_text=True)
    assert world.school.name not in stats  # ?school= is the platform admin's only


def test_a_college_reviewer_reads_their_college_statistics(client, world):
    web_login(client, world.other_college_reviewer)
    html = client.get("/statistics").get_data(as_text=True)
    assert world.other_college.name in html and f'data-college="{world.college.code}"' not in html


def test_forms_without_a_csrf_token_are_refused(client, world, dicts):
    """Is every form of these pages refused without its CSRF token?"""
    web_login(client, world.school_reviewer)
    for path in ("/school/settings", "/school/colleges", "/school/accounts", "/school/signing-open",
                 f"/school/students/{world.student.id}", "/school/roster"):
        response = client.post(path, data={"action": "settings"})
        assert response.status_code == 400 and "页面已过期" in response.get_data(as_text=True), path
    client.get("/logout")
    web_login(client, world.admin)
    for path in ("/admin/schools", "/admin/accounts", "/admin/employers", "/admin/dictionaries/region"):
        assert client.post(path, data={"action": "add"}).status_code == 400, path


def test_pages_have_no_inline_script_or_style(client, world, dicts):
    web_login(client, world.school_reviewer)
    for path in SCHOOL_PAGES[:-1] + ["/statistics"]:
        html = client.get(fill(path, world)).get_data(as_text=True)
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html), path
        assert not re.search(r"<style|\sstyle=", html), path


# -- 学校设置 -------------------------------------------------------------------------------------

SETTINGS = {"action": "settings", "review_levels": "school", "default_feedback_days": "7",
            "termination_limit": "2", "review_sla_days": "4", "liquidated_damages_cap": "5000"}


def test_settings_form_saves_every_setting(client, world, db_session):
    web_login(client, world.school_reviewer)
    response = post(client, "/school/settings", SETTINGS)
    assert response.status_code == 303
    assert "学校设置已保存" in flashed(client, "/school/settings")
    school = db_session.get(School, world.school.id)
    db_session.refresh(school)
    assert (school.review_levels.value, school.default_feedback_days, school.termination_limit,
            school.review_sla_days, school.liquidated_damages_cap, school.forced_terminations_count) == (
        "school", 7, 2, 4, 5000, False)  # the box was not ticked


@pytest.mark.parametrize("field, value, message", [
    ("default_feedback_days", "abc", "应为整数"), ("default_feedback_days", "0", "1至60"),
    ("review_levels", "three", "选项不正确"), ("review_sla_days", "", "请填写审核时限"),
])
def test_bad_settings_are_flashed_not_500(client, world, db_session, field, value, message):
    web_login(client, world.school_reviewer)
    response = post(client, "/school/settings", {**SETTINGS, field: value})
    assert response.status_code == 303
    assert message in flashed(client, "/school/settings")
    assert db_session.get(School, world.school.id).default_feedback_days == 5


def test_minimum_wage_is_set_and_removed_through_the_page(client, world, db_session, dicts):
    web_login(client, world.school_reviewer)
    post(client, "/school/settings", {"action": "wage_set", "region_code": "430100", "monthly_wage": "1930"})
    assert "430100 的最低月工资：1930" in flashed(client, "/school/settings")
    wage = db_session.scalar(select(MinimumWage))
    post(client, "/school/settings", {"action": "wage_delete", "wage_id": str(wage.id)})
    assert db_session.scalar(select(func.count()).select_from(MinimumWage)) == 0


def test_colleges_and_majors_through_the_page(client, world, db_session):
    web_login(client, world.school_reviewer)
    post(client, "/school/colleges", {"action": "college_create", "code": "88", "name": "艺术学院"})
    college = db_session.scalar(select(College).where(College.code == "88"))
    assert college.school_id == world.school.id
    post(client, "/school/colleges", {"action": "major_create", "college_id": str(college.id),
                                      "code": "130401", "name": "美术学"})
    post(client, "/school/colleges", {"action": "college_rename", "college_id": str(college.id),
                                      "name": "美术学院"})
    html = client.get("/school/colleges").get_data(as_text=True)
    assert "美术学院" in html and "美术学" in html and "已更名" in html
    major = db_session.scalar(select(Major).where(Major.code == "130401"))
    post(client, "/school/colleges", {"action": "major_rename", "major_id": str(major.id), "name": "绘画"})
    assert "专业已更名为：绘画" in flashed(client, "/school/colleges")
    post(client, "/school/colleges", {"action": "college_create", "code": "88", "name": "重复学院"})
    assert "已有相同代码" in flashed(client, "/school/colleges")


def test_reviewer_accounts_of_my_school(client, world, db_session):
    """Does the school create a college reviewer (one-time password shown once), reset and
    disable one of its reviewers, and not touch another school's?"""
    web_login(client, world.school_reviewer)
    response = post(client, "/school/accounts", {"action": "create", "role": "college_reviewer",
                                                 "college_id": str(world.college.id),
                                                 "username": "cs.wang", "display_name": "王老师"})
    html = response.get_data(as_text=True)
    password = re.search(r'data-role="one-time-password">([^<]+)<', html).group(1)
    account = db_session.scalar(select(Account).where(Account.username == "cs.wang"))
    assert verify_password(account.password_hash, password) and account.college_id == world.college.id
    assert password not in client.get("/school/accounts").get_data(as_text=True)  # shown once
    response = post(client, "/school/accounts", {"action": "reset", "account_id": str(account.id)})
    assert "一次性密码" in response.get_data(as_text=True)
    post(client, "/school/accounts", {"action": "disable", "account_id": str(account.id)})
    db_session.refresh(account)
    assert account.is_active is False
    response = post(client, "/school/accounts", {"action": "disable",
                                                 "account_id": str(world.other_school_reviewer.id)})
    assert response.status_code == 404
    response = post(client, "/school/accounts", {"action": "create", "role": "platform_admin",
                                                 "username": "sneaky", "display_name": "某某"})
    assert response.status_code == 403  # a school cannot make platform admins
    assert db_session.scalar(select(Account).where(Account.username == "sneaky")) is None


# -- 学生管理 -------------------------------------------------------------------------------------

def test_students_list_filters_and_htmx_fragment(client, world):
    web_login(client, world.school_reviewer)
    html = client.get(f"/school/students?college={world.other_college.id}").get_data(as_text=True)
    assert world.other_college_student.name in html and world.student.name not in html
    fragment = client.get(f"/school/students?q={world.student.student_no}", headers={"HX-Request": "true"})
    body = fragment.get_data(as_text=True)
    assert body.lstrip().startswith('<div id="students-results"') and world.student.name in body
    assert "<html" not in body
    assert client.get("/school/students?open=maybe").status_code == 400
    assert world.student.phone not in html  # phones are masked in the list


def test_correcting_a_student_through_the_page(client, world, db_session):
    web_login(client, world.school_reviewer)
    path = f"/school/students/{world.student.id}"
    response = post(client, path, {"action": "correct", "name": world.student.name, "phone": "13912345678",
                                   "id_number": "", "major_id": str(world.other_major.id),
                                   "reason": "学生转专业并换号"})
    assert response.status_code == 303
    html = client.get(path).get_data(as_text=True)
    assert "已修改：手机号、专业、学院" in html or "已修改：" in html
    assert "139****5678" in html and "13912345678" not in html and "学生转专业并换号" in html
    student = db_session.get(Student, world.student.id)
    db_session.refresh(student)
    assert (student.phone, student.college_id) == ("13912345678", world.other_college.id)
    response = post(client, path, {"action": "correct", "name": student.name, "reason": ""})
    assert "请填写修改原因" in flashed(client, path)


def test_closing_and_reopening_one_student(client, world, db_session):
    web_login(client, world.school_reviewer)
    path = f"/school/students/{world.student.id}"
    post(client, path, {"action": "signing", "signing_open": "0", "reason": "毕业资格审核中"})
    student = db_session.get(Student, world.student.id)
    db_session.refresh(student)
    assert (student.signing_open, student.signing_closed_reason) == (False, "毕业资格审核中")
    post(client, path, {"action": "source", "source_status": "rejected", "reason": "生源信息有误"})
    html = client.get(path).get_data(as_text=True)
    assert "毕业资格审核中" in html and "审核不通过" in html


def test_signing_open_scope_through_the_page(client, world, db_session):
    web_login(client, world.school_reviewer)
    response = post(client, "/school/signing-open", {"action": "signing", "cohort": "2026",
                                                     "college_id": str(world.college.id), "signing_open": "0",
                                                     "reason": "学院信息核对中"})
    assert response.status_code == 303 and response.headers["Location"].endswith("cohort=2026")
    html = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "2 名学生的状态已更新" in html and "学院信息核对中" in html
    assert db_session.scalar(select(func.count()).select_from(Student).where(
        Student.signing_open.is_(False))) == 2
    post(client, "/school/signing-open", {"action": "source", "cohort": "2026", "college_id": "",
                                          "source_status": "pending", "only_from": "", "reason": "重新核对"})
    assert db_session.scalar(select(func.count()).select_from(Student).where(
        Student.school_id == world.school.id, Student.source_status == "pending")) == 3


def test_roster_upload_check_and_confirm(client, world, db_session):
    """Upload → the check's report; confirm → imported; a bad file is reported, nothing imported."""
    world.college.name, world.major.name = "计算机学院", "软件工程"
    db_session.commit()
    web_login(client, world.school_reviewer)
    bad = xlsx([row(1, 学号="R1"), row(2, 学号="R2", 学院="物理学院")])
    response = post(client, "/school/roster", {"file": (io.BytesIO(bad), "花名册.xlsx")},
                    content_type="multipart/form-data")
    assert response.status_code == 303
    html = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "校验未通过：1 处错误" in html and "第3行" in html and "物理学院" in html
    assert 'data-role="roster-confirm"' not in html

    good = xlsx([row(1, 学号="R1"), row(2, 学号="R2")])
    response = post(client, "/school/roster", {"file": (io.BytesIO(good), "花名册.xlsx")},
                    content_type="multipart/form-data")
    check_page = response.headers["Location"]
    html = client.get(check_page).get_data(as_text=True)
    assert "校验通过：共 2 名学生" in html
    before = db_session.scalar(select(func.count()).select_from(Student))
    response = client.post(check_page, data={"csrf_token": csrf_from(html)})
    assert response.status_code == 303
    html = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "导入成功：2 名学生" in html
    assert db_session.scalar(select(func.count()).select_from(Student)) == before + 2
    response = client.post(check_page, data={"csrf_token": csrf_from(html)})  # the same upload again
    assert response.status_code == 404  # imported: the upload is gone

    response = post(client, "/school/roster", {"file": (io.BytesIO(b"name,phone\n"), "x.csv")},
                    content_type="multipart/form-data")
    assert "不是有效的Excel" in flashed(client, "/school/roster")
    assert "花名册导入" in client.get("/school/roster").get_data(as_text=True)


def test_someone_elses_roster_job_is_not_found(client, world, db_session):
    web_login(client, world.school_reviewer)
    response = post(client, "/school/roster", {"file": (io.BytesIO(xlsx([row(1)])), "a.xlsx")},
                    content_type="multipart/form-data")
    job_path = response.headers["Location"]
    client.get("/logout")
    web_login(client, world.admin)
    assert client.get(job_path).status_code == 403  # the admin has no school pages at all
    school_reviewer2 = Account(role=world.school_reviewer.role, username="sr2", display_name="第二位",
                               password_hash=world.school_reviewer.password_hash, school_id=world.school.id)
    db_session.add(school_reviewer2)
    db_session.commit()
    client.get("/logout")
    web_login(client, school_reviewer2)
    assert client.get(job_path).status_code == 404


def test_template_download(client, world):
    web_login(client, world.school_reviewer)
    response = client.get("/school/roster/template.xlsx")
    assert response.mimetype.endswith("spreadsheetml.sheet") and response.data[:2] == b"PK"


# -- 签约统计 -------------------------------------------------------------------------------------

def test_statistics_page_and_export_carry_the_same_figures(client, world):
    from tests.test_statistics import sign_some

    sign_some(world)
    web_login(client, world.school_reviewer)
    html = client.get("/statistics?cohort=2026").get_data(as_text=True)
    assert "33.3" in html and "data-chart=" in html and "echarts.min.js" in html
    book = load_workbook(io.BytesIO(client.get("/statistics/export.xlsx?cohort=2026").data))
    assert list(book["按学院"].iter_rows(values_only=True))[-1][1:4] == ("合计", 3, 1)
    assert client.get("/statistics?cohort=1999").status_code == 400


def test_admin_picks_the_school_for_statistics(client, world):
    web_login(client, world.admin)
    html = client.get(f"/statistics?school={world.other_school.id}").get_data(as_text=True)
    assert world.other_school.name in html


# -- 平台管理 -------------------------------------------------------------------------------------

def test_admin_creates_and_edits_a_school(client, world, db_session, dicts):
    web_login(client, world.admin)
    response = post(client, "/admin/schools", {**SETTINGS, "code": "10533", "name": "中南示范大学",
                                               "region_code": "430100", "forced_terminations_count": "1"})
    assert response.status_code == 303
    school = db_session.scalar(select(School).where(School.code == "10533"))
    assert (school.review_sla_days, school.forced_terminations_count) == (4, True)
    post(client, f"/admin/schools/{school.id}", {"action": "profile", "name": "中南示范大学（新）",
                                                 "region_code": "430000"})
    db_session.refresh(school)
    assert school.name == "中南示范大学（新）"
    post(client, f"/admin/schools/{school.id}/colleges", {"action": "college_create", "code": "01",
                                                          "name": "土木工程学院"})
    assert "土木工程学院" in client.get(f"/admin/schools/{school.id}/colleges").get_data(as_text=True)
    post(client, "/admin/schools", {**SETTINGS, "code": "10533", "name": "重复"})
    assert "已存在" in flashed(client, "/admin/schools")


def test_admin_creates_accounts_of_any_role(client, world, db_session):
    web_login(client, world.admin)
    html = post(client, "/admin/accounts", {"action": "create", "role": "platform_admin", "username": "ops2",
                                            "display_name": "运维"}).get_data(as_text=True)
    assert 'data-role="one-time-password"' in html
    post(client, "/admin/accounts", {"action": "create", "role": "college_reviewer",
                                     "school_id": str(world.school.id),
                                     "college_id": str(world.other_college.id),
                                     "username": "math.li", "display_name": "李老师"})
    account = db_session.scalar(select(Account).where(Account.username == "math.li"))
    assert (account.school_id, account.college_id) == (world.school.id, world.other_college.id)
    html = client.get(f"/admin/accounts?school={world.other_school.id}").get_data(as_text=True)
    assert world.other_school_reviewer.username in html and "math.li" not in html


def test_admin_resets_and_disables_employer_users(client, world, db_session):
    web_login(client, world.admin)
    html = post(client, "/admin/employers", {"action": "reset", "account_id": str(world.hr.id)}).get_data(
        as_text=True)
    password = re.search(r'data-role="one-time-password">([^<]+)<', html).group(1)
    hr = db_session.get(Account, world.hr.id)
    db_session.refresh(hr)
    assert verify_password(hr.password_hash, password) and hr.must_change_password
    post(client, "/admin/employers", {"action": "disable", "account_id": str(world.hr.id)})
    db_session.refresh(hr)
    assert not hr.is_active
    listed = client.get(f"/admin/employers?q={world.employer.credit_code}").get_data(as_text=True)
    assert world.hr.username in listed and world.other_hr.username not in listed


def test_admin_edits_dictionaries(client, world, db_session, dicts):
    web_login(client, world.admin)
    entry = db_session.scalar(select(DictEntry).where(DictEntry.kind == "job_category",
                                                      DictEntry.code == "10"))
    post(client, "/admin/dictionaries/job_category", {"action": "update", "entry_id": str(entry.id),
                                                      "name": "公务员（含参公）", "parent_code": ""})
    db_session.refresh(entry)
    assert entry.name == "公务员（含参公）" and entry.is_active is False  # the box was not ticked
    post(client, "/admin/dictionaries/job_category", {"action": "add", "code": "98", "name": "新职业"})
    assert "已添加：98 新职业" in flashed(client, "/admin/dictionaries/job_category")
    assert client.get("/admin/dictionaries/nonsense").status_code == 404


# -- 修改密码 -------------------------------------------------------------------------------------

def test_a_reset_password_must_be_changed_first(client, world, db_session):
    """After a reset, does every page lead to 修改密码 until a new password is set?"""
    from app.services import admin_accounts

    issued = admin_accounts.reset_password(world.actor(world.admin), world.college_reviewer.id)
    web_login(client, world.college_reviewer, issued.password)
    response = client.get("/")
    assert response.status_code == 302 and response.headers["Location"] == "/account/password"
    htmx = client.get("/statistics", headers={"HX-Request": "true"})
    assert htmx.headers["HX-Redirect"] == "/account/password"
    assert "管理员已重置你的密码" in client.get("/account/password").get_data(as_text=True)
    response = post(client, "/account/password", {"current": issued.password, "new": "Better2026x",
                                                  "confirm": "Better2026x"})
    assert response.status_code == 303 and response.headers["Location"] == "/"
    assert client.get("/").status_code == 200


def test_changing_my_password_checks_the_current_one(client, world):
    web_login(client, world.school_reviewer)
    post(client, "/account/password", {"current": "wrong", "new": "Better2026x", "confirm": "Better2026x"})
    assert "当前密码不正确" in flashed(client, "/account/password")
