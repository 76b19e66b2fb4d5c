"""Checks before a letter is sent (SPEC §13): what the employer should see, and may still send.

- a salary below the minimum wage of the work place (the region dictionary's ``minimum_wage``,
  元/月, on the region or the nearest region above it that has one — set by the platform admin
  from the province's published 最低工资标准);
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
from app.models import DictEntry, School, Student
from app.services.archive import profile_of
from app.services.employers import employer_of
from app.services.search import reachable_ids

SALARIES = (("probation_salary", "试用起薪"), ("regular_salary", "转正起薪"))


@dataclass
class Check:
    code: str
    level: str  # warning: may still be sent; error: the send would be refused
    field: str
    message: str
    student_ids: list[int] = field(default_factory=list)


def minimum_wage(region_code: str) -> tuple[int, str] | None:
    """(元/月, the region it is set for) for a work region, looking up the region tree."""
    code, seen = region_code, set()
    while code and code not in seen:
        seen.add(code)
        entry = db.session.scalar(select(DictEntry).where(DictEntry.kind == "region", DictEntry.code == code))
        if entry is None:
            return None
        wage = (entry.extra or {}).get("minimum_wage")
        if isinstance(wage, int) and wage > 0:
            return wage, entry.name
        code = entry.parent_code
    return None


def check_letter(actor: Actor, student_ids: list[int], terms: InvitationTerms) -> list[Check]:
    """Everything worth a second look before these terms go to these students."""
    employer = employer_of(actor)
    checks: list[Check] = []
    wage = minimum_wage(terms.work_region_code)
    if wage is not None:
        for attr, label in SALARIES:
            value = getattr(terms, attr)
            if value < wage[0]:
                checks.append(Check("SALARY_BELOW_MINIMUM", "warning", attr,
                                    f"{label}{value}元/月低于{wage[1]}最低工资标准{wage[0]}元/月"))
    reachable = reachable_ids(employer.id, student_ids)
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
