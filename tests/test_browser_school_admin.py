"""The school's administration in a real browser (Chromium): import a roster through the page
(upload, per-row report, confirm, progress), change a setting, close signing for a college,
correct a student, open the statistics; the platform admin's pages. (The README's screenshots
come from tests/test_browser_demo_admin_pages.py, on the demo school.)"""
from __future__ import annotations

import io
import threading

import pytest
from openpyxl import Workbook
from playwright.sync_api import expect

from app.extensions import redis_ext
from app.services.roster import HEADERS
from tests.browser_fixtures import log_in, shot
from tests.factories import valid_id_number
from tests.test_statistics import sign_some


def roster_xlsx(path, rows: int, bad: bool = False) -> str:
    """A roster of ``rows`` students of 计算机学院/软件工程; with ``bad``, rows 7, 12 and 20 of the
    data (Excel rows 8, 13, 21) carry a wrong check digit, an unknown college, a repeated 学号."""
    book = Workbook()
    sheet = book.active
    sheet.append(list(HEADERS))
    for n in range(1, rows + 1):
        id_number = valid_id_number(n % 1000, birth=f"2004{1 + n // 1000:02d}03")
        student_no, college = f"R{n:06d}", "计算机学院"
        if bad and n == 7:
            id_number = id_number[:-1] + ("0" if id_number[-1] != "0" else "1")
        if bad and n == 12:
            college = "物理学院"
        if bad and n == 20:
            student_no = "R000003"
        sheet.append([student_no, f"新生{n}", "", id_number, college, "软件工程", "软件2201", 2026,
                      "本科", "", f"137{n:08d}", "", ""])
    out = io.BytesIO()
    book.save(out)
    path.write_bytes(out.getvalue())
    return str(path)


@pytest.fixture
def named_world(live_world, committing_db):
    """The world's first college and major carry the names the roster uses."""
    world = live_world
    world.college.name, world.major.name = "计算机学院", "软件工程"
    committing_db.session.commit()
    return world


@pytest.fixture
def background_jobs(app, monkeypatch):
    """Long jobs are queued, not run inside the request; ``run_next()`` runs the queued ones in a
    thread, as a worker would, so the page shows the progress bar meanwhile."""
    with app.app_context():
        queue = redis_ext.queue("default")
    monkeypatch.setattr(queue, "_is_async", True)
    threads: list[threading.Thread] = []

    def run_next() -> None:
        from app.models import LongJob, WorkState
        from app.services import long_work

        def work():
            with app.app_context():
                from app.extensions import db

                for job_id in db.session.scalars(db.select(LongJob.id).where(
                        LongJob.state == WorkState.QUEUED).order_by(LongJob.id)).all():
                    long_work.run(job_id)
                db.session.remove()

        thread = threading.Thread(target=work, name="roster-worker")
        thread.start()
        threads.append(thread)

    yield run_next
    for thread in threads:
        thread.join(timeout=60)


def test_roster_import_through_the_page(page, named_world, background_jobs, tmp_path):
    """Does a bad roster come back with its row report and import nothing; does a good one show
    its progress, pass, and after confirmation import every student?"""
    world = named_world
    log_in(page, world.school_reviewer)
    page.click("nav >> text=学生管理")
    page.click("text=花名册导入")
    page.set_input_files("#file", roster_xlsx(tmp_path / "花名册.xlsx", 30, bad=True))
    page.click("form[data-role=roster-upload] button[type=submit]")
    expect(page.locator("progress.wq-progress")).to_be_visible()
    background_jobs()
    expect(page.locator("[data-role=roster-summary]")).to_contain_text("校验未通过：3 处错误")
    report = page.inner_text("[data-role=roster-problems]")
    assert "第8行" in report and "校验位错误" in report
    assert "第13行" in report and "物理学院" in report and "第21行" in report
    assert page.locator("[data-role=roster-confirm]").count() == 0
    shot(page, "flow-roster-report")

    page.goto("/school/roster")
    page.set_input_files("#file", roster_xlsx(tmp_path / "good.xlsx", 3000))
    page.click("form[data-role=roster-upload] button[type=submit]")
    expect(page.locator("progress.wq-progress")).to_be_visible()
    shot(page, "flow-roster-progress")
    background_jobs()
    expect(page.locator("[data-role=roster-summary]")).to_contain_text("校验通过：共 3000 名学生")
    shot(page, "flow-roster-check")
    page.click("[data-role=roster-confirm] button[type=submit]")
    expect(page.locator("#roster-progress")).to_be_visible()
    background_jobs()
    expect(page.locator("[data-role=roster-summary]")).to_contain_text("导入成功：3000 名学生")
    page.click("text=查看学生")
    page.fill("#f-q", "R000042")
    page.click("form.wq-filters button[type=submit]")
    expect(page.locator("table[data-role=students] tbody tr")).to_have_count(1)
    assert "新生42" in page.inner_text("table[data-role=students]")


def test_settings_signing_scope_student_and_statistics(page, live_world, committing_db):
    """Does a school reviewer change a setting, close signing for a college with a reason the
    students see, correct a student's phone with a history line, and read the statistics?"""
    world = live_world
    sign_some(world)  # one agreement effective, one in review: the statistics have colours
    log_in(page, world.school_reviewer)
    page.click("nav >> text=学校设置")
    page.fill("#review_sla_days", "5")
    page.uncheck("#forced_terminations_count")
    page.click("form[data-role=settings-form] button[type=submit]")
    expect(page.locator(".alert-success")).to_contain_text("学校设置已保存")
    assert page.input_value("#review_sla_days") == "5"
    assert not page.is_checked("#forced_terminations_count")
    page.select_option("#region_code", "430100")
    page.fill("#monthly_wage", "1930")
    page.click("form[data-role=wage-form] button[type=submit]")
    expect(page.locator("[data-role=wages] tbody")).to_contain_text("1930")
    shot(page, "flow-school-settings")

    page.click("nav >> text=学生管理")
    page.click("text=网签开放设置")
    row = page.locator(f"tr[data-scope='{world.college.code}']")
    row.locator("summary").click()
    row.locator("input[name=signing_open][value='0']").check()
    row.locator("input[name=reason]").fill("学院毕业资格审核中")
    row.locator("button[type=submit]").click()
    expect(page.locator(".alert-success")).to_contain_text("2 名学生的状态已更新")
    expect(page.locator("[data-role=scope-log] tbody tr").first).to_contain_text("学院毕业资格审核中")
    shot(page, "flow-signing-open")

    page.click("text=学生信息（签约开放列表）")
    page.select_option("#f-open", "0")
    page.click("form.wq-filters button[type=submit]")  # (htmx may not have loaded yet to see the change)
    expect(page.locator("table[data-role=students] tbody tr")).to_have_count(2)
    assert "学院毕业资格审核中" in page.inner_text("table[data-role=students]")
    shot(page, "flow-students")
    page.click(f"tr[data-student-no='{world.student.student_no}'] >> text=修改")
    page.fill("#phone", "13912345678")
    page.fill("#reason", "学生更换手机号")
    page.click("form[data-role=correct-form] button[type=submit]")
    expect(page.locator(".alert-success")).to_contain_text("手机号")
    history = page.inner_text("[data-role=history]")
    assert "139****5678" in history and "学生更换手机号" in history and "13912345678" not in history
    shot(page, "flow-student-detail")

    page.click("nav >> text=签约统计")
    expect(page.locator("#chart-status[data-ready='1']")).to_be_attached()
    assert page.locator("#chart-status canvas").count() >= 1
    assert "合计" in page.inner_text("[data-role=stats-table]")
    shot(page, "flow-statistics")
    with page.expect_download() as download:
        page.click("[data-role=stats-export]")
    assert download.value.suggested_filename.endswith(".xlsx")


def test_platform_admin_pages(page, live_world, committing_db):
    """Can the platform admin create a school, a reviewer with a one-time password, reset an
    employer user's password, and edit a dictionary entry?"""
    world = live_world
    log_in(page, world.admin)
    page.click("nav >> text=学校管理")
    page.fill("#code", "10533")
    page.fill("#name", "中南示范大学")
    page.select_option("#region_code", "430100")
    page.click("form[data-role=school-create] button[type=submit]")
    expect(page.locator(".alert-success")).to_contain_text("已创建学校：10533 中南示范大学")
    page.click("text=院系专业")
    page.fill("form[data-role=college-create] input[name=code]", "01")
    page.fill("form[data-role=college-create] input[name=name]", "土木工程学院")
    page.click("form[data-role=college-create] button[type=submit]")
    expect(page.locator("tr[data-college='01']")).to_contain_text("土木工程学院")
    page.goto("/admin/schools")
    shot(page, "flow-admin-schools")

    page.click("nav >> text=账号管理")
    page.select_option("#role", "school_reviewer")
    page.select_option("form[data-role=account-create] #school_id", label="10533 中南示范大学")
    page.fill("#username", "csu.admin")
    page.fill("#display_name", "赵老师")
    page.click("form[data-role=account-create] button[type=submit]")
    otp = page.inner_text("[data-role=one-time-password]")
    assert len(otp) == 12
    shot(page, "flow-admin-accounts")

    page.click("nav >> text=单位账号")
    page.click(f"tr[data-username='{world.hr.username}'] >> text=重置密码")
    assert len(page.inner_text("[data-role=one-time-password]")) == 12
    shot(page, "flow-admin-employers")

    page.click("nav >> text=字典管理")
    page.click("text=单位性质")
    row = page.locator("tr[data-code='39']")
    row.locator("input[name=name]").fill("其他企业（含民营企业）")
    row.locator("text=保存").click()
    expect(page.locator(".alert-success")).to_contain_text("其他企业（含民营企业）")
    shot(page, "flow-admin-dictionary")

    page.goto("/logout")  # the new school reviewer logs in with the one-time password
    log_in(page, type("A", (), {"username": "csu.admin"})(), otp)
    expect(page.locator("h2")).to_contain_text("修改密码")
    page.fill("#current", otp)
    page.fill("#new", "CsuAdmin2026")
    page.fill("#confirm", "CsuAdmin2026")
    page.click("form[data-role=password-form] button[type=submit]")
    expect(page.locator(".alert-success")).to_contain_text("密码已修改")
