"""The school's and the platform's administration pages on the demo school (`flask demo-data`),
in Chromium at 1366×768. Run with WQ_README_SCREENSHOTS=1 to refresh their screenshots in
docs/screenshots/ for the README."""
from __future__ import annotations

import io

from openpyxl import Workbook
from playwright.sync_api import expect
from sqlalchemy import select

from app.services.roster import HEADERS
from tests.browser_fixtures import shot
from tests.factories import valid_id_number
from tests.test_browser_demo_pages import _demo, _log_in


def _more_signed(db, ids: list[int]) -> None:
    """Agreements in force in two colleges, so the statistics have something to show."""
    from app.domain.actors import Actor
    from app.models import Account
    from app.services import reviews

    accounts = {a.username: Actor.from_account(a) for a in db.session.scalars(
        select(Account).where(Account.username.in_(["school.reviewer", "em.reviewer"])))}
    for invitation_id in ids[6:8]:
        reviews.approve_signing(accounts["school.reviewer"], invitation_id)
    for invitation_id in ids[9:11]:
        reviews.approve_signing(accounts["em.reviewer"], invitation_id)
        reviews.approve_signing(accounts["school.reviewer"], invitation_id)


def _roster(path) -> str:
    book = Workbook()
    sheet = book.active
    sheet.append(list(HEADERS))
    rows = [("2022090001", "欧阳晨", valid_id_number(1, "20040312", "430104"), "计算机学院", "软件工程"),
            ("2022090002", "李思雨", valid_id_number(2, "20040521", "430102")[:-1] + "0", "计算机学院",
             "软件工程"),
            ("2022090003", "王浩然", valid_id_number(3, "20040107", "430302"), "信息学院", "网络工程"),
            ("2022090001", "陈佳怡", valid_id_number(4, "20041115", "430602"), "外国语学院", "英语")]
    for student_no, name, id_number, college, major in rows:
        sheet.append([student_no, name, "", id_number, college, major, "2201", 2026, "本科", "",
                      "13800000000", "", ""])
    out = io.BytesIO()
    book.save(out)
    path.write_bytes(out.getvalue())
    return str(path)


def test_demo_school_administration_pages(page, committing_db, app, tmp_path, monkeypatch):
    """The demo school's administrator and the platform admin at work, page by page."""
    monkeypatch.setitem(app.config, "UPLOAD_DIR", str(tmp_path))
    ids, _termination_id = _demo(committing_db)
    _more_signed(committing_db, ids)

    _log_in(page, "school.reviewer")
    page.click("nav >> text=签约统计")
    expect(page.locator("#chart-status[data-ready='1']")).to_be_attached()
    assert "计算机学院" in page.inner_text("[data-role=stats-table]")
    shot(page, "statistics")

    page.click("nav >> text=学校设置")
    page.select_option("#region_code", "430100")
    page.fill("#monthly_wage", "1930")
    page.click("form[data-role=wage-form] button[type=submit]")
    page.select_option("#region_code", "430000")
    page.fill("#monthly_wage", "1700")
    page.click("form[data-role=wage-form] button[type=submit]")
    expect(page.locator("[data-role=wages] tbody tr")).to_have_count(2)
    page.goto("/school/settings")
    shot(page, "school-settings")

    page.click("nav >> text=学生管理")
    page.click("text=网签开放设置")
    row = page.locator("tr[data-scope='03']")  # 外国语学院
    row.locator("summary").click()
    row.locator("input[name=signing_open][value='0']").check()
    row.locator("input[name=reason]").fill("学院毕业资格审核中，审核通过后开放网上签约")
    row.locator("button[type=submit]").click()
    expect(page.locator(".alert-success")).to_contain_text("名学生的状态已更新")
    shot(page, "signing-open")

    page.click("text=学生信息（签约开放列表）")
    page.select_option("#f-college", label="外国语学院")
    page.click("form.wq-filters button[type=submit]")  # (htmx may not have loaded yet to see the change)
    expect(page.locator("table[data-role=students] tbody tr").first).to_contain_text("学院毕业资格审核中")
    shot(page, "students")
    page.locator("table[data-role=students] tbody tr a").first.click()
    page.fill("#phone", "13912345678")
    page.fill("#reason", "学生更换手机号，本人到就业指导中心申请")
    page.click("form[data-role=correct-form] button[type=submit]")
    expect(page.locator("[data-role=history]")).to_contain_text("139****5678")
    shot(page, "student-detail")

    page.goto("/school/roster")
    page.set_input_files("#file", _roster(tmp_path / "2026届花名册.xlsx"))
    page.click("form[data-role=roster-upload] button[type=submit]")
    expect(page.locator("[data-role=roster-summary]")).to_contain_text("校验未通过")
    shot(page, "roster-report")
    page.goto("/logout")

    _log_in(page, "admin")
    page.click("nav >> text=学校管理")
    shot(page, "admin-schools")
    page.click("nav >> text=账号管理")
    page.select_option("#role", "college_reviewer")
    page.select_option("#college_id", label="19999 · 外国语学院")
    page.fill("#username", "fl.zhou")
    page.fill("#display_name", "周老师")
    page.click("form[data-role=account-create] button[type=submit]")
    expect(page.locator("[data-role=one-time-password]")).to_be_visible()
    shot(page, "admin-accounts")
    page.click("nav >> text=单位账号")
    page.locator("table[data-role=employer-accounts] tbody tr").first.locator("text=重置密码").click()
    expect(page.locator("[data-role=one-time-password]")).to_be_visible()
    shot(page, "admin-employers")
    page.click("nav >> text=字典管理")
    page.click("text=单位性质")
    shot(page, "admin-dictionary")
