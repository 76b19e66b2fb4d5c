"""In a real browser: log in, land on the workbench, read Chinese, follow a long job."""
from __future__ import annotations

from tests.browser_fixtures import log_in, shot


def test_reviewer_logs_in_and_lands_on_the_workbench(page, live_world):
    """Does a school reviewer who logs in with a password see the workbench in Chinese, with
    the nav of their role and no console or CSP error?"""
    log_in(page, live_world.school_reviewer)
    assert page.url.endswith("/")
    assert page.inner_text("h1") == "工作台"
    assert page.locator("[data-count=signings-waiting] .wq-card-value").inner_text() == "0"
    nav = page.locator(".navbar-nav").inner_text()
    assert "首页" in nav and "我的任务" in nav
    # Chinese really renders with a CJK font (not boxes): the heading is wider than 2 boxes' worth
    width = page.locator("h1").evaluate("e => e.getBoundingClientRect().width")
    assert width > 30
    shot(page, "home")


def test_an_expired_session_goes_back_to_the_page_after_log_in(page, live_world):
    """Does opening a page while logged out lead through the log-in back to that page?"""
    page.goto("/work")
    assert "/login" in page.url
    page.click("text=账号密码登录")
    page.fill("#username", live_world.college_reviewer.username)
    page.fill("#password", "Passw0rd!x")
    page.click("button[type=submit]")
    page.wait_for_url("**/work")
    assert page.inner_text("h1") == "我的任务"
