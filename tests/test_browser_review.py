"""The reviewer's day in a real browser (Chromium): log in, filter the queue, open a detail,
reject with a reason, approve at both levels until the agreement has its number, batch
approve, export, and a termination approved at both levels."""
from __future__ import annotations

import io

from openpyxl import load_workbook
from playwright.sync_api import expect

from tests.browser_fixtures import log_in, shot
from tests.review_helpers import accepted


def _log_out(page) -> None:
    page.goto("/logout")


def extra_students(world, count: int):
    """More students of the world's college, on the employer's list, each with a log-in."""
    from app.models import Role
    from tests.factories import AccountFactory, StudentFactory, add_favorites

    students = [StudentFactory(major=world.major) for _ in range(count)]
    add_favorites(world.employer, *students)
    accounts = {s.id: AccountFactory(role=Role.STUDENT, student_id=s.id, school_id=s.school_id,
                                     username=None, password_hash=None) for s in students}
    return students, accounts


def test_signing_review_at_both_levels(page, live_world, committing_db):
    """Does the college reviewer see only the college's signings, find one by name, reject one
    with the manuals' warning and a reason, approve another, and the school reviewer then
    approve it so that it gets its agreement number?"""
    world = live_world
    first = accepted(world)
    second = accepted(world, student=world.student2)
    from app.services import invitations

    other = invitations.send_invitations(world.actor(world.other_hr), [world.other_college_student.id],
                                         world.terms())[0].invitation_id
    del other  # in the other college: never on this reviewer's list

    log_in(page, world.college_reviewer)
    assert page.locator("[data-count=signings-waiting] .wq-card-value").inner_text() == "2"
    page.click("text=签约审核")
    rows = page.locator("table[data-role=queue] tbody tr")
    assert rows.count() == 2
    assert world.other_college_student.name not in page.inner_text("table[data-role=queue]")
    shot(page, "review-queue")

    page.fill("#f-q", world.student2.name)
    page.click("#queue-filters button[type=submit]")
    expect(page.locator("table[data-role=queue] tbody tr")).to_have_count(1)
    assert "q=" in page.url  # the filter is in the address: reload and share keep it
    page.click(f"tr[data-id='{second}'] >> text=查看")
    page.wait_for_url(f"**/review/signings/{second}")
    page.click("summary:has-text('签约审核不通过')")
    assert "欺诈、虚假签约、信息不实" in page.inner_text("[data-role=rejection-warning]")
    page.fill("#reject-reason", "单位信息与营业执照不符")
    page.click("button[value=reject]")
    page.wait_for_url("**/review/signings")
    assert "已审核不通过" in page.inner_text("#flash-area")

    page.goto(f"/review/signings/{first}")
    assert page.inner_text("[data-role=chain]").startswith("✓")
    shot(page, "review-detail")
    page.click("button[value=approve]")
    page.wait_for_url("**/review/signings")
    assert "学院审核通过" in page.inner_text("#flash-area")
    _log_out(page)

    log_in(page, world.school_reviewer)
    page.goto("/review/signings")
    page.click(f"tr[data-id='{first}'] >> text=查看")
    page.click("button[value=approve]")
    page.wait_for_url("**/review/signings")
    flash = page.inner_text("#flash-area")
    assert "协议书编号" in flash
    number = flash.rsplit("：", 1)[1].strip()
    assert number.startswith("12026" + world.school.code)
    page.select_option("#f-status", "effective")
    expect(page.locator(f"tr[data-id='{first}']")).to_contain_text(number)
    assert "签约审核通过" in page.inner_text(f"tr[data-id='{first}'] [data-role=signing-review]")


def test_batch_approve_and_export(page, live_world, committing_db):
    """Can the college reviewer tick every waiting signing, approve them in one go with a result
    per item, and export the list as Excel?"""
    world = live_world
    students, accounts = extra_students(world, 4)
    committing_db.session.commit()
    from app.services import invitations, responses

    ids = []
    for s in students:
        inv = invitations.send_invitations(world.actor(world.hr), [s.id], world.terms())[0].invitation_id
        responses.accept_invitation(world.actor(accounts[s.id]), inv, 1, True)
        ids.append(inv)

    log_in(page, world.college_reviewer)
    page.goto("/review/signings")
    page.check("input[data-check-all=ids]")
    page.click("button[value=batch_approve]")
    page.wait_for_selector("[data-role=batch-results]")
    results = page.inner_text("[data-role=batch-results]")
    assert results.count("成功") == 4 and "失败" not in results.split("说明", 1)[1]
    assert "成功4条" in page.inner_text("#flash-area")
    shot(page, "review-batch")

    page.select_option("#f-status", "school_review")
    expect(page.locator("table[data-role=queue] tbody tr[data-id]")).to_have_count(4)
    with page.expect_download() as download_info:
        page.click("[data-role=export]")
    download = download_info.value
    assert download.suggested_filename == "网上签约审核名单.xlsx"
    with open(download.path(), "rb") as fh:
        workbook = load_workbook(io.BytesIO(fh.read()), read_only=True)
    rows = list(workbook.active.iter_rows(values_only=True))
    workbook.close()
    assert rows[0][:4] == ("协议书编号", "协议书状态", "学号", "姓名")
    assert sorted(r[2] for r in rows[1:]) == sorted(s.student_no for s in students)
    assert all(r[9] == "等待学校审核" for r in rows[1:])


def test_termination_approved_at_both_levels(page, live_world, committing_db):
    """A termination asked by the employer and agreed by the student (in the mini-program): does
    the college reviewer pass it on and the school reviewer's approval end the agreement?"""
    from app.services import reviews, terminations

    world = live_world
    invitation_id = accepted(world)
    reviews.approve_signing(world.actor(world.college_reviewer), invitation_id)
    reviews.approve_signing(world.actor(world.school_reviewer), invitation_id)
    termination = terminations.request_termination(world.actor(world.hr), invitation_id, "单位业务调整", True)
    terminations.answer_termination(world.actor(world.student_account), termination.id, True, True)

    log_in(page, world.college_reviewer)
    assert page.locator("[data-count=terminations-waiting] .wq-card-value").inner_text() == "1"
    page.click("[data-count=terminations-waiting]")
    page.click(f"tr[data-id='{termination.id}'] >> text=查看")
    assert "单位业务调整" in page.inner_text("[data-section=termination]")
    shot(page, "review-termination")
    page.click("button[value=approve]")
    page.wait_for_url("**/review/terminations")
    assert "学院解约审核通过" in page.inner_text("#flash-area")
    _log_out(page)

    log_in(page, world.school_reviewer)
    page.goto(f"/review/terminations/{termination.id}")
    page.click("button[value=approve]")
    page.wait_for_url("**/review/terminations")
    assert "协议已解除" in page.inner_text("#flash-area")
    page.goto(f"/review/signings/{invitation_id}")
    assert page.inner_text("[data-role=state]") == "签约审核通过"
    assert "已解约" in page.inner_text("body")
