"""An HR user's afternoon in a real browser (Chromium): log in with a password, import students
into the favorites from an Excel file, send them one letter (checks and preview first), then
filter the 签约中 list and export it — the manuals' desktop workbench (seeds 000, 001, 004)."""
from __future__ import annotations

import io

from openpyxl import Workbook, load_workbook
from playwright.sync_api import expect

from tests.browser_fixtures import log_in, shot


def _sheet(students) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.append(["学校代码", "毕业年度", "姓名", "手机号或身份证号"])
    for s in students:
        sheet.append([s.school.code, s.cohort, s.name, s.phone])
    sheet.append(["10001", 2026, "查无此人", "13900000000"])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_import_send_filter_export(page, live_world, committing_db, tmp_path):
    from app.services import archive
    from tests.factories import StudentFactory

    world = live_world
    newcomers = [StudentFactory(major=world.major) for _ in range(3)]
    archive.save_profile(world.actor(world.hr), world.terms().archive)  # 户档信息: the letter's default
    from app.models import MinimumWage

    committing_db.session.add(MinimumWage(school_id=world.school.id, region_code="430100", monthly_wage=1930))
    committing_db.session.commit()

    log_in(page, world.hr)
    page.wait_for_url("**/employer/")
    assert page.locator("[data-count=signing] .wq-card-value").inner_text() == "0"
    assert "首次登录" in page.inner_text("[data-role=last-login]")
    shot(page, "employer-workbench")

    page.click("nav >> text=签约/解约")
    page.wait_for_url("**/employer/favorites")
    with page.expect_download() as template:
        page.click("[data-role=template]")
    assert template.value.suggested_filename == "学生名单导入模板.xlsx"
    upload = tmp_path / "名单.xlsx"
    upload.write_bytes(_sheet(newcomers))
    page.set_input_files("#import-file", str(upload))
    page.click("[data-role=import-form] button[type=submit]")
    report = page.locator("[data-role=import-report]")
    expect(report).to_contain_text("新加入 3 人")
    expect(report.locator("tr.table-danger")).to_have_count(1)
    assert "未找到可签约的学生" in report.inner_text()
    shot(page, "employer-favorites-import")

    for s in newcomers:
        page.check(f"tr[data-student='{s.id}'] input[name=student_ids]")
    page.click("[data-role=invite-selected]")
    page.wait_for_url("**/employer/letter?**")
    assert "邀请对象（3人）" in page.inner_text("[data-role=recipients]")
    assert page.input_value("#archive_unit") == world.terms().archive.archive_unit  # from 户档信息
    page.select_option("#job_category_code", "13")
    page.fill("#position", "软件工程师")
    page.fill("#probation_days", "90")
    page.fill("#probation_salary", "1000")  # below the minimum wage: a warning, not a refusal
    page.fill("#regular_salary", "12000")
    page.fill("#liquidated_damages", "3000")
    page.fill("#report_deadline", "2026-07-15")
    page.select_option("#work_region_city", "430100")
    expect(page.locator("#work_region_code option[value='430104']")).to_have_count(1)
    page.select_option("#work_region_code", "430104")
    page.fill("#contact_phone", "0731-88888888")
    expect(page.locator("[data-role=send]")).to_have_count(0)  # no send before the checks
    page.click("[data-role=review]")
    expect(page.locator("[data-role=preview]")).to_contain_text("软件工程师")
    assert "低于" in page.inner_text("[data-check=SALARY_BELOW_MINIMUM]")
    assert page.locator("#work_region_code").input_value() == "430104"  # the district stays chosen
    page.locator("[data-role=checks]").scroll_into_view_if_needed()
    shot(page, "employer-letter-checks")
    page.click("[data-role=send]")
    results = page.locator("[data-role=send-results]")
    expect(results.locator("tr.table-success")).to_have_count(3)
    shot(page, "employer-letters-sent")

    page.click("text=查看签约中")
    page.wait_for_url("**/employer/agreements?status=signing")
    expect(page.locator("table[data-role=agreements] tbody tr[data-id]")).to_have_count(3)
    page.fill("#f-name", newcomers[1].name)
    page.click("[data-role=filter]")
    expect(page.locator("table[data-role=agreements] tbody tr[data-id]")).to_have_count(1)
    assert "name=" in page.url  # the filter is in the address
    shot(page, "employer-agreements-filtered")
    with page.expect_download() as export:
        page.click("[data-role=export]")
    rows = list(load_workbook(io.BytesIO(export.value.path().read_bytes())).active.iter_rows(values_only=True))
    assert len(rows) == 2 and rows[1][7] == newcomers[1].name and rows[1][1] == "签约中"

    page.click(f"table[data-role=agreements] >> text={newcomers[1].name}")
    expect(page.locator("[data-role=flow]")).to_contain_text(world.hr.display_name)
    shot(page, "employer-agreement-detail")


def test_student_scanned_in_sees_status_and_the_mini_program_code(page, app, live_server, live_world):
    """A student's desktop session (as a QR scan leaves it) shows the destination, the e-agreement
    link and the code that opens the mini-program; nothing on the page answers for them."""
    from tests.review_helpers import effective
    from tests.web_helpers import session_for

    world = live_world
    invitation_id = effective(world)
    client = app.test_client()
    session_for(client, world.student_account)
    cookie = client.get_cookie(app.config["SESSION_COOKIE_NAME"])
    page.context.add_cookies([{"name": cookie.key, "value": cookie.value, "url": live_server}])
    page.goto("/login/done")
    page.wait_for_url("**/student/")
    expect(page.locator("[data-role=destination]")).to_contain_text(world.employer.name)
    assert page.locator("[data-role=mp-code] img").evaluate("img => img.naturalWidth") > 0
    shot(page, "student-home")
    page.click("[data-role=destination] >> text=查看详情")
    page.wait_for_url(f"**/student/letters/{invitation_id}")
    expect(page.locator("[data-role=flow]")).to_contain_text("审核")
    assert page.locator("main form").count() == 0


def test_admin_user_manages_accounts_and_the_archive_profile(page, live_world, committing_db):
    from app.models import Account

    world = live_world
    committing_db.session.get(Account, world.hr.id).employer_admin = True
    committing_db.session.commit()
    log_in(page, world.hr)
    page.click("nav >> text=户档信息管理")
    page.select_option("#archive_receiving", "forward")
    for field, value in (("#archive_unit", "长沙市人才服务中心"), ("#archive_address", "长沙市芙蓉区五一大道98号"),
                         ("#archive_postcode", "410011"), ("#archive_contact", "赵老师"),
                         ("#archive_phone", "0731-84440000")):
        page.fill(field, value)
    page.click("[data-role=archive-form] button[type=submit]")
    expect(page.locator("#flash-area")).to_contain_text("户档信息已保存")
    page.fill("#archive_contact", "钱老师")
    page.click("[data-role=archive-form] button[type=submit]")
    expect(page.locator("[data-role=archive-history] tbody tr")).to_have_count(2)
    shot(page, "employer-archive")

    page.click("nav >> text=账号管理")
    page.fill("#new-username", "hr.colleague")
    page.fill("#new-name", "孙同事")
    page.fill("#new-password", "first1234")
    page.click("[data-role=add-account] button[type=submit]")
    expect(page.locator("#flash-area")).to_contain_text("已添加账号 hr.colleague")
    row = page.locator(f"tr[data-account='{world.hr2.id}']")
    row.locator("button:has-text('停用')").click()
    expect(page.locator("#flash-area")).to_contain_text("账号已停用")
    expect(page.locator(f"tr[data-account='{world.hr2.id}']")).to_contain_text("已停用")
    shot(page, "employer-accounts")


def test_termination_both_ways_from_the_detail(page, live_world, committing_db):
    """The employer asks to terminate one agreement (解约须知 acknowledged) and agrees to the
    student's request on another (with the second confirmation)."""
    from app.services import terminations
    from tests.review_helpers import effective

    world = live_world
    ours = effective(world)
    theirs = effective(world, student=world.student2)
    terminations.request_termination(world.actor(world.student2_account), theirs, "考取研究生", True)
    committing_db.session.commit()

    log_in(page, world.hr)
    page.goto(f"/employer/agreements/{ours}")
    page.click("[data-role=request-termination] summary")
    page.fill("#t-reason", "岗位调整")
    page.check("#t-ack")
    page.click("[data-role=request-termination] button[type=submit]")
    expect(page.locator("#flash-area")).to_contain_text("解约申请已提交")
    expect(page.locator("[data-role=terminations]")).to_contain_text("岗位调整")

    page.goto("/employer/")
    page.click(f"[data-role=waiting-terminations] >> text={world.student2.name}")
    expect(page.locator("[data-role=answer-termination]")).to_contain_text("考取研究生")
    shot(page, "employer-termination-answer")
    page.check("#a-confirm")
    page.click("[data-role=answer-termination] button:has-text('同意解约')")
    expect(page.locator("#flash-area")).to_contain_text("已同意解约")
    expect(page.locator("[data-role=answer-termination]")).to_have_count(0)
