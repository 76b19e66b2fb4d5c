"""Exact-match student search for employers (API.md: all four fields required, exact).

Searching is an enumeration risk: a student who exists but may not be invited (定向, source
info not approved, signing closed, record invalid) is indistinguishable from one who does not
exist — both give an empty list. Every lookup by ID number or phone spends from one budget per
employer (``spend_lookups``), and the students an employer found are remembered so that
favorites can only be added for them.
"""
from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from flask import current_app
from sqlalchemy import ColumnElement, and_, select
from sqlalchemy.orm import selectinload

from app.domain.actors import Actor
from app.domain.errors import InvalidInput, RateLimited
from app.domain.identity import id_number_error, normalize_id_number, normalize_phone
from app.extensions import db, redis_ext
from app.models import Favorite, RecordStatus, School, SourceStatus, Student, TrainingMode
from app.pii import lookup_hash, mask_id_number, mask_phone
from app.services import ratelimit
from app.services.employers import verified_employer
from app.services.ratelimit import Limit

SEARCHES_PER_MINUTE = 30  # lookup requests per employer (all its users together)
LOOKUPS_PER_DAY = 1000  # ID numbers / phones looked up per employer in any 24 h (LOOKUPS_PER_DAY)
FOUND_TTL = 24 * 3600
EDUCATION_LABELS = {"zhuanke": "专科", "benke": "本科", "shuoshi": "硕士研究生", "boshi": "博士研究生"}
PHONE_OR_ID_HINT = "请输入11位手机号或18位身份证号"
_PHONE = re.compile(r"^1[3-9]\d{9}$")


def lookup_limits(employer_id: int) -> tuple[Limit, Limit]:
    """The employer's one lookup budget: requests a minute, students looked up a day."""
    cap = int(current_app.config.get("LOOKUPS_PER_DAY", LOOKUPS_PER_DAY))
    return (Limit("lookup-minute", employer_id, 60, SEARCHES_PER_MINUTE),
            Limit("lookup-day", employer_id, 86400, cap))


def spend_lookups(employer_id: int, keys: int = 1) -> None:
    """Spend from the employer's budget for looking students up by ID number or phone.

    Every such lookup — the search, the ``id_number`` filter of the invitation list and of its
    export, each row of a favorites import — spends here: the request counts once against
    SEARCHES_PER_MINUTE (shared by all the employer's users) and each ID number or phone looked
    up counts against the daily cap. RateLimited (429) when either is used up, before anything
    is looked up, so a refused request learns nothing.
    """
    minute, day = lookup_limits(employer_id)
    ratelimit.check([minute], "查询过于频繁，请稍后再试", code="RATE_LIMITED")
    left = ratelimit.remaining(day)
    if keys > left:
        message = (f"今日按身份证号或手机号查询学生的次数已用完（每日{day.limit}次），请明天再试" if left <= 0
                   else f"本次需查询{keys}名学生，超过今日剩余的查询次数（{left}次），请减少行数或明天再试")
        raise RateLimited(ratelimit.retry_after(day), message, "LOOKUP_DAILY_CAP")
    ratelimit.hit([minute], "查询过于频繁，请稍后再试", code="RATE_LIMITED")
    ratelimit.hit([day], "今日查询次数已用完，请明天再试", cost=keys, code="LOOKUP_DAILY_CAP")


def searchable() -> ColumnElement[bool]:
    """The students an employer may find, favorite and invite."""
    return and_(Student.source_status == SourceStatus.APPROVED, Student.signing_open.is_(True),
                Student.training_mode != TrainingMode.DIRECTED,
                Student.record_status == RecordStatus.ACTIVE)


def is_searchable(student: Student) -> bool:
    return (student.source_status == SourceStatus.APPROVED and student.signing_open
            and student.training_mode != TrainingMode.DIRECTED
            and student.record_status == RecordStatus.ACTIVE)


def identity_hash(phone_or_id: str) -> tuple[str, str] | None:
    """("phone" | "id", keyed hash) of a normalised phone or ID number; None when it is neither."""
    phone = normalize_phone(phone_or_id)
    if _PHONE.match(phone):
        return "phone", lookup_hash(phone)
    number = normalize_id_number(phone_or_id)
    if id_number_error(number) is None:
        return "id", lookup_hash(number)
    return None


@dataclass(frozen=True)
class StudentKey:
    school_code: str
    cohort: int
    name: str
    phone_or_id: str


def find_students(keys: Iterable[StudentKey]) -> dict[StudentKey, Student]:
    """Resolve each key exactly (one query for all of them); unknown or unsearchable keys are absent."""
    wanted: dict[tuple[str, int, str, str, str], StudentKey] = {}
    for key in keys:
        if (found := identity_hash(key.phone_or_id)) is not None:
            wanted[(key.school_code.strip(), key.cohort, key.name.strip(), *found)] = key
    if not wanted:
        return {}
    hashes = sorted({k[4] for k in wanted})
    result: dict[StudentKey, Student] = {}
    for start in range(0, len(hashes), 500):
        chunk = hashes[start:start + 500]
        rows = db.session.execute(
            select(Student, School.code).join(School, Student.school_id == School.id)
            .where(searchable(), School.code.in_({k[0] for k in wanted}),
                   Student.cohort.in_({k[1] for k in wanted}),
                   Student.phone_hash.in_(chunk) | Student.id_number_hash.in_(chunk))
            .options(selectinload(Student.school), selectinload(Student.college),
                     selectinload(Student.major))).all()
        for student, school_code in rows:
            for kind, digest in (("phone", student.phone_hash), ("id", student.id_number_hash)):
                key = wanted.get((school_code, student.cohort, student.name, kind, digest))
                if key is not None:
                    result.setdefault(key, student)
    return result


def favorite_ids(employer_id: int, student_ids: Iterable[int]) -> set[int]:
    ids = list(set(student_ids))
    if not ids:
        return set()
    return set(db.session.scalars(select(Favorite.student_id).where(
        Favorite.employer_id == employer_id, Favorite.student_id.in_(ids))))


def student_card(student: Student, in_favorites: bool | None = None) -> dict[str, Any]:
    """What an employer sees of a student: masked ID and phone, never the full values."""
    card = {
        "id": student.id, "name": student.name, "school": student.school.name,
        "school_code": student.school.code, "college": student.college.name,
        "major": student.major.name, "education_level": student.education_level.value,
        "education_level_label": EDUCATION_LABELS[student.education_level.value],
        "cohort": student.cohort, "id_number": mask_id_number(student.id_number),
        "phone": mask_phone(student.phone),
    }
    if in_favorites is not None:
        card["in_favorites"] = in_favorites
    return card


def _found_key(employer_id: int) -> str:
    return f"wq:found:{employer_id}"


def remember_found(employer_id: int, student_ids: list[int]) -> None:
    if student_ids:
        pipe = redis_ext.client.pipeline()
        pipe.sadd(_found_key(employer_id), *student_ids)
        pipe.expire(_found_key(employer_id), FOUND_TTL)
        pipe.execute()


def was_found(employer_id: int, student_id: int) -> bool:
    """Did this employer find the student by search within the last day?"""
    return bool(redis_ext.client.sismember(_found_key(employer_id), str(student_id)))


def reachable_ids(employer_id: int, student_ids: Iterable[int]) -> set[int]:
    """The students this employer may invite or preview: in its favorites, or found by its own
    exact search within the day. Anything else is refused alike, existing or not, so student ids
    cannot be walked to collect names."""
    ids = set(student_ids)
    favorites = favorite_ids(employer_id, ids)
    rest = sorted(ids - favorites)
    if not rest:
        return favorites
    pipe = redis_ext.client.pipeline()
    for student_id in rest:
        pipe.sismember(_found_key(employer_id), str(student_id))
    return favorites | {i for i, found in zip(rest, pipe.execute(), strict=True) if found}


def search_students(actor: Actor, key: StudentKey) -> list[dict[str, Any]]:
    """The matching student's masked card (a list of zero or one), with its favorite mark."""
    employer = verified_employer(actor)
    if identity_hash(key.phone_or_id) is None:  # a format error reveals nothing about anyone
        raise InvalidInput("VALIDATION_FAILED", PHONE_OR_ID_HINT, {"phone_or_id": PHONE_OR_ID_HINT})
    spend_lookups(employer.id)
    found = list(find_students([key]).values())
    remember_found(employer.id, [s.id for s in found])
    favorites = favorite_ids(employer.id, [s.id for s in found])
    return [student_card(s, s.id in favorites) for s in found]
