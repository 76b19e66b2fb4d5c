"""School administration as rules: who administers a school, the settings' ranges, which student
fields a school may correct, signing-open scopes, regions for the minimum wage, statistics maths.

Pure Python (no Flask, no database): the services and the models' CHECK constraints read these.
"""
from __future__ import annotations

import re
import statistics
from collections.abc import Iterable
from dataclasses import dataclass

from app.domain.actors import Actor

SCHOOL_REVIEWER = "school_reviewer"
COLLEGE_REVIEWER = "college_reviewer"
PLATFORM_ADMIN = "platform_admin"
SYSTEM = "system"  # the command line

# -- who administers what ------------------------------------------------------------------------


def can_administer_school(actor: Actor, school_id: int) -> bool:
    """SPEC §1: the school's reviewers do the school-wide administration; the platform admin
    (and the command line) may act for any school. College reviewers administer nothing."""
    if actor.role in (PLATFORM_ADMIN, SYSTEM):
        return True
    return actor.role == SCHOOL_REVIEWER and actor.school_id == school_id


def can_administer_platform(actor: Actor) -> bool:
    """Schools, accounts of every school, employer accounts and dictionaries."""
    return actor.role in (PLATFORM_ADMIN, SYSTEM)


def can_view_statistics(actor: Actor, school_id: int, college_id: int | None) -> bool:
    """A college reviewer sees their own college's figures; the school's reviewers the school's."""
    if can_administer_school(actor, school_id):
        return True
    return (actor.role == COLLEGE_REVIEWER and actor.school_id == school_id
            and college_id is not None and actor.college_id == college_id)


# -- settings ------------------------------------------------------------------------------------

FEEDBACK_DAYS = (1, 60)  # 反馈有效期 (the schools table's CHECK says the same)
TERMINATION_LIMIT = (0, 10)  # completed terminations per student; 0 = unlimited
REVIEW_SLA_DAYS = (1, 30)  # working days
LIQUIDATED_DAMAGES_CAP = (0, 1_000_000)  # 元
MONTHLY_WAGE = (500, 50_000)  # 元/月, the minimum wage table's CHECK

SCHOOL_CODE = re.compile(r"^\d{5}$")
ORG_CODE = re.compile(r"^[0-9A-Za-z]{1,20}$")  # college codes; national major codes (080901K)
USERNAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@-]{2,49}$")
REGION_CODE = re.compile(r"^\d{6}$")

REVIEW_LEVEL_LABELS = {"college_school": "学院审核 + 学校审核（两级）", "school": "仅学校审核（一级）"}


def range_error(value: int | None, bounds: tuple[int, int], label: str) -> str | None:
    low, high = bounds
    if value is None or not low <= value <= high:
        return f"{label}应为{low}至{high}之间的整数"
    return None


def region_chain(code: str) -> list[str]:
    """The region itself, then its city, then its province (GB/T 2260): the most specific
    minimum wage that is set applies. 430104 → [430104, 430100, 430000]."""
    chain = [code, code[:4] + "00", code[:2] + "0000"]
    return list(dict.fromkeys(chain))


# -- students ------------------------------------------------------------------------------------

# Encrypted at rest and masked in every history line (SPEC §12).
PII_FIELDS = ("id_number", "phone")

# What a school may correct on a student record, with the label the history shows.
STUDENT_FIELD_LABELS = {
    "name": "姓名", "gender": "性别", "id_number": "身份证号", "phone": "手机号", "email": "邮箱",
    "address": "通讯地址", "class_name": "班级", "college_id": "学院", "major_id": "专业",
    "education_level": "学历", "training_mode": "培养方式", "source_status": "生源信息状态",
    "signing_open": "网签开放", "signing_closed_reason": "未开放原因",
}

GENDER_LABELS = {"male": "男", "female": "女"}
TRAINING_MODE_LABELS = {"non_directed": "非定向", "directed": "定向", "commissioned": "委培"}
SOURCE_STATUS_LABELS = {"pending": "待审核", "approved": "审核通过", "rejected": "审核不通过"}
OPEN_LABELS = {True: "开放", False: "未开放"}

CLOSED_REASON_MAX = 200
DEFAULT_CLOSED_REASON = "学校暂未开放网上签约，请联系学院就业工作负责老师"


def scope_key(school_id: int, cohort: int, college_id: int | None) -> str:
    """One key per 网签开放设置 scope: a cohort of a school, or one college within it."""
    return f"{school_id}:{cohort}:{college_id if college_id is not None else '*'}"


@dataclass(frozen=True)
class ScopeSetting:
    college_id: int | None
    signing_open: bool
    reason: str | None


def effective_setting(settings: Iterable[ScopeSetting], college_id: int) -> ScopeSetting | None:
    """The setting a newly imported student of ``college_id`` follows: the college's own, else the
    cohort's, else none (open). A cohort-wide setting replaces the college settings under it when
    applied, so the more specific one is always the more recent."""
    by_college = {s.college_id: s for s in settings}
    return by_college.get(college_id) or by_college.get(None)


# -- statistics ----------------------------------------------------------------------------------


def rate(part: int, whole: int) -> float:
    """A percentage with one decimal; 0 of 0 is 0, not an error."""
    return round(100.0 * part / whole, 1) if whole else 0.0


def median(values: list[float]) -> float | None:
    return round(statistics.median(values), 1) if values else None
