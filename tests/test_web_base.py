"""The desktop pages' base: log-in guard and roles, the landing per role, fragments for htmx,
one translation of errors, security headers, and the long-work mechanism."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest

from app.models import LongJob, WorkState
from app.services import long_work
from tests.web_helpers import web_login


def test_pages_need_a_log_in_and_come_back_after_it(client, world):
    """Is an anonymous visitor sent to log in, and brought back to the page afterwards?"""
    response = client.get("/work")
    assert response.status_code == 302 and response.headers["Location"] == "/login?next=/work"
    token = re.search(r'name="csrf_token" value="([^"]+)"',
                      client.get("/login/password?next=/work").get_data(as_text=True)).group(1)
    done = client.post("/login/password", data={"username": world.college_reviewer.username,
                                                 "password": "Passw0rd!x", "csrf_token": token,
                                                 "next": "/work"})
    assert client.get(done.headers["Location"]).headers["Location"] == "/work"


@pytest.mark.parametrize("target", ["//evil.example/x", "https://evil.example/", "/\\evil.example"])
def test_no_open_redirect_after_log_in(client, world, target):
    """Does a crafted ?next= to another site land on the home page instead?"""
    web_login(client, world.school_reviewer)
    assert client.get("/login/done", query_string={"next": target}).headers["Location"] == "/"


@pytest.mark.parametrize("who", ["student_account", "hr"])
def test_students_and_employers_get_nothing_here(client, world, who):
    """Does a student or employer web session get the 403 page on the staff pages?"""
    account = getattr(world, who)
    if account.username is None:  # students log in by QR: give the session directly
        from tests.web_helpers import session_for

        session_for(client, account)
    else:
        web_login(client, account)
    for path in ("/", "/work"):
        response = client.get(path)
        assert response.status_code == 403 and "无权访问" in response.get_data(as_text=True)


def test_reviewer_landing_shows_counts_and_their_own_nav(client, world):
    """Does a college reviewer land on the workbench with the counts and no school-only links?"""
    web_login(client, world.college_reviewer)
    html = client.get("/").get_data(as_text=True)
    assert "待我审核的签约" in html and "签约审核已超时" in html
    assert "待认证的用人单位" not in html  # employer verification is the school's and platform's
    assert world.college_reviewer.display_name in html


def test_admin_landing(client, world):
    """Does the platform admin land on the admin page with the verification count?"""
    web_login(client, world.admin)
    html = client.get("/").get_data(as_text=True)
    assert "平台管理" in html and 'data-count="employers-pending"' in html


def test_pages_carry_a_strict_csp_and_no_inline_script(client, world):
    """Is every script of a page a file of ours, under a CSP without 'unsafe-inline'?"""
    web_login(client, world.school_reviewer)
    for path in ("/", "/work", "/login", "/login/password"):
        response = client.get(path)
        csp = response.headers["Content-Security-Policy"]
        assert "unsafe-inline" not in csp and "script-src 'self'" in csp, path
        html = response.get_data(as_text=True)
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html), f"inline script on {path}"
        assert not re.search(r"<style|\sstyle=", html), f"inline style on {path}"
        assert "cdn" not in html.lower()
        assert response.headers["X-Frame-Options"] == "DENY"


def test_vendor_assets_are_served_from_our_own_folder(client, world):
    """Are Bootstrap, htmx and ECharts served by us (installed from npm by make install)?"""
    for name in ("bootstrap.min.css", "htmx.min.js", "echarts.min.js"):
        response = client.get(f"/assets/vendor/{name}")
        assert response.status_code == 200 and len(response.get_data()) > 10_000, name
        response.close()


# -- long work ---------------------------------------------------------------------------------------

@pytest.fixture
def test_kinds(monkeypatch, app, tmp_path):
    """Two kinds of work for the tests: one that reports per item and writes a file, one that fails."""
    def counting(ctx, params):
        items = []
        for n in range(params["n"]):
            ctx.progress(n, params["n"], f"第{n + 1}项")
            ok = n % 2 == 0
            items.append({"label": f"事项{n + 1}", "ok": ok, "message": None if ok else "状态不符"})
        with open(ctx.output_file("结果.txt", ".txt"), "w", encoding="utf-8") as fh:
            fh.write("完成")
        return {"summary": f"共{params['n']}项", "items": items}

    def failing(ctx, params):
        from app.domain.errors import Conflict

        raise Conflict("NOPE", "数据不符合要求")

    kinds = dict(long_work.KINDS)
    kinds["test_counting"] = long_work.WorkKind("test_counting", "测试任务", counting,
                                                frozenset({"school_reviewer", "college_reviewer"}))
    kinds["test_failing"] = long_work.WorkKind("test_failing", "会失败的任务", failing,
                                               frozenset({"school_reviewer"}))
    monkeypatch.setattr(long_work, "KINDS", kinds)
    monkeypatch.setitem(app.config, "WORK_RESULT_DIR", str(tmp_path))


def test_long_work_runs_and_its_result_waits_for_its_owner(client, world, test_kinds, db_session):
    """Does a job started by a reviewer run (inline here), show its per-item result and file to
    them, and stay invisible to anyone else?"""
    job = long_work.start(world.actor(world.school_reviewer), "test_counting", {"n": 3})
    assert job.state == WorkState.DONE and job.progress_done == job.progress_total == 3
    web_login(client, world.school_reviewer)
    html = client.get(f"/work/{job.id}").get_data(as_text=True)
    assert "已完成" in html and "共3项" in html and html.count("状态不符") == 1
    assert "hx-trigger" not in html  # nothing left to poll
    download = client.get(f"/work/{job.id}/download")
    assert download.status_code == 200 and download.get_data(as_text=True) == "完成"
    assert "filename*=UTF-8''%E7%BB%93%E6%9E%9C.txt" in download.headers["Content-Disposition"]
    download.close()
    assert "测试任务" in client.get("/work").get_data(as_text=True)

    other = client.application.test_client()
    web_login(other, world.other_college_reviewer)
    assert other.get(f"/work/{job.id}").status_code == 404
    assert other.get(f"/work/{job.id}/download").status_code == 404


def test_result_files_are_deleted_after_their_retention(client, world, test_kinds, db_session, app):
    """Is a result file past WORK_RESULT_DAYS deleted (the job still listed, its download a
    clear 404), while a recent one stays?"""
    import time_machine

    from app.clock import utcnow

    reviewer = world.actor(world.school_reviewer)
    with time_machine.travel(utcnow() - timedelta(days=app.config["WORK_RESULT_DAYS"], hours=1)):
        old = long_work.start(reviewer, "test_counting", {"n": 1})
    recent = long_work.start(reviewer, "test_counting", {"n": 1})
    old_file, recent_file = long_work.result_path(old), long_work.result_path(recent)
    assert old_file.exists() and recent_file.exists()
    assert long_work.purge_results() == 1
    assert not old_file.exists() and recent_file.exists()
    db_session.refresh(old)
    assert old.result_file is None and old.message == long_work.PURGED_MESSAGE
    web_login(client, world.school_reviewer)
    assert client.get(f"/work/{old.id}/download").status_code == 404
    download = client.get(f"/work/{recent.id}/download")
    assert download.status_code == 200
    download.close()
    assert long_work.purge_results() == 0


def test_a_failed_job_says_why(client, world, test_kinds, db_session):
    job = long_work.start(world.actor(world.school_reviewer), "test_failing", {})
    assert job.state == WorkState.FAILED and job.error == "数据不符合要求" and job.finished_at
    web_login(client, world.school_reviewer)
    assert "任务失败：数据不符合要求" in client.get(f"/work/{job.id}").get_data(as_text=True)
    assert client.get(f"/work/{job.id}/download").status_code == 404


def test_a_running_job_is_polled_as_a_fragment(client, world, test_kinds, db_session):
    """While a job runs, does htmx get only the progress block (with its poll), and the page
    without htmx a whole page that refreshes itself?"""
    job = LongJob(kind="test_counting", params={"n": 5}, state=WorkState.RUNNING, progress_done=2,
                  progress_total=5, message="第3项", created_by_id=world.school_reviewer.id)
    db_session.add(job)
    db_session.commit()
    web_login(client, world.school_reviewer)
    fragment = client.get(f"/work/{job.id}", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert fragment.lstrip().startswith('<div id="work-progress"') and "<html" not in fragment
    assert 'hx-trigger="every 1s"' in fragment and 'value="2" max="5"' in fragment
    page = client.get(f"/work/{job.id}").get_data(as_text=True)
    assert "<html" in page and 'http-equiv="refresh"' in page


def test_work_kinds_check_the_role(world, test_kinds, db_session):
    """Can a college reviewer not start a kind of work meant for the school?"""
    from app.domain.errors import Forbidden

    with pytest.raises(Forbidden):
        long_work.start(world.actor(world.college_reviewer), "test_failing", {})


def test_unknown_pages_of_a_known_prefix_are_chinese_404s(client, world):
    web_login(client, world.school_reviewer)
    response = client.get("/work/987654")
    assert response.status_code == 404 and "页面不存在" in response.get_data(as_text=True)
