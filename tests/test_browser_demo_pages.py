"""The reviewer pages on the demo school (`flask demo-data`), in Chromium at 1366×768: the
workbench, both queues, a signing detail, a termination, employer verification. Run with
WQ_README_SCREENSHOTS=1 to refresh docs/screenshots/ for the README."""
from __future__ import annotations

import io

from PIL import Image
from playwright.sync_api import expect
from sqlalchemy import select

from tests.browser_fixtures import shot
from tests.conftest import World


def _demo(db):
    """The demo school with a morning's work waiting: signings at both levels, one past the
    service level, a termination, an employer asking to be verified."""
    from datetime import timedelta

    import time_machine
    from werkzeug.datastructures import FileStorage

    from app.clock import utcnow
    from app.domain.actors import Actor
    from app.models import Account, Employer, Role, Student, VerificationStatus
    from app.services import employers, invitations, responses, reviews, terminations
    from app.services.demo import create_demo_data
    from tests.factories import add_favorites

    create_demo_data(student_count=60)
    accounts = {a.username: a
                for a in db.session.scalars(select(Account).where(Account.username.is_not(None)))}
    students = list(db.session.scalars(select(Student).where(
        Student.source_status == "approved", Student.training_mode == "non_directed")
        .order_by(Student.college_id, Student.student_no)))
    cs = [s for s in students if s.college.code == "01"][:9]
    em = [s for s in students if s.college.code == "02"][:2]
    star = db.session.scalar(select(Employer).where(Employer.name == "长沙星辰软件科技有限公司"))
    hr = Actor.from_account(accounts["hr1.xingchen"])
    add_favorites(star, *cs, *em)
    db.session.commit()

    def student_actor(student):
        account = db.session.scalar(select(Account).where(Account.student_id == student.id))
        if account is None:
            account = Account(role=Role.STUDENT, student_id=student.id, school_id=student.school_id,
                              display_name=student.name)
            db.session.add(account)
            db.session.commit()
        return Actor.from_account(account)

    positions = ["Java开发工程师", "前端开发工程师", "测试工程师", "算法工程师", "运维工程师", "产品助理",
                 "数据分析师", "嵌入式软件工程师", "技术支持工程师", "财务专员", "管理培训生"]
    ids = []
    start = utcnow() - timedelta(days=9)
    for n, student in enumerate(cs + em):
        with time_machine.travel(start + timedelta(days=n % 8, hours=n), tick=False):
            sent = invitations.send_invitations(hr, [student.id], World.terms(position=positions[n]))[0]
            responses.accept_invitation(student_actor(student), sent.invitation_id, 1, True)
        ids.append(sent.invitation_id)
    college = Actor.from_account(accounts["cs.reviewer"])
    school = Actor.from_account(accounts["school.reviewer"])
    for invitation_id in ids[6:9]:
        reviews.approve_signing(college, invitation_id)
    reviews.approve_signing(school, ids[8])
    termination = terminations.request_termination(hr, ids[8], "岗位调整，经双方协商解除协议", True)
    terminations.answer_termination(student_actor(cs[8]), termination.id, True, True)

    pending = db.session.scalar(select(Employer).where(
        Employer.verification_status == VerificationStatus.PENDING))
    scan = io.BytesIO()
    Image.new("RGB", (480, 320), (236, 240, 246)).save(scan, "PNG")
    scan.seek(0)
    user = db.session.scalar(select(Account).where(Account.employer_id == pending.id))
    employers.submit_evidence(Actor.from_account(user), FileStorage(scan, "licence.png"))
    return ids, termination.id


def _log_in(page, username: str) -> None:
    page.goto("/login/password")
    page.fill("#username", username)
    page.fill("#password", "demo-pass-2026")
    page.click("button[type=submit]")
    page.wait_for_load_state("networkidle")


def test_demo_school_pages(page, committing_db, app, tmp_path, monkeypatch):
    """Does the computer-science college reviewer see the morning's work (one signing past the
    service level, coloured), and the school reviewer the school's queue, a detail, the
    termination and the employer waiting for verification — all in Chinese, tidy at 1366×768?"""
    monkeypatch.setitem(app.config, "UPLOAD_DIR", str(tmp_path))
    ids, termination_id = _demo(committing_db)

    _log_in(page, "cs.reviewer")
    assert page.locator("[data-count=signings-waiting] .wq-card-value").inner_text() == "6"
    assert int(page.locator("[data-count=signings-overdue] .wq-card-value").inner_text()) >= 1
    shot(page, "reviewer-home")
    page.click("text=签约审核")
    expect(page.locator("table[data-role=queue] tbody tr.wq-overdue").first).to_be_visible()
    shot(page, "reviewer-queue")
    page.goto(f"/review/signings/{ids[0]}")
    assert "计算机学院" in page.inner_text("[data-section=student]")
    shot(page, "reviewer-detail")
    page.click("summary:has-text('签约审核不通过')")
    shot(page, "reviewer-reject-dialog")
    page.goto("/logout")

    _log_in(page, "school.reviewer")
    page.goto("/review/signings?status=all")
    expect(page.locator("table[data-role=queue] tbody tr[data-id]")).to_have_count(11)
    page.goto(f"/review/terminations/{termination_id}")
    assert page.locator("[data-role=actions]").count() == 0  # the college has not reviewed it yet
    page.goto("/review/employers")
    expect(page.locator("table[data-role=employers] tbody tr[data-id]")).to_have_count(1)
    shot(page, "reviewer-employers")
    page.goto("/logout")

    _log_in(page, "cs.reviewer")
    page.goto(f"/review/terminations/{termination_id}")
    assert "岗位调整" in page.inner_text("[data-section=termination]")
    shot(page, "reviewer-termination")
