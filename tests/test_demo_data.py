"""`flask demo-data`: one realistic, valid, idempotent demo school with its log-ins."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from app.domain.identity import credit_code_error, gender_from_id_number, id_number_error
from app.models import (Account, College, EducationLevel, Employer, Major, ReviewLevels, Role, School,
                        SourceStatus, Student, TrainingMode, VerificationStatus)
from app.pii import mask_id_number
from app.services.accounts import verify_password
from app.services.demo import DEMO_PASSWORD
from app.services.dictionaries import dictionary_codes


@pytest.fixture
def demo(runner, db_session):
    assert _school(db_session) is None  # each test starts without it: nothing leaked
    result = runner.invoke(args=["demo-data", "--students", "60"])
    assert result.exit_code == 0, result.output
    return result


def _school(db_session) -> School:
    return db_session.scalar(select(School).where(School.code == "19999"))


def _counts(db_session) -> dict[str, int]:
    return {model.__name__: db_session.scalar(select(func.count()).select_from(model))
            for model in (School, College, Major, Student, Employer, Account)}


def test_command_prints_the_logins_and_builds_the_school(demo, db_session):
    """Does the command print the admin log-in and build a school with 5 colleges and 60 students?"""
    assert "admin" in demo.output and DEMO_PASSWORD in demo.output
    assert "19999" in demo.output and "http://127.0.0.1:5000/_emulator/" in demo.output
    assert "http://127.0.0.1:5000/healthz" in demo.output
    school = _school(db_session)
    assert (school.name, school.region_code) == ("华夏示范大学", "430100")
    assert school.review_levels == ReviewLevels.COLLEGE_SCHOOL
    assert (school.default_feedback_days, school.termination_limit) == (5, 1)
    assert len(school.colleges) == 5
    assert all(2 <= len(c.majors) <= 3 for c in school.colleges)
    assert all(re.fullmatch(r"\d{6}", m.code) for c in school.colleges for m in c.majors)
    assert db_session.scalar(select(func.count()).select_from(Student)
                             .where(Student.school_id == school.id)) == 60


def test_students_are_valid_and_realistically_mixed(demo, db_session):
    """Does every student carry a valid ID whose gender digit matches, a unique phone and contacts?"""
    students = db_session.scalars(select(Student).where(Student.school_id == _school(db_session).id)).all()
    for s in students:
        assert id_number_error(s.id_number) is None, s.id_number
        assert s.gender.value == gender_from_id_number(s.id_number)
        assert 2002 <= int(s.id_number[6:10]) <= 2004
        assert re.fullmatch(r"1[358]\d{9}", s.phone)
        assert s.email and s.address and s.class_name and s.signing_open and s.cohort == 2026
        assert s.major.college_id == s.college_id
    assert len({s.phone for s in students}) == len({s.id_number for s in students}) == 60
    assert len({s.student_no for s in students}) == 60
    levels = {s.education_level for s in students}
    assert levels == {EducationLevel.BENKE, EducationLevel.SHUOSHI}
    assert sum(s.education_level == EducationLevel.BENKE for s in students) > 40
    assert 1 <= sum(s.training_mode == TrainingMode.DIRECTED for s in students) <= 3
    pending = sum(s.source_status == SourceStatus.PENDING for s in students)
    assert 1 <= pending <= 4
    assert sum(s.source_status == SourceStatus.APPROVED for s in students) == 60 - pending


def test_printed_ids_belong_to_signable_students(demo, db_session):
    """Are the full ID numbers printed for binding those of approved, non-directed demo students?"""
    printed = re.findall(r"\b(\d{17}[\dX])\b", demo.output)
    assert len(printed) == 3
    students = db_session.scalars(select(Student).where(Student.school_id == _school(db_session).id)).all()
    by_id = {s.id_number: s for s in students}
    for number in printed:
        student = by_id[number]
        assert student.source_status == SourceStatus.APPROVED
        assert student.training_mode == TrainingMode.NON_DIRECTED
        assert mask_id_number(number) in demo.output


def test_employers_are_valid_and_use_dictionary_codes(demo, db_session):
    """Are there three verified employers and one pending, all with valid credit codes and dict codes?"""
    employers = db_session.scalars(select(Employer).where(Employer.credit_code.like("914301%")
                                                           | Employer.credit_code.like("914302%")
                                                           | Employer.credit_code.like("914303%"))).all()
    assert sorted(e.verification_status.value for e in employers) == ["approved"] * 3 + ["pending"]
    for e in employers:
        assert credit_code_error(e.credit_code) is None, e.credit_code
        assert e.nature_code in dictionary_codes("unit_nature")
        assert e.industry_code in dictionary_codes("industry")
        assert e.region_code in dictionary_codes("region")
        assert e.address and e.contact_name and e.contact_phone
        assert (e.verified_at is not None) == (e.verification_status == VerificationStatus.APPROVED)
        users = db_session.scalars(select(Account).where(Account.employer_id == e.id)).all()
        assert all(u.role == Role.EMPLOYER_USER and u.username.startswith("hr") for u in users)
        assert len(users) == (2 if e.is_verified else 1)


def test_second_run_changes_nothing(demo, runner, db_session):
    """Does a second run add nothing and print exactly the same log-in lines?"""
    before = _counts(db_session)
    again = runner.invoke(args=["demo-data", "--students", "60"])
    assert again.exit_code == 0, again.output
    assert again.output == demo.output
    assert _counts(db_session) == before


def test_account_roles_and_scopes(demo, db_session):
    """Does each reviewer sit in the demo school (a college reviewer in one of its colleges)?"""
    school = _school(db_session)
    accounts = {a.username: a for a in db_session.scalars(select(Account).where(
        Account.username.in_(["admin", "school.reviewer", "cs.reviewer", "em.reviewer",
                              "fl.reviewer", "me.reviewer", "ch.reviewer"])))}
    assert len(accounts) == 7
    admin = accounts.pop("admin")
    assert admin.role == Role.PLATFORM_ADMIN and admin.school_id is None
    school_reviewer = accounts.pop("school.reviewer")
    assert (school_reviewer.role, school_reviewer.school_id, school_reviewer.college_id) == (
        Role.SCHOOL_REVIEWER, school.id, None)
    assert {a.college_id for a in accounts.values()} == {c.id for c in school.colleges}
    for reviewer in accounts.values():
        assert reviewer.role == Role.COLLEGE_REVIEWER and reviewer.school_id == school.id
        assert reviewer.college.school_id == school.id


def test_printed_password_logs_the_admin_in(demo, db_session):
    """Does the password the command prints verify against the admin's stored hash?"""
    match = re.search(r"密码[^：]*：(\S+)", demo.output)
    assert match and match.group(1) == DEMO_PASSWORD
    admin = db_session.scalar(select(Account).where(Account.username == "admin"))
    assert verify_password(admin.password_hash, match.group(1))
    assert not verify_password(admin.password_hash, "wrong-pass")
    hr = db_session.scalar(select(Account).where(Account.username == "hr1.xingchen"))
    assert hr.role == Role.EMPLOYER_USER and verify_password(hr.password_hash, match.group(1))


def test_demo_data_refuses_a_production_configuration(tmp_path, monkeypatch):
    """Does `flask demo-data` under ENV = production refuse, saying why, before it touches the
    database (here one that does not exist: any attempt would fail differently)?"""
    from cryptography.fernet import Fernet

    from app import create_app
    from tests.conftest import TEST_PII_KEY

    (tmp_path / "none.toml").write_text("", encoding="utf-8")
    for name, value in {
        "WQ_CONFIG": str(tmp_path / "none.toml"), "WQ_ENV": "production", "WQ_SECRET_KEY": "s" * 40,
        "WQ_PII_HASH_KEY": "h" * 40, "WQ_FLOW_LOG_KEY": "f" * 40, "WQ_PII_KEYS": f'["{TEST_PII_KEY}"]',
        "WQ_AGREEMENT_MAC_KEY": "m" * 40, "WQ_PUBLIC_BASE_URL": "https://wq.example.edu.cn",
        "WQ_REDIS_URL": "redis://127.0.0.1:9/0", "WQ_SMS_BACKEND": "http",
        "WQ_SMS_HTTP_URL": "http://127.0.0.1:9/sms",
        "WQ_DATABASE_URL": "mysql+pymysql://nobody@127.0.0.1:9/nothing?charset=utf8mb4",
        "WQ_WECHAT__OFFICIAL__AES_KEY": Fernet.generate_key().decode()[:43],
    }.items():
        monkeypatch.setenv(name, value)
    production = create_app()
    result = production.test_cli_runner().invoke(args=["demo-data", "--students", "5"])
    assert result.exit_code == 1
    assert "演示数据" in result.output and "生产数据库" in result.output, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
