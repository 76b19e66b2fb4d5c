"""Issue 8, holes found from outside: unmasking through lookups, existence leaks, and the one
rate-limit mechanism. Each test here fails without its fix."""
from __future__ import annotations

import io
from datetime import timedelta

import pytest
import time_machine
from openpyxl import Workbook

from app.clock import utcnow
from app.domain.errors import RateLimited
from app.models import TrainingMode
from app.services import invitations
from tests.api_helpers import ApiClient
from tests.factories import StudentFactory
from tests.test_api_employer_account import register_body, search_query, send_files
from tests.wechat_fixtures import *  # noqa: F401,F403


def _import_file(rows) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.append(["学校代码", "毕业年度", "姓名", "手机号或身份证号"])
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _invite(world, student) -> int:
    [result] = invitations.send_invitations(world.actor(world.hr), [student.id], world.terms())
    assert result.ok, result
    return result.invitation_id


# -- unmasking: one lookup budget per employer --------------------------------------------------

def test_the_id_number_filter_cannot_bisect_a_masked_number(world, client):
    """Can an employer guess the birth date hidden in a masked ID number through the exact
    id_number filter of its list, 220 tries in a row? Only 30 a minute get an answer."""
    _invite(world, world.student)
    hr = ApiClient(client, world.hr)
    prefix, suffix = world.student.id_number[:6], world.student.id_number[14:]
    with time_machine.travel(utcnow(), tick=False):
        answers = [hr.get(f"/employer/invitations?id_number={prefix}2003{n:04d}{suffix}").status_code
                   for n in range(101, 141)]
    assert answers == [200] * 30 + [429] * 10


def test_the_export_filter_spends_from_the_same_budget(world, client):
    """Is the id_number filter of the Excel export refused once the searches used the minute up?"""
    hr = ApiClient(client, world.hr)
    with time_machine.travel(utcnow(), tick=False):
        for _ in range(30):
            assert hr.get(search_query(world.student, world.student.phone)).status_code == 200
        export = hr.get(f"/employer/invitations/export.xlsx?id_number={world.student.id_number}")
        plain = hr.get("/employer/invitations/export.xlsx")  # no lookup, no spending
    assert export.status_code == 429 and export.get_json()["error"]["code"] == "RATE_LIMITED"
    assert plain.status_code == 200


def test_search_filter_and_import_rows_share_one_daily_cap(app, world, client, monkeypatch,
                                                            empty_favorites):
    """With a daily cap of 6 lookups, do two searches, a list filter, an export filter and the
    rows of an import all spend from it — by any user of the employer — and is an import with
    more rows than are left refused before anything is looked up?"""
    monkeypatch.setitem(app.config, "LOOKUPS_PER_DAY", 6)
    hr, hr2 = ApiClient(client, world.hr), ApiClient(client, world.hr2)
    s = world.student
    with time_machine.travel(utcnow(), tick=False) as clock:
        assert hr.get(search_query(s, s.phone)).status_code == 200
        assert hr2.get(search_query(s, s.id_number)).status_code == 200
        assert hr.get(f"/employer/invitations?id_number={s.id_number}").status_code == 200
        assert hr2.get(f"/employer/invitations/export.xlsx?id_number={s.id_number}").status_code == 200
        rows = [[s.school.code, s.cohort, s.name, s.phone],
                [s.school.code, s.cohort, world.student2.name, world.student2.phone],
                [s.school.code, s.cohort, "无此人", "13900000000"]]
        too_many = send_files(hr, "/employer/favorites/import", file=(_import_file(rows), "a.xlsx"))
        assert too_many.status_code == 429, too_many.get_json()
        assert too_many.get_json()["error"]["code"] == "LOOKUP_DAILY_CAP"
        assert "剩余" in too_many.get_json()["error"]["message"]
        assert hr.get("/employer/favorites").get_json()["items"] == []  # nothing looked up or added
        fits = send_files(hr, "/employer/favorites/import", file=(_import_file(rows[:2]), "a.xlsx"))
        assert fits.status_code == 200 and fits.get_json()["added"] == 2
        clock.shift(timedelta(minutes=5))
        spent = hr.get(search_query(s, s.phone))
        assert spent.status_code == 429 and spent.get_json()["error"]["code"] == "LOOKUP_DAILY_CAP"
        other = ApiClient(client, world.other_hr).get(search_query(s, s.phone))
        assert other.status_code == 200  # another employer has its own budget
        clock.shift(timedelta(hours=24))
        assert hr.get(search_query(s, s.phone)).status_code == 200


def test_an_import_row_that_finds_nobody_reads_like_one_the_employer_may_not_add(world, client,
                                                                                 empty_favorites):
    """Does a row for a student the employer may not add (定向) answer exactly like a row for
    nobody at all, so the import cannot tell "exists" from "does not"?"""
    directed = StudentFactory(major=world.major, training_mode=TrainingMode.DIRECTED)
    s = world.student
    rows = [[s.school.code, s.cohort, directed.name, directed.phone],
            [s.school.code, s.cohort, directed.name, "13900000000"]]
    report = send_files(ApiClient(client, world.hr), "/employer/favorites/import",
                        file=(_import_file(rows), "a.xlsx")).get_json()
    hidden, missing = report["rows"]
    assert (hidden["ok"], hidden["student_id"]) == (False, None)
    assert {k: v for k, v in hidden.items() if k != "row"} == {k: v for k, v in missing.items() if k != "row"}


# -- existence leaks ---------------------------------------------------------------------------

def test_another_students_termination_answers_like_a_missing_one(world, client):
    """Does asking for a termination id of another student's agreement answer exactly as an id
    that does not exist (same status, code and message)?"""
    from tests.test_authorization import _termination_of

    termination_id = _termination_of(world, _invite(world, world.student))
    other = ApiClient(client, world.student2_account)
    answers = [other.get(f"/student/terminations/{termination_id}"),
               other.get(f"/student/terminations/{termination_id + 1000}"),
               other.post(f"/student/terminations/{termination_id}/agree", json={"confirm": True}),
               other.post(f"/student/terminations/{termination_id + 1000}/agree", json={"confirm": True})]
    assert [a.status_code for a in answers] == [404] * 4
    assert answers[0].get_json() == answers[1].get_json() == answers[2].get_json() == answers[3].get_json()


def test_registration_is_limited_per_ip(app, world, dicts, client, monkeypatch):
    """Can one address try usernames through registration without end? The 11th attempt in an
    hour is refused, whatever it asks, while another address may still register."""
    monkeypatch.setitem(app.config, "REGISTRATIONS_PER_IP_HOUR", 10)
    taken = register_body(username=world.hr.username)
    with time_machine.travel(utcnow(), tick=False):
        answers = [client.post("/api/v1/employer/register", json=taken,
                               environ_base={"REMOTE_ADDR": "198.51.100.7"}) for _ in range(11)]
        other = client.post("/api/v1/employer/register", json=register_body(),
                            environ_base={"REMOTE_ADDR": "198.51.100.8"})
    assert [a.status_code for a in answers] == [409] * 10 + [429]
    assert answers[-1].get_json()["error"]["code"] == "RATE_LIMITED" and "Retry-After" in answers[-1].headers
    assert other.status_code == 200


def test_lockout_answers_alike_for_unknown_and_known_usernames(world, client):
    """Do five wrong passwords lock an unknown username exactly as they lock a real one (same
    statuses, codes, messages and Retry-After), so the lock tells nothing about existence?"""
    from tests.test_qr_login import csrf_of

    def attempts(username: str) -> list[tuple[int, str]]:
        seen = []
        for _ in range(6):
            answer = client.post("/login/password", data={
                "username": username, "password": "wrong-password-1", "csrf_token": csrf_of(client)})
            seen.append((answer.status_code, _error_text(answer)))
        return seen

    with time_machine.travel(utcnow(), tick=False):
        known, unknown = attempts(world.hr.username), attempts("no-such-user-2026")
    assert known == unknown
    assert [status for status, _ in known] == [400] * 4 + [429] * 2


def _error_text(response) -> str:
    import re

    match = re.search(r'<p class="error">(.*?)</p>', response.get_data(as_text=True))
    return match.group(1) if match else ""


# -- one rate-limit mechanism ----------------------------------------------------------------

def test_moving_window_counts_events_not_calendar_minutes(app, redis_client):
    """Does "2 a minute" refuse a third event 1 s after a minute boundary, and let it through
    once the first event is more than a minute old?"""
    from app.services import ratelimit

    limit = ratelimit.Limit("test-window", "subject", 60, 2)
    start = utcnow().replace(second=58, microsecond=0)
    with app.test_request_context(), time_machine.travel(start, tick=False) as clock:
        ratelimit.hit([limit])
        clock.shift(timedelta(seconds=1))
        ratelimit.hit([limit])
        clock.shift(timedelta(seconds=2))  # hh:mm:01 of the next minute
        with pytest.raises(RateLimited) as refused:
            ratelimit.hit([limit])
        assert refused.value.retry_after == 57
        clock.shift(timedelta(seconds=58))
        ratelimit.hit([limit])


def test_a_refused_hit_uses_up_no_other_window(app, redis_client):
    """When one of several limits refuses, are the others left untouched?"""
    from app.services import ratelimit

    tight, loose = ratelimit.Limit("t-tight", "s", 60, 1), ratelimit.Limit("t-loose", "s", 3600, 3)
    with app.test_request_context(), time_machine.travel(utcnow(), tick=False):
        ratelimit.hit([tight, loose])
        for _ in range(5):
            with pytest.raises(RateLimited):
                ratelimit.hit([tight, loose])
        assert ratelimit.remaining(loose) == 2


def test_limits_live_in_the_apps_redis(app, redis_client):
    """Is a limit's state kept in the app's Redis (shared by every process), not in memory?"""
    from app.services import ratelimit

    limit = ratelimit.Limit("t-shared", "s", 60, 1)
    with app.test_request_context():
        ratelimit.hit([limit])
        assert any(k.startswith(b"wq:rl:") for k in redis_client.keys("*"))
        redis_client.flushdb()
        ratelimit.hit([limit])  # forgotten with Redis: nothing kept in the process


def test_mini_program_log_ins_are_limited_per_ip(wx, monkeypatch):
    """Is wx.login → code2session limited per address, refused before WeChat is called?"""
    from flask import current_app

    from wechat.emulator.core import calls

    monkeypatch.setitem(current_app.config, "WXA_LOGINS_PER_IP_MINUTE", 2)
    with time_machine.travel(utcnow(), tick=False):
        before = calls("jscode2session")
        answers = [wx.post("/api/v1/auth/wxa-login", json={"code": f"dev:mp-burst:{n}-{before}"},
                           environ_base={"REMOTE_ADDR": "203.0.113.9"}).status_code for n in range(3)]
        other = wx.post("/api/v1/auth/wxa-login", json={"code": f"dev:mp-burst:x-{before}"},
                        environ_base={"REMOTE_ADDR": "203.0.113.10"})
    assert answers == [200, 200, 429] and other.status_code == 200
    assert calls("jscode2session") - before == 3
