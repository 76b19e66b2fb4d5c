"""Checks before a letter is sent (SPEC §13): what the employer should see, and may still send.

- a salary below the minimum wage of the work place, as the student's school set it in its
  settings (the county's figure, else its city's, else its province's: organisation.minimum_wage_for);
- liquidated damages above the cap the student's school set (``schools.liquidated_damages_cap``);
- the archive/hukou terms: none given and no 户档信息 to default from (the send would be refused).

Address completeness (to the house number) is enforced when the terms are read (ArchiveTerms).
"""
from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select

from app.domain.actors import Actor
from app.domain.terms import InvitationTerms
from app.extensions import db
from app.models import School, Student
from app.services.archive import profile_of
from app.services.dictionaries import names_of
from app.services.employers import employer_of
from app.services.organisation import minimum_wage_for
from app.services.search import reachable_ids

SALARIES = (("probation_salary", "试用起薪"), ("regular_salary", "转正起薪"))


@dataclass
class Check:
    code: str
    level: str  # warning: may still be sent; error: the send would be refused
    field: str
    message: str
    student_ids: list[int] = field(default_factory=list)


def check_letter(actor: Actor, student_ids: list[int], terms: InvitationTerms) -> list[Check]:
    """Everything worth a second look before these terms go to these students."""
    employer = employer_of(actor)
    checks: list[Check] = []
    reachable = reachable_ids(employer.id, student_ids)
    region = names_of({"region": ("region", terms.work_region_code)}).get("region", terms.work_region_code)
    schools = db.session.execute(select(School.id, School.name, Student.id).join(
        Student, Student.school_id == School.id).where(Student.id.in_(reachable))
        .order_by(School.name, Student.id)).all() if reachable else []
    by_wage: dict[tuple[str, int], list[int]] = {}
    for school_id, name, student_id in schools:
        wage = minimum_wage_for(school_id, terms.work_region_code)
        if wage is not None:
            by_wage.setdefault((name, wage), []).append(student_id)
    for (name, wage), ids in by_wage.items():
        for attr, label in SALARIES:
            value = getattr(terms, attr)
            if value < wage:
                checks.append(Check("SALARY_BELOW_MINIMUM", "warning", attr,
                                    f"{label}{value}元/月低于{name}设定的{region}最低工资标准{wage}元/月", ids))
    capped = db.session.execute(
        select(School.name, School.liquidated_damages_cap, Student.id)
        .join(Student, Student.school_id == School.id)
        .where(Student.id.in_(reachable), School.liquidated_damages_cap.is_not(None),
               School.liquidated_damages_cap < terms.liquidated_damages)
        .order_by(School.name, Student.id)).all() if reachable else []
    by_school: dict[tuple[str, int], list[int]] = {}
    for name, cap, student_id in capped:
        by_school.setdefault((name, cap), []).append(student_id)
    for (name, cap), ids in by_school.items():
        checks.append(Check("DAMAGES_ABOVE_CAP", "warning", "liquidated_damages",
                            f"违约金{terms.liquidated_damages}元高于{name}规定的上限{cap}元", ids))
    if terms.archive is None and profile_of(employer.id) is None:
        checks.append(Check("ARCHIVE_PROFILE_REQUIRED", "error", "archive",
                            "首次发送邀约请填写档案和户口接收信息（户档信息）"))
    return checks
