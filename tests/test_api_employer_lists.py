"""The employer's workbench, 签约/解约 lists with every filter, the export, and 解约 over HTTP."""
from __future__ import annotations

import io
from datetime import timedelta

import pytest
import time_machine
from openpyxl import load_workbook

from app.clock import utcnow
from app.services import interventions, invitations, responses, reviews, terminations
from tests.api_helpers import ApiClient
from tests.factories import StudentFactory, add_favorites


def _invite(world, student):
    if student not in (world.student, world.student2):
        add_favorites(world.employer, student)
    return invitations.send_invitations(world.actor(world.hr), [student.id], world.terms())[0].invitation_id


def _account(world, student):
    from app.models import Role
    from tests.factories import AccountFactory

    return AccountFactory(role=Role.STUDENT, student_id=student.id, school_id=student.school_id,
                          username=None, password_hash=None)


def _effective(world, student, account):
    inv = _invite(world, student)
    responses.accept_invitation(world.actor(account), inv, 1, True)
    reviews.approve_signing(world.actor(world.college_reviewer), inv)
    reviews.approve_signing(world.actor(world.school_reviewer), inv)
    return inv


@pytest.fixture
def every_status(world):
    """One agreement of our employer in each workbench group."""
    students = [StudentFactory(major=world.major) for _ in range(9)]
    accounts = [_account(world, s) for s in students]
    ids = {}
    ids["signing"] = _invite(world, students[0])
    ids["signed"] = _effective(world, students[1], accounts[1])
    rejected = _invite(world, students[2])
    responses.reject_invitation(world.actor(accounts[2]), rejected, "不考虑")
    ids["signing_failed"] = rejected
    ids["terminating"] = _effective(world, students[3], accounts[3])
    terminations.request_termination(world.actor(accounts[3]), ids["terminating"], "读研", True)
    ids["terminated"] = _effective(world, students[4], accounts[4])
    interventions.force_terminate(world.actor(world.school_reviewer), ids["terminated"], "单位撤销")
    ids["termination_failed"] = _effective(world, students[5], accounts[5])
    t = terminations.request_termination(world.actor(accounts[5]), ids["termination_failed"], "x", True)
    terminations.answer_termination(world.actor(world.hr), t.id, agree=False)
    ids["voided"] = _effective(world, students[6], accounts[6])
    interventions.void_agreement(world.actor(world.school_reviewer), ids["voided"], "虚假签约")
    ids["invalidated"] = _invite(world, students[7])
    interventions.invalidate_agreement(world.actor(world.school_reviewer), ids["invalidated"], "学籍异动")
    return ids


def test_workbench_counts_one_of_each(world, client, every_status):
    """Does the workbench count each status group, and list the student's termination request?"""
    hr = ApiClient(client, world.hr)
    home = hr.get("/employer/home?cohort=2026").get_json()
    assert {c["group"]: c["count"] for c in home["counts"]} == {g: 1 for g in every_status}
    assert [w["invitation_id"] for w in home["waiting_terminations"]] == [every_status["terminating"]]
    assert hr.get("/employer/home?cohort=2025").get_json()["counts"][0]["count"] == 0


@pytest.mark.parametrize("group", ["signing", "signed", "signing_failed", "terminating", "terminated",
                                   "termination_failed", "voided", "invalidated"])
def test_list_filter_by_status(world, client, every_status, group):
    hr = ApiClient(client, world.hr)
    items = hr.get(f"/employer/invitations?status={group}").get_json()["items"]
    assert [i["id"] for i in items] == [every_status[group]]


def test_list_filters_name_id_school_major_dates(world, client, every_status):
    from app.extensions import db
    from app.models import Invitation

    hr = ApiClient(client, world.hr)
    inv = db.session.get(Invitation, every_status["signed"])
    student = inv.student
    by_name = hr.get(f"/employer/invitations?name={student.name}").get_json()["items"]
    assert [i["id"] for i in by_name] == [inv.id]
    by_id = hr.get(f"/employer/invitations?id_number={student.id_number}").get_json()["items"]
    assert [i["id"] for i in by_id] == [inv.id]
    assert len(hr.get(f"/employer/invitations?school_code={world.school.code}").get_json()["items"]) == 8
    assert hr.get("/employer/invitations?school_code=99999").get_json()["items"] == []
    assert len(hr.get(f"/employer/invitations?major={world.major.name}").get_json()["items"]) == 8
    today = utcnow().date()
    assert len(hr.get(f"/employer/invitations?from={today - timedelta(days=1)}&to={today + timedelta(days=1)}"
                      ).get_json()["items"]) == 8
    assert hr.get(f"/employer/invitations?from={today + timedelta(days=2)}").get_json()["items"] == []
    assert hr.get("/employer/invitations?status=nonsense").status_code == 400


def test_other_employer_sees_nothing(world, client, every_status):
    other = ApiClient(client, world.other_hr)
    assert other.get("/employer/invitations").get_json()["items"] == []
    assert other.get(f"/employer/invitations/{every_status['signed']}").status_code == 404


def test_export_has_the_same_rows_as_the_list(world, client, every_status):
    """Does the Excel export of a filtered list open in openpyxl with exactly the listed rows?"""
    hr = ApiClient(client, world.hr)
    listed = {i["id"] for i in hr.get("/employer/invitations?limit=100").get_json()["items"]}
    response = hr.get("/employer/invitations/export.xlsx")
    assert response.status_code == 200
    data = response.data
    sheet = load_workbook(io.BytesIO(data), read_only=True).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][0] == "协议书编号" and len(rows) - 1 == len(listed) == 8
    assert all("*" in row[8] for row in rows[1:])  # ID numbers masked
    response = hr.get("/employer/invitations/export.xlsx?status=signed")
    data = response.data
    signed_only = load_workbook(io.BytesIO(data), read_only=True).active
    assert len(list(signed_only.iter_rows(values_only=True))) == 2


def test_termination_over_http_both_parties(world, client):
    """Can the student ask, see the notice with the limit, and the employer agree with confirmation?"""
    inv = _effective(world, world.student, world.student_account)
    student = ApiClient(client, world.student_account)
    hr = ApiClient(client, world.hr)
    notice = student.get(f"/student/agreements/{inv}/termination-notice").get_json()
    assert notice["limit"] == 1 and "最多解约1次" in notice["notice"]
    bad = student.post(f"/student/agreements/{inv}/terminations", {"reason": "x" * 201, "acknowledge": True})
    assert bad.status_code == 400
    asked = student.post(f"/student/agreements/{inv}/terminations", {"reason": "考研", "acknowledge": True})
    assert asked.status_code == 200, asked.get_json()
    tid = asked.get_json()["id"]
    again = hr.post(f"/employer/agreements/{inv}/terminations", {"reason": "y", "acknowledge": True})
    assert again.status_code == 409 and again.get_json()["error"]["code"] == "TERMINATION_IN_FLIGHT"
    assert hr.get(f"/employer/terminations/{tid}").get_json()["waiting_for_me"] is True
    no_confirm = hr.post(f"/employer/terminations/{tid}/agree", {"confirm": False})
    assert no_confirm.status_code == 400
    own = student.post(f"/student/terminations/{tid}/agree", {"confirm": True})
    assert own.status_code == 403
    agreed = hr.post(f"/employer/terminations/{tid}/agree", {"confirm": True}).get_json()
    assert agreed["state"] == "college_review"
    assert ApiClient(client, world.other_hr).get(f"/employer/terminations/{tid}").status_code == 404


def test_deadline_passed_reads_as_failed(world, client):
    inv = _invite(world, world.student)
    hr = ApiClient(client, world.hr)
    # past the deadline (D+5, 24:00) but within the 7-day token lifetime
    with time_machine.travel(utcnow() + timedelta(days=6, hours=22), tick=False):
        items = hr.get("/employer/invitations?status=signing_failed").get_json()["items"]
        assert [i["id"] for i in items] == [inv] and items[0]["state"] == "expired"


def test_student_home_lists_the_employers_termination_requests(world, client):
    """Does the student's first screen name the termination request waiting for their answer?"""
    inv = _effective(world, world.student, world.student_account)
    t = terminations.request_termination(world.actor(world.hr), inv, "岗位调整", True)
    home = ApiClient(client, world.student_account).get("/student/home").get_json()
    assert home["pending_terminations"] == 1
    assert home["waiting_terminations"][0]["termination_id"] == t.id
    assert home["waiting_terminations"][0]["reason"] == "岗位调整"


def test_a_large_employers_list_pages_on_its_own_index(world):
    """Newest first under any filter: on MySQL/MariaDB the page never walks the primary key
    backwards (a large employer's older letters made that read most of the table: 328 ms for
    15k letters among 500k in `make bench`'s data set, 17 ms on the employer's index)."""
    from sqlalchemy.dialects import mysql

    from app.services.employer_lists import EmployerFilter, filtered

    for f in (EmployerFilter(), EmployerFilter(group="signing", cohort=2026), EmployerFilter(name="张三")):
        sql = str(filtered(world.actor(world.hr), f).compile(dialect=mysql.dialect()))
        assert "FROM invitations IGNORE INDEX FOR ORDER BY (PRIMARY)" in sql, sql
