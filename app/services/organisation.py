"""Schools, colleges and majors; a school's settings and its minimum wages (SPEC §2, §13).

The platform admin (or the command line) creates schools; a school's reviewers administer their
own school (settings, colleges, majors); college reviewers administer nothing.
"""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError

from app.domain import school_admin as rules
from app.domain.actors import Actor
from app.domain.errors import Conflict, Forbidden, InvalidInput, NotFound
from app.extensions import db
from app.models import College, Major, MinimumWage, ReviewLevels, School, Student
from app.services.dictionaries import dictionary_codes
from app.services.unit import transactional

NOT_YOURS = "无权管理该学校"


def require_school_admin(actor: Actor, school_id: int) -> School:
    """The school, if ``actor`` administers it; another school's id reads as unknown (404)."""
    school = db.session.get(School, school_id)
    if school is None or not rules.can_administer_school(actor, school_id):
        raise NotFound("SCHOOL_NOT_FOUND", "学校不存在")
    return school


def require_platform_admin(actor: Actor) -> None:
    if not rules.can_administer_platform(actor):
        raise Forbidden("ROLE_NOT_ALLOWED", "只有平台管理员可以执行该操作")


def school_by_code(code: str) -> School:
    school = db.session.scalar(select(School).where(School.code == (code or "").strip()))
    if school is None:
        raise NotFound("SCHOOL_NOT_FOUND", f"学校代码不存在：{code}")
    return school


def _flush_unique(message_code: str, message: str, field: str) -> None:
    """Flush now so a duplicate key is a 409 with the field named, not a failed commit later."""
    try:
        with db.session.begin_nested():
            db.session.flush()
    except IntegrityError as exc:
        raise Conflict(message_code, message, {field: message}) from exc


def _name(value: str, label: str, field: str, limit: int = 100) -> str:
    value = (value or "").strip()
    if not 2 <= len(value) <= limit:
        raise InvalidInput("VALIDATION_FAILED", f"{label}应为2至{limit}个字符",
                           {field: f"应为2至{limit}个字符"})
    return value


def _region(code: str | None, field: str = "region_code") -> str | None:
    code = (code or "").strip() or None
    if code is None:
        return None
    if not rules.REGION_CODE.match(code) or code not in dictionary_codes("region"):
        raise InvalidInput("VALIDATION_FAILED", "所在地区代码不存在（6位行政区划代码）",
                           {field: "所在地区代码不存在"})
    return code


# -- schools ---------------------------------------------------------------------------------------

@dataclass
class SchoolSettings:
    """What a school sets for itself (学校设置)."""
    review_levels: str
    default_feedback_days: int
    termination_limit: int
    forced_terminations_count: bool
    review_sla_days: int
    liquidated_damages_cap: int | None

    def check(self) -> None:
        fields: dict[str, str] = {}
        if self.review_levels not in rules.REVIEW_LEVEL_LABELS:
            fields["review_levels"] = "审核级别不正确"
        for attr, bounds, label in (
                ("default_feedback_days", rules.FEEDBACK_DAYS, "默认反馈有效期"),
                ("termination_limit", rules.TERMINATION_LIMIT, "解约次数上限"),
                ("review_sla_days", rules.REVIEW_SLA_DAYS, "审核时限")):
            if error := rules.range_error(getattr(self, attr), bounds, label):
                fields[attr] = error
        if self.liquidated_damages_cap is not None and (
                error := rules.range_error(self.liquidated_damages_cap, rules.LIQUIDATED_DAMAGES_CAP,
                                           "违约金上限")):
            fields["liquidated_damages_cap"] = error
        if fields:
            raise InvalidInput("VALIDATION_FAILED", next(iter(fields.values())), fields)


def settings_of(school: School) -> SchoolSettings:
    return SchoolSettings(
        review_levels=school.review_levels.value, default_feedback_days=school.default_feedback_days,
        termination_limit=school.termination_limit,
        forced_terminations_count=school.forced_terminations_count,
        review_sla_days=school.review_sla_days, liquidated_damages_cap=school.liquidated_damages_cap)


@transactional
def create_school(actor: Actor, code: str, name: str, region_code: str | None = None,
                  settings: SchoolSettings | None = None) -> School:
    """A new school with its 5-digit national code (学校代码)."""
    require_platform_admin(actor)
    code = (code or "").strip()
    if not rules.SCHOOL_CODE.match(code):
        raise InvalidInput("VALIDATION_FAILED", "学校代码应为5位数字", {"code": "学校代码应为5位数字"})
    school = School(code=code, name=_name(name, "学校名称", "name"), region_code=_region(region_code))
    settings = settings or SchoolSettings("college_school", 5, 1, True, 3, None)
    settings.check()
    _apply_settings(school, settings)
    db.session.add(school)
    _flush_unique("SCHOOL_EXISTS", f"学校代码{code}已存在", "code")
    return school


@transactional
def update_school(actor: Actor, school_id: int, name: str, region_code: str | None) -> School:
    """The platform admin corrects a school's name or region (its code never changes)."""
    require_platform_admin(actor)
    school = require_school_admin(actor, school_id)
    school.name = _name(name, "学校名称", "name")
    school.region_code = _region(region_code)
    return school


@transactional
def update_settings(actor: Actor, school_id: int, settings: SchoolSettings) -> School:
    """学校设置: review levels, feedback days, termination limit, service level, damages cap.

    Going from two review levels to one leaves items already in college review where they are
    (the college reviewers finish them); new acceptances go straight to the school.
    """
    school = require_school_admin(actor, school_id)
    settings.check()
    _apply_settings(school, settings)
    return school


def _apply_settings(school: School, settings: SchoolSettings) -> None:
    school.review_levels = ReviewLevels(settings.review_levels)
    school.default_feedback_days = settings.default_feedback_days
    school.termination_limit = settings.termination_limit
    school.forced_terminations_count = settings.forced_terminations_count
    school.review_sla_days = settings.review_sla_days
    school.liquidated_damages_cap = settings.liquidated_damages_cap


def schools_page(query: str = "") -> list[tuple[School, int, int]]:
    """Every school with its college and student counts (the platform admin's list)."""
    colleges = select(College.school_id, func.count().label("n")).group_by(College.school_id).subquery()
    students = select(Student.school_id, func.count().label("n")).group_by(Student.school_id).subquery()
    stmt = (select(School, func.coalesce(colleges.c.n, 0), func.coalesce(students.c.n, 0))
            .outerjoin(colleges, colleges.c.school_id == School.id)
            .outerjoin(students, students.c.school_id == School.id).order_by(School.code))
    if query.strip():
        like = f"%{query.strip()}%"
        stmt = stmt.where(School.name.like(like) | School.code.like(like))
    return [tuple(row) for row in db.session.execute(stmt)]


# -- colleges and majors ---------------------------------------------------------------------------

def _code(value: str, field: str) -> str:
    value = (value or "").strip()
    if not rules.ORG_CODE.match(value):
        raise InvalidInput("VALIDATION_FAILED", "代码应为1至20位字母或数字", {field: "应为1至20位字母或数字"})
    return value


@transactional
def create_college(actor: Actor, school_id: int, code: str, name: str) -> College:
    school = require_school_admin(actor, school_id)
    college = College(school_id=school.id, code=_code(code, "code"), name=_name(name, "学院名称", "name"))
    db.session.add(college)
    _flush_unique("COLLEGE_EXISTS", "本校已有相同代码或名称的学院", "code")
    return college


@transactional
def rename_college(actor: Actor, college_id: int, name: str) -> College:
    college = _college_for(actor, college_id)
    college.name = _name(name, "学院名称", "name")
    _flush_unique("COLLEGE_EXISTS", "本校已有相同名称的学院", "name")
    return college


@transactional
def create_major(actor: Actor, college_id: int, code: str, name: str) -> Major:
    college = _college_for(actor, college_id)
    major = Major(college_id=college.id, code=_code(code, "code"), name=_name(name, "专业名称", "name"))
    db.session.add(major)
    _flush_unique("MAJOR_EXISTS", "该学院已有相同代码或名称的专业", "code")
    return major


@transactional
def rename_major(actor: Actor, major_id: int, name: str) -> Major:
    major = db.session.get(Major, major_id)
    if major is None:
        raise NotFound("MAJOR_NOT_FOUND", "专业不存在")
    _college_for(actor, major.college_id)
    major.name = _name(name, "专业名称", "name")
    _flush_unique("MAJOR_EXISTS", "该学院已有相同名称的专业", "name")
    return major


def _college_for(actor: Actor, college_id: int) -> College:
    college = db.session.get(College, college_id)
    if college is None or not rules.can_administer_school(actor, college.school_id):
        raise NotFound("COLLEGE_NOT_FOUND", "学院不存在")
    return college


def college_by_code(school: School, code: str) -> College:
    college = db.session.scalar(select(College).where(
        College.school_id == school.id, (College.code == code) | (College.name == code)))
    if college is None:
        raise NotFound("COLLEGE_NOT_FOUND", f"学校{school.code}没有学院「{code}」")
    return college


def colleges_with_majors(school_id: int) -> list[College]:
    from sqlalchemy.orm import selectinload

    return list(db.session.scalars(select(College).where(College.school_id == school_id)
                                   .options(selectinload(College.majors)).order_by(College.code)))


# -- minimum wages ---------------------------------------------------------------------------------

@transactional
def set_minimum_wage(actor: Actor, school_id: int, region_code: str, monthly_wage: int) -> MinimumWage:
    """最低月工资标准 for a region (a province, city or county code); set again to change it."""
    require_school_admin(actor, school_id)
    region = _region(region_code)
    if region is None:
        raise InvalidInput("VALIDATION_FAILED", "请选择地区", {"region_code": "必填"})
    if error := rules.range_error(monthly_wage, rules.MONTHLY_WAGE, "最低月工资"):
        raise InvalidInput("VALIDATION_FAILED", error, {"monthly_wage": error})
    wage = db.session.scalar(select(MinimumWage).where(
        MinimumWage.school_id == school_id, MinimumWage.region_code == region).with_for_update())
    if wage is None:
        wage = MinimumWage(school_id=school_id, region_code=region)
        db.session.add(wage)
    wage.monthly_wage, wage.updated_by_id = monthly_wage, actor.account_id
    _flush_unique("WAGE_EXISTS", "该地区的最低工资刚被他人设置，请刷新后重试", "region_code")
    return wage


@transactional
def remove_minimum_wage(actor: Actor, school_id: int, wage_id: int) -> None:
    require_school_admin(actor, school_id)
    deleted = db.session.execute(delete(MinimumWage).where(
        MinimumWage.id == wage_id, MinimumWage.school_id == school_id)).rowcount
    if not deleted:
        raise NotFound("WAGE_NOT_FOUND", "该最低工资设置不存在")


def minimum_wages(school_id: int) -> list[MinimumWage]:
    return list(db.session.scalars(select(MinimumWage).where(MinimumWage.school_id == school_id)
                                   .order_by(MinimumWage.region_code)))


def minimum_wage_for(school_id: int, region_code: str | None) -> int | None:
    """The minimum monthly wage the school applies where the job is: the county's own, else its
    city's, else its province's; None when the school set none (nothing to check)."""
    if not region_code or not rules.REGION_CODE.match(region_code):
        return None
    chain = rules.region_chain(region_code)
    found = {code: wage for code, wage in db.session.execute(
        select(MinimumWage.region_code, MinimumWage.monthly_wage).where(
            MinimumWage.school_id == school_id, MinimumWage.region_code.in_(chain)))}
    return next((found[code] for code in chain if code in found), None)
