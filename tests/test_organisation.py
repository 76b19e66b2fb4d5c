"""Setting a platform up: schools, colleges, majors, settings, minimum wages, staff accounts,
dictionaries — through the services and the flask commands."""
from __future__ import annotations

import io

import pytest
from openpyxl import Workbook
from sqlalchemy import select

from app.domain.actors import SYSTEM
from app.domain.errors import Conflict, Forbidden, InvalidInput, NotFound
from app.models import Account, AccountEvent, College, DictEntry, Major, ReviewLevels, Role, School, Student
from app.services import admin_accounts, dictionaries, organisation
from app.services.accounts import verify_password
from app.services.organisation import SchoolSettings
from app.services.roster import HEADERS
from tests.factories import TEST_PASSWORD, valid_id_number


def settings(**overrides) -> SchoolSettings:
    values = dict(review_levels="college_school", default_feedback_days=5, termination_limit=1,
                  forced_terminations_count=True, review_sla_days=3, liquidated_damages_cap=None)
    values.update(overrides)
    return SchoolSettings(**values)


# -- schools, colleges, majors ---------------------------------------------------------------------

def test_platform_admin_creates_a_school_with_colleges_and_majors(world, dicts):
    """Can the platform admin create a school, a college and a major, each findable by code?"""
    admin = world.actor(world.admin)
    school = organisation.create_school(admin, "10001", "示例大学", "430100", settings(review_sla_days=4))
    college = organisation.create_college(admin, school.id, "01", "计算机学院")
    major = organisation.create_major(admin, college.id, "080902", "软件工程")
    assert (school.code, school.region_code, school.review_sla_days) == ("10001", "430100", 4)
    assert organisation.college_by_code(school, "计算机学院").id == college.id
    assert major.college_id == college.id


@pytest.mark.parametrize("code, name, region, field", [
    ("1001", "示例大学", None, "code"), ("1000a", "示例大学", None, "code"),
    ("10001", "示", None, "name"), ("10001", "示例大学", "999999", "region_code"),
])
def test_bad_school_data_is_refused_field_by_field(world, dicts, code, name, region, field):
    """Is a bad school code, name or region answered with the field that is wrong?"""
    with pytest.raises(InvalidInput) as caught:
        organisation.create_school(world.actor(world.admin), code, name, region)
    assert field in caught.value.fields


def test_duplicate_school_college_and_major_are_conflicts(world):
    """Does a second school with the same code, or a second college/major code, answer 409?"""
    admin = world.actor(world.admin)
    with pytest.raises(Conflict, match="已存在"):
        organisation.create_school(admin, world.school.code, "另一所大学")
    with pytest.raises(Conflict):
        organisation.create_college(admin, world.school.id, world.college.code, "新学院")
    with pytest.raises(Conflict):
        organisation.create_major(admin, world.college.id, world.major.code, "新专业")
    assert world.school.name  # the session is usable after the refused inserts


def test_only_the_platform_admin_creates_schools(world):
    """Is a school reviewer refused when creating a school?"""
    with pytest.raises(Forbidden):
        organisation.create_school(world.actor(world.school_reviewer), "10009", "示例大学")


def test_school_reviewer_administers_own_school_only(world):
    """Can a school reviewer add a college to their school but not to another, and can a college
    reviewer add none?"""
    own = organisation.create_college(world.actor(world.school_reviewer), world.school.id, "77", "新学院")
    assert own.school_id == world.school.id
    with pytest.raises(NotFound):
        organisation.create_college(world.actor(world.school_reviewer), world.other_school.id, "77", "新学院")
    with pytest.raises(NotFound):
        organisation.create_college(world.actor(world.college_reviewer), world.school.id, "78", "新学院二")
    with pytest.raises(NotFound):
        organisation.create_major(world.actor(world.other_school_reviewer), world.college.id, "1", "专业")


def test_renaming_keeps_names_unique(world, db_session):
    """Is renaming a college to a name its school already uses refused?"""
    actor = world.actor(world.school_reviewer)
    organisation.rename_college(actor, world.college.id, "软件学院")
    assert db_session.get(College, world.college.id).name == "软件学院"
    with pytest.raises(Conflict):
        organisation.rename_college(actor, world.other_college.id, "软件学院")
    organisation.rename_major(actor, world.major.id, "智能软件工程")
    assert db_session.get(Major, world.major.id).name == "智能软件工程"


# -- settings and minimum wages --------------------------------------------------------------------

def test_school_reviewer_changes_the_settings(world, db_session):
    """Are review levels, feedback days, termination limit, forced terminations, service level and
    damages cap saved together?"""
    organisation.update_settings(world.actor(world.school_reviewer), world.school.id, settings(
        review_levels="school", default_feedback_days=7, termination_limit=0,
        forced_terminations_count=False, review_sla_days=5, liquidated_damages_cap=5000))
    school = db_session.get(School, world.school.id)
    assert school.review_levels == ReviewLevels.SCHOOL
    assert (school.default_feedback_days, school.termination_limit, school.forced_terminations_count,
            school.review_sla_days, school.liquidated_damages_cap) == (7, 0, False, 5, 5000)
    assert organisation.settings_of(school) == settings(
        review_levels="school", default_feedback_days=7, termination_limit=0,
        forced_terminations_count=False, review_sla_days=5, liquidated_damages_cap=5000)


@pytest.mark.parametrize("overrides, field", [
    ({"review_levels": "three"}, "review_levels"),
    ({"default_feedback_days": 0}, "default_feedback_days"),
    ({"default_feedback_days": 61}, "default_feedback_days"),
    ({"termination_limit": -1}, "termination_limit"),
    ({"review_sla_days": 0}, "review_sla_days"),
    ({"liquidated_damages_cap": -5}, "liquidated_damages_cap"),
])
def test_settings_out_of_range_are_refused(world, db_session, overrides, field):
    """Is each setting outside its range refused with its field, leaving the school unchanged?"""
    with pytest.raises(InvalidInput) as caught:
        organisation.update_settings(world.actor(world.school_reviewer), world.school.id,
                                     settings(**overrides))
    assert field in caught.value.fields
    assert db_session.get(School, world.school.id).default_feedback_days == 5


def test_settings_of_another_school_are_unknown(world):
    """Do another school's reviewer and a college reviewer get 'not found' on this school's settings?"""
    for account in (world.other_school_reviewer, world.college_reviewer):
        with pytest.raises(NotFound):
            organisation.update_settings(world.actor(account), world.school.id, settings())


def test_minimum_wage_applies_from_county_to_city_to_province(world, dicts):
    """Does the most specific minimum wage set for a region apply (county, else city, else province)?"""
    actor = world.actor(world.school_reviewer)
    organisation.set_minimum_wage(actor, world.school.id, "430000", 1700)
    organisation.set_minimum_wage(actor, world.school.id, "430100", 1900)
    assert organisation.minimum_wage_for(world.school.id, "430104") == 1900  # 长沙市岳麓区 → 长沙市
    assert organisation.minimum_wage_for(world.school.id, "430200") == 1700  # 株洲市 → 湖南省
    assert organisation.minimum_wage_for(world.school.id, "110108") is None  # nothing set for Beijing
    assert organisation.minimum_wage_for(world.other_school.id, "430104") is None  # per school
    wage = organisation.set_minimum_wage(actor, world.school.id, "430100", 2000)  # set again: changed
    assert organisation.minimum_wage_for(world.school.id, "430104") == 2000
    assert [w.region_code for w in organisation.minimum_wages(world.school.id)] == ["430000", "430100"]
    organisation.remove_minimum_wage(actor, world.school.id, wage.id)
    assert organisation.minimum_wage_for(world.school.id, "430104") == 1700


@pytest.mark.parametrize("region, wage, field", [
    ("999999", 1800, "region_code"), ("430100", 100, "monthly_wage"), ("430100", 90000, "monthly_wage"),
    ("", 1800, "region_code")])
def test_bad_minimum_wage_is_refused(world, dicts, region, wage, field):
    with pytest.raises(InvalidInput) as caught:
        organisation.set_minimum_wage(world.actor(world.school_reviewer), world.school.id, region, wage)
    assert field in caught.value.fields


# -- staff accounts --------------------------------------------------------------------------------

def test_school_reviewer_creates_a_college_reviewer_with_a_one_time_password(world, db_session):
    """Does a new reviewer get a one-time password that works once and must be changed?"""
    issued = admin_accounts.create_staff_account(
        world.actor(world.school_reviewer), Role.COLLEGE_REVIEWER, "cs.teacher", "王老师",
        school_id=world.school.id, college_id=world.college.id)
    account = issued.account
    assert issued.password and len(issued.password) == 12
    assert verify_password(account.password_hash, issued.password)
    assert account.must_change_password and account.college_id == world.college.id
    assert issued.password not in (account.password_hash or "")


def test_reviewer_scopes_are_checked(world):
    """Is a college of another school refused, and may a school reviewer create no admin?"""
    actor = world.actor(world.school_reviewer)
    with pytest.raises(InvalidInput):
        admin_accounts.create_staff_account(actor, Role.COLLEGE_REVIEWER, "x.teacher", "某老师",
                                            school_id=world.school.id, college_id=None)
    with pytest.raises(NotFound):
        admin_accounts.create_staff_account(actor, Role.SCHOOL_REVIEWER, "y.teacher", "某老师",
                                            school_id=world.other_school.id)
    with pytest.raises(Forbidden):
        admin_accounts.create_staff_account(actor, Role.PLATFORM_ADMIN, "z.admin", "管理员")
    with pytest.raises(Conflict, match="用户名"):
        admin_accounts.create_staff_account(world.actor(world.admin), Role.SCHOOL_REVIEWER,
                                            world.school_reviewer.username, "重名", school_id=world.school.id)


def test_disable_and_reset_password_of_an_employer_user(world, db_session, redis_client):
    """Does disabling stop the account, and a reset give a new one-time password that revokes the
    old tokens and clears the lockout?"""
    from app.api.auth import issue_token

    admin = world.actor(world.admin)
    token = issue_token(world.hr.id)
    admin_accounts.set_active(admin, world.hr.id, False)
    assert db_session.get(Account, world.hr.id).is_active is False
    assert redis_client.get("wq:token:" + token) is None
    admin_accounts.set_active(admin, world.hr.id, True)

    world.hr.failed_logins = 3
    token = issue_token(world.hr.id)
    issued = admin_accounts.reset_password(admin, world.hr.id)
    account = db_session.get(Account, world.hr.id)
    assert verify_password(account.password_hash, issued.password)
    assert not verify_password(account.password_hash, TEST_PASSWORD)
    assert account.must_change_password and account.failed_logins == 0
    assert redis_client.get("wq:token:" + token) is None
    actions = db_session.scalars(select(AccountEvent.action).where(
        AccountEvent.account_id == world.hr.id)).all()
    assert {"account_disabled", "account_enabled", "password_reset"} <= set(actions)


def test_school_reviewer_cannot_manage_employers_or_other_schools(world):
    """Can a school reviewer reset only their own school's reviewers?"""
    actor = world.actor(world.school_reviewer)
    admin_accounts.reset_password(actor, world.college_reviewer.id)
    for account in (world.hr, world.other_school_reviewer, world.admin, world.student_account):
        with pytest.raises(NotFound):
            admin_accounts.reset_password(actor, account.id)
    with pytest.raises(Conflict):
        admin_accounts.set_active(world.actor(world.admin), world.admin.id, False)


def test_changing_the_password_clears_the_reset_flag(world, db_session):
    """After a reset, does choosing a new password (twice, not the old one) clear must-change?"""
    issued = admin_accounts.reset_password(world.actor(world.admin), world.college_reviewer.id)
    me = world.actor(world.college_reviewer)
    with pytest.raises(InvalidInput, match="当前密码"):
        admin_accounts.change_own_password(me, "wrong", "NewPass2026", "NewPass2026")
    with pytest.raises(InvalidInput, match="不一致"):
        admin_accounts.change_own_password(me, issued.password, "NewPass2026", "NewPass2027")
    with pytest.raises(InvalidInput, match="字母和数字"):
        admin_accounts.change_own_password(me, issued.password, "onlyletters", "onlyletters")
    admin_accounts.change_own_password(me, issued.password, "NewPass2026", "NewPass2026")
    account = db_session.get(Account, world.college_reviewer.id)
    assert not account.must_change_password and verify_password(account.password_hash, "NewPass2026")


def test_staff_and_employer_lists_are_scoped(world):
    """Does a school reviewer list only their school's staff, and the admin every employer user?"""
    mine = admin_accounts.staff_accounts(world.actor(world.school_reviewer), world.school.id)
    assert {a.school_id for a in mine} == {world.school.id}
    assert world.college_reviewer in mine and world.other_school_reviewer not in mine
    with pytest.raises(NotFound):
        admin_accounts.staff_accounts(world.actor(world.school_reviewer), world.other_school.id)
    users, total = admin_accounts.employer_accounts(world.actor(world.admin), world.employer.name)
    assert {u.id for u in users} == {world.hr.id, world.hr2.id} and total == 2
    with pytest.raises(Forbidden):
        admin_accounts.employer_accounts(world.actor(world.school_reviewer))


# -- dictionaries ----------------------------------------------------------------------------------

def test_admin_edits_a_dictionary_entry_and_a_reload_keeps_it(world, dicts, db_session):
    """Does an edited or added entry survive `load-dicts`, and is a disabled one no longer offered?"""
    admin = world.actor(world.admin)
    entry = db_session.scalar(select(DictEntry).where(DictEntry.kind == "unit_nature",
                                                      DictEntry.code == "39"))
    dictionaries.update_entry(admin, entry.id, "其他企业（含民营）", False, None)
    added = dictionaries.add_entry(admin, "job_category", "99X", "新职业类别", None)
    dictionaries.load_dictionaries()
    db_session.expire_all()
    entry = db_session.get(DictEntry, entry.id)
    assert (entry.name, entry.is_active) == ("其他企业（含民营）", False)
    assert "39" not in dictionaries.dictionary_codes("unit_nature")
    assert db_session.get(DictEntry, added.id).name == "新职业类别"
    rows, total = dictionaries.entries("job_category", "新职业")
    assert [r.code for r in rows] == ["99X"] and total == 1
    with pytest.raises(Conflict):
        dictionaries.add_entry(admin, "job_category", "99X", "重复", None)
    with pytest.raises(InvalidInput):
        dictionaries.update_entry(admin, entry.id, "", True, None)
    with pytest.raises(InvalidInput):
        dictionaries.add_entry(admin, "industry", "Z9", "某行业", "NOPE")
    with pytest.raises(Forbidden):
        dictionaries.update_entry(world.actor(world.school_reviewer), entry.id, "x", True, None)
    assert ("unit_nature", "单位性质", 12) in dictionaries.kinds()


# -- the commands, on an empty database ------------------------------------------------------------

def roster_file(tmp_path):
    book = Workbook()
    sheet = book.active
    sheet.append(list(HEADERS))
    sheet.append(["2022000001", "张三", "", valid_id_number(1), "计算机学院", "软件工程", "软件2201", 2026,
                  "本科", "", "13900000001", "", ""])
    path = tmp_path / "roster.xlsx"
    out = io.BytesIO()
    book.save(out)
    path.write_bytes(out.getvalue())
    return path


def test_readme_production_steps_work_on_an_empty_database(runner, db_session, dicts, tmp_path):
    """Do create-school, create-college, create-major, create-admin, create-reviewer and then
    import-roster --school 10001 work one after the other?"""
    steps = [
        ["create-school", "10001", "示例大学", "--region", "430100", "--sla-days", "2"],
        ["create-college", "--school", "10001", "01", "计算机学院"],
        ["create-major", "--school", "10001", "--college", "01", "080902", "软件工程"],
        ["create-admin", "admin", "--one-time"],
        ["create-reviewer", "zhang", "--name", "张老师", "--school", "10001", "--password", "Secret2026x"],
        ["create-reviewer", "li.cs", "--name", "李老师", "--school", "10001", "--college", "计算机学院",
         "--one-time"],
        ["import-roster", str(roster_file(tmp_path)), "--school", "10001"],
    ]
    outputs = []
    for args in steps:
        result = runner.invoke(args=args)
        assert result.exit_code == 0, (args, result.output)
        outputs.append(result.output)
    assert "一次性密码" in outputs[3] and "一次性密码" not in outputs[4]
    school = db_session.scalar(select(School).where(School.code == "10001"))
    assert school.review_sla_days == 2
    roles = {a.username: (a.role, a.college_id is not None, a.must_change_password)
             for a in db_session.scalars(select(Account).where(
                 Account.username.in_(["admin", "zhang", "li.cs"])))}
    assert roles == {"admin": (Role.PLATFORM_ADMIN, False, True),
                     "zhang": (Role.SCHOOL_REVIEWER, False, False),
                     "li.cs": (Role.COLLEGE_REVIEWER, True, True)}
    assert db_session.scalar(select(Student).where(Student.school_id == school.id)).name == "张三"


def test_create_admin_prompts_for_the_password_twice(runner, db_session):
    """Without --password or --one-time, is the password asked twice (hidden) and checked?"""
    result = runner.invoke(args=["create-admin", "root"], input="Secret2026x\nSecret2026x\n")
    assert result.exit_code == 0, result.output
    account = db_session.scalar(select(Account).where(Account.username == "root"))
    assert verify_password(account.password_hash, "Secret2026x") and not account.must_change_password
    result = runner.invoke(args=["create-admin", "root2", "--password", "short"])
    assert result.exit_code == 1 and "密码至少8位" in result.output


@pytest.mark.parametrize("args, message", [
    (["create-college", "--school", "99999", "01", "计算机学院"], "学校代码不存在"),
    (["create-school", "100", "示例大学"], "学校代码应为5位数字"),
    (["create-reviewer", "x1", "--name", "某老师", "--school", "99999", "--one-time"], "学校代码不存在"),
])
def test_commands_explain_bad_input(runner, db_session, args, message):
    result = runner.invoke(args=args)
    assert result.exit_code == 1 and message in result.output


def test_system_actor_may_administer_any_school(world):
    """The command line acts as the system: it may set up any school."""
    college = organisation.create_college(SYSTEM, world.other_school.id, "99", "系统学院")
    assert college.school_id == world.other_school.id
