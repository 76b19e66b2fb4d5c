"""A school corrects its students' records (phone changed, wrong details) with a change history,
and sets 生源 status and whether online signing is open, per student or per cohort / college
(网签开放设置, 签约开放列表); the reason a student cannot sign is what the student is shown.

Every correction writes one history row per changed field (who, when, old, new, why); ID numbers
and phones are kept encrypted there and shown masked. A cohort or college setting is one bulk
UPDATE of the scope's students, recorded in the scope log, and remembered for later imports.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import case, delete, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from app.clock import utcnow
from app.domain import school_admin as rules
from app.domain.actors import Actor
from app.domain.errors import Conflict, InvalidInput, NotFound
from app.domain.identity import (gender_from_id_number, id_number_error, normalize_id_number,
                                 normalize_phone, phone_error)
from app.domain.signing import EDUCATION_LABELS
from app.extensions import db
from app.models import (College, EducationLevel, Gender, Invitation, Major, ScopeChange, SigningScope,
                        SourceStatus, Student, StudentChange, Termination, TrainingMode)
from app.pii import lookup_hash, mask_id_number, mask_phone
from app.services.organisation import require_school_admin
from app.services.unit import transactional

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_LIMITS = {"name": 50, "class_name": 50, "email": 120, "address": 200}
PAGE_SIZE = 50


def student_for(actor: Actor, student_id: int) -> Student:
    """A student of a school the actor administers; any other reads as unknown (404)."""
    student = db.session.get(Student, student_id)
    if student is None:
        raise NotFound("STUDENT_NOT_FOUND", "学生不存在")
    try:
        require_school_admin(actor, student.school_id)
    except NotFound:
        raise NotFound("STUDENT_NOT_FOUND", "学生不存在") from None
    return student


def _reason(value: str | None, required: bool = True) -> str | None:
    value = (value or "").strip()
    if not value:
        if required:
            raise InvalidInput("VALIDATION_FAILED", "请填写修改原因", {"reason": "必填"})
        return None
    if len(value) > rules.CLOSED_REASON_MAX:
        raise InvalidInput("VALIDATION_FAILED", f"原因不能超过{rules.CLOSED_REASON_MAX}个字符",
                           {"reason": "内容过长"})
    return value


# -- corrections -----------------------------------------------------------------------------------

def _clean(student: Student, data: dict[str, Any]) -> dict[str, Any]:
    """The submitted values, normalised and checked; unknown keys are refused."""
    unknown = set(data) - set(rules.STUDENT_FIELD_LABELS) - {"reason"}
    if unknown:
        raise InvalidInput("VALIDATION_FAILED", "包含不能修改的字段", {k: "不能修改" for k in unknown})
    fields: dict[str, str] = {}
    values: dict[str, Any] = {}
    for key in ("name", "class_name", "email", "address"):
        if key in data:
            text = (data[key] or "").strip()
            if len(text) > _LIMITS[key]:
                fields[key] = f"不能超过{_LIMITS[key]}个字符"
            elif key == "name" and not text:
                fields[key] = "不能为空"
            elif key == "email" and text and not _EMAIL.match(text):
                fields[key] = "邮箱格式不正确"
            values[key] = text or None
    if "phone" in data:
        phone = normalize_phone(data["phone"] or "") or None
        if phone and (error := phone_error(phone)):
            fields["phone"] = error
        values["phone"] = phone
    if "id_number" in data:
        number = normalize_id_number(data["id_number"] or "")
        if error := id_number_error(number) if number else "不能为空":
            fields["id_number"] = error
        values["id_number"] = number
    for key, enum_cls in (("gender", Gender), ("education_level", EducationLevel),
                          ("training_mode", TrainingMode)):
        if key in data:
            try:
                values[key] = enum_cls(data[key])
            except ValueError:
                fields[key] = "取值不正确"
    major_id = _int(data.get("major_id", student.major_id), "major_id", fields)
    major = db.session.get(Major, major_id) if major_id and "major_id" not in fields else None
    # A new major alone moves the student to its college.
    default_college = major.college_id if major is not None and "major_id" in data else student.college_id
    college_id = _int(data.get("college_id", default_college), "college_id", fields)
    if ("college_id" in data or "major_id" in data) and not fields:
        college = db.session.get(College, college_id)
        if college is None or college.school_id != student.school_id:
            fields["college_id"] = "请选择本校的学院"
        elif major is None or major.college_id != college.id:
            fields["major_id"] = "专业不属于所选学院"
        values["college_id"], values["major_id"] = college_id, major_id
    if ("id_number" in values or "gender" in values) and "id_number" not in fields \
            and "gender" not in fields:  # the gender always agrees with the ID number, as at import
        derived = Gender(gender_from_id_number(values.get("id_number", student.id_number)))
        if "gender" in values and values["gender"] != derived:
            fields["gender"] = "性别与身份证号不一致"
        values["gender"] = derived
    if fields:
        raise InvalidInput("VALIDATION_FAILED", "提交的内容有误，请检查后重试", fields)
    return values


def _int(value: Any, key: str, fields: dict[str, str]) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        fields[key] = "取值不正确"
        return None


@transactional
def correct_student(actor: Actor, student_id: int, data: dict[str, Any], reason: str) -> list[StudentChange]:
    """Change the given fields of a student record; only real changes are written and recorded.
    A move to another college takes the student's agreements and terminations along, so the new
    college's reviewers see them."""
    student = student_for(actor, student_id)
    db.session.refresh(student, with_for_update=True)
    reason = _reason(reason)
    values = _clean(student, data)
    changes = [_change(actor, student, key, getattr(student, key), value, reason)
               for key, value in values.items() if getattr(student, key) != value]
    if not changes:
        raise InvalidInput("NOTHING_CHANGED", "没有修改任何内容")
    for key, value in values.items():
        setattr(student, key, value)
    if "college_id" in values:
        _follow_college(student)
    db.session.add_all(changes)
    try:
        with db.session.begin_nested():
            db.session.flush()
    except IntegrityError as exc:
        raise Conflict("STUDENT_DUPLICATE", "同一毕业年度已有该身份证号的学生",
                       {"id_number": "同一毕业年度已有该身份证号的学生"}) from exc
    return changes


def _follow_college(student: Student) -> None:
    db.session.execute(update(Invitation).where(
        Invitation.student_id == student.id, Invitation.college_id != student.college_id)
        # updated_at kept: it is when the item arrived in its review queue (its service-level age)
        .values(college_id=student.college_id, version=Invitation.version + 1,
                updated_at=Invitation.updated_at)
        .execution_options(synchronize_session=False))
    db.session.execute(update(Termination).where(
        Termination.student_id == student.id, Termination.college_id != student.college_id)
        .values(college_id=student.college_id, version=Termination.version + 1,
                updated_at=Termination.updated_at)
        .execution_options(synchronize_session=False))


def _stored(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "1" if value else "0"
    return str(getattr(value, "value", value))


def _change(actor: Actor, student: Student, key: str, old: Any, new: Any, reason: str | None,
            at: datetime | None = None) -> StudentChange:
    pii = key in rules.PII_FIELDS
    return StudentChange(
        student_id=student.id, field=key, reason=reason, changed_by_id=actor.account_id,
        changed_by_name=actor.display_name, changed_at=at or utcnow(),
        old_text=None if pii else _stored(old), new_text=None if pii else _stored(new),
        old_secret=_stored(old) if pii else None, new_secret=_stored(new) if pii else None)


# -- per student: 生源 status and signing open -----------------------------------------------------

@transactional
def set_student_signing(actor: Actor, student_id: int, signing_open: bool, reason: str | None) -> Student:
    """Open or close online signing for one student; closing needs the reason the student sees."""
    student = student_for(actor, student_id)
    db.session.refresh(student, with_for_update=True)
    closed_reason = None if signing_open else _reason(reason)
    if student.signing_open == signing_open and student.signing_closed_reason == closed_reason:
        raise InvalidInput("NOTHING_CHANGED", "没有修改任何内容")
    note = closed_reason or _reason(reason, required=False)
    changes = [_change(actor, student, "signing_open", student.signing_open, signing_open, note)]
    if student.signing_closed_reason != closed_reason:
        changes.append(_change(actor, student, "signing_closed_reason", student.signing_closed_reason,
                               closed_reason, note))
    student.signing_open, student.signing_closed_reason = signing_open, closed_reason
    db.session.add_all(changes)
    return student


@transactional
def set_student_source_status(actor: Actor, student_id: int, status: str, reason: str | None) -> Student:
    """生源信息状态 of one student: only 审核通过 students are searchable and may sign."""
    student = student_for(actor, student_id)
    db.session.refresh(student, with_for_update=True)
    value = _source_status(status)
    if student.source_status == value:
        raise InvalidInput("NOTHING_CHANGED", "没有修改任何内容")
    db.session.add(_change(actor, student, "source_status", student.source_status, value,
                           _reason(reason, required=value != SourceStatus.APPROVED)))
    student.source_status = value
    return student


def _source_status(status: str) -> SourceStatus:
    try:
        return SourceStatus(status)
    except ValueError:
        raise InvalidInput("VALIDATION_FAILED", "生源信息状态不正确", {"status": "取值不正确"}) from None


# -- per cohort / college --------------------------------------------------------------------------

def _scope_college(school_id: int, college_id: int | None) -> College | None:
    if college_id is None:
        return None
    college = db.session.get(College, college_id)
    if college is None or college.school_id != school_id:
        raise InvalidInput("VALIDATION_FAILED", "请选择本校的学院", {"college_id": "请选择本校的学院"})
    return college


def _cohort(cohort: int) -> int:
    if not isinstance(cohort, int) or not 2000 <= cohort <= 2100:
        raise InvalidInput("VALIDATION_FAILED", "毕业年度应为2000至2100之间的年份", {"cohort": "取值不正确"})
    return cohort


def _scope_filter(school_id: int, cohort: int, college_id: int | None) -> list:
    where = [Student.school_id == school_id, Student.cohort == cohort]
    if college_id is not None:
        where.append(Student.college_id == college_id)
    return where


@transactional
def apply_signing_scope(actor: Actor, school_id: int, cohort: int, college_id: int | None,
                        signing_open: bool, reason: str | None) -> ScopeChange:
    """网签开放设置 of a cohort (college_id None) or of one college in it: every student of the
    scope gets the setting in one UPDATE (a per-student setting made earlier is overridden), and
    students imported later into the scope follow it. A cohort setting replaces its colleges'."""
    require_school_admin(actor, school_id)
    cohort = _cohort(cohort)
    _scope_college(school_id, college_id)
    closed_reason = None if signing_open else _reason(reason)
    affected = db.session.execute(
        update(Student).where(*_scope_filter(school_id, cohort, college_id), or_(
            Student.signing_open != signing_open,
            _differs(Student.signing_closed_reason, closed_reason)))
        .values(signing_open=signing_open, signing_closed_reason=closed_reason, updated_at=utcnow())
        .execution_options(synchronize_session=False)).rowcount
    key = rules.scope_key(school_id, cohort, college_id)
    scope = db.session.scalar(select(SigningScope).where(SigningScope.scope_key == key).with_for_update())
    if scope is None:
        scope = SigningScope(scope_key=key, school_id=school_id, cohort=cohort, college_id=college_id)
        db.session.add(scope)
    scope.signing_open, scope.closed_reason = signing_open, closed_reason
    scope.updated_by_id, scope.updated_at = actor.account_id, utcnow()
    if college_id is None:
        db.session.execute(delete(SigningScope).where(
            SigningScope.school_id == school_id, SigningScope.cohort == cohort,
            SigningScope.college_id.is_not(None)))
    change = ScopeChange(school_id=school_id, cohort=cohort, college_id=college_id, field="signing_open",
                         value="open" if signing_open else "closed",
                         reason=closed_reason or _reason(reason, required=False), affected=affected,
                         changed_by_id=actor.account_id, changed_by_name=actor.display_name)
    db.session.add(change)
    try:
        with db.session.begin_nested():
            db.session.flush()
    except IntegrityError as exc:
        raise Conflict("CONCURRENT_UPDATE", "该范围的设置刚被他人修改，请刷新后重试") from exc
    return change


def _differs(column, value):
    return column.is_not(None) if value is None else or_(column.is_(None), column != value)


@transactional
def apply_source_status(actor: Actor, school_id: int, cohort: int, college_id: int | None,
                        status: str, only_from: str | None, reason: str | None) -> ScopeChange:
    """Set the 生源信息状态 of a scope's students at once (e.g. approve every pending student of a
    college), recorded in the scope log."""
    require_school_admin(actor, school_id)
    cohort = _cohort(cohort)
    _scope_college(school_id, college_id)
    value = _source_status(status)
    where = _scope_filter(school_id, cohort, college_id) + [Student.source_status != value]
    if only_from:
        where.append(Student.source_status == _source_status(only_from))
    affected = db.session.execute(update(Student).where(*where).values(
        source_status=value, updated_at=utcnow()).execution_options(synchronize_session=False)).rowcount
    change = ScopeChange(school_id=school_id, cohort=cohort, college_id=college_id, field="source_status",
                         value=value.value, reason=_reason(reason, required=value != SourceStatus.APPROVED),
                         affected=affected, changed_by_id=actor.account_id,
                         changed_by_name=actor.display_name)
    db.session.add(change)
    return change


def initial_signing(school_id: int, pairs: set[tuple[int, int]]
                    ) -> dict[tuple[int, int], tuple[bool, str | None]]:
    """For new students of (cohort, college) pairs: the signing setting their scope has now
    (open when no scope was ever set). Read by the roster import."""
    cohorts = {c for c, _ in pairs}
    found: dict[int, list[rules.ScopeSetting]] = {c: [] for c in cohorts}
    if cohorts:
        for scope in db.session.scalars(select(SigningScope).where(
                SigningScope.school_id == school_id, SigningScope.cohort.in_(cohorts))):
            found[scope.cohort].append(rules.ScopeSetting(scope.college_id, scope.signing_open,
                                                          scope.closed_reason))
    result = {}
    for cohort, college_id in pairs:
        setting = rules.effective_setting(found[cohort], college_id)
        result[(cohort, college_id)] = (True, None) if setting is None else (setting.signing_open,
                                                                               setting.reason)
    return result


# -- reading ---------------------------------------------------------------------------------------

@dataclass
class HistoryLine:
    at: datetime
    who: str
    what: str
    old: str
    new: str
    reason: str | None


def _shown(field: str, value: str | None, names: dict[tuple[str, str], str]) -> str:
    if value is None or value == "":
        return "（空）"
    if field == "id_number":
        return mask_id_number(value) or ""
    if field == "phone":
        return mask_phone(value) or ""
    if field == "signing_open":
        return rules.OPEN_LABELS[value == "1"]
    labels = {"gender": rules.GENDER_LABELS, "training_mode": rules.TRAINING_MODE_LABELS,
              "source_status": rules.SOURCE_STATUS_LABELS, "education_level": EDUCATION_LABELS}.get(field)
    if labels:
        return labels.get(value, value)
    if field in ("college_id", "major_id"):
        return names.get((field, value), value)
    return value


def history(student: Student) -> list[HistoryLine]:
    """The student's corrections, newest first, with the scope settings that reached them."""
    rows = db.session.scalars(select(StudentChange).where(StudentChange.student_id == student.id)
                              .order_by(StudentChange.id.desc()).limit(200)).all()
    ids = {(r.field, v) for r in rows if r.field in ("college_id", "major_id")
           for v in (r.old_text, r.new_text) if v}
    names = {("college_id", str(i)): n for i, n in db.session.execute(select(College.id, College.name).where(
        College.id.in_([int(v) for f, v in ids if f == "college_id"])))}
    names |= {("major_id", str(i)): n for i, n in db.session.execute(select(Major.id, Major.name).where(
        Major.id.in_([int(v) for f, v in ids if f == "major_id"])))}
    lines = [HistoryLine(r.changed_at, r.changed_by_name, rules.STUDENT_FIELD_LABELS.get(r.field, r.field),
                         _shown(r.field, r.old_secret if r.field in rules.PII_FIELDS else r.old_text, names),
                         _shown(r.field, r.new_secret if r.field in rules.PII_FIELDS else r.new_text, names),
                         r.reason) for r in rows]
    for change in db.session.scalars(select(ScopeChange).where(
            ScopeChange.school_id == student.school_id, ScopeChange.cohort == student.cohort,
            or_(ScopeChange.college_id.is_(None), ScopeChange.college_id == student.college_id))
            .order_by(ScopeChange.id.desc()).limit(50)):
        scope = "全校该届" if change.college_id is None else "本学院该届"
        if change.field == "signing_open":
            what, new = f"网签开放（{scope}批量设置）", rules.OPEN_LABELS[change.value == "open"]
        else:
            what = f"生源信息状态（{scope}批量设置）"
            new = rules.SOURCE_STATUS_LABELS.get(change.value, change.value)
        lines.append(HistoryLine(change.changed_at, change.changed_by_name, what, "—", new, change.reason))
    return sorted(lines, key=lambda line: line.at, reverse=True)


@dataclass
class StudentFilter:
    cohort: int | None = None
    college_id: int | None = None
    signing_open: bool | None = None
    source_status: str | None = None
    q: str = ""


def students_page(actor: Actor, school_id: int, flt: StudentFilter, page: int = 1
                  ) -> tuple[list[Student], int]:
    """签约开放列表 / 学生信息: the school's students with their status, 50 a page. ``q`` is an exact
    学号, a name, or an exact phone / ID number (matched through the keyed hash)."""
    require_school_admin(actor, school_id)
    where = [Student.school_id == school_id]
    if flt.cohort:
        where.append(Student.cohort == flt.cohort)
    if flt.college_id:
        where.append(Student.college_id == flt.college_id)
    if flt.signing_open is not None:
        where.append(Student.signing_open.is_(flt.signing_open))
    if flt.source_status:
        where.append(Student.source_status == _source_status(flt.source_status))
    q = flt.q.strip()
    if q:
        hashed = lookup_hash(normalize_id_number(q))
        phone_hash = lookup_hash(normalize_phone(q))
        where.append(or_(Student.student_no == q, Student.name == q, Student.id_number_hash == hashed,
                         Student.phone_hash == phone_hash))
    total = db.session.scalar(select(func.count()).select_from(Student).where(*where))
    rows = db.session.scalars(select(Student).where(*where).options(
        selectinload(Student.college), selectinload(Student.major))
        .order_by(Student.cohort.desc(), Student.student_no)
        .limit(PAGE_SIZE).offset((max(page, 1) - 1) * PAGE_SIZE)).all()
    return list(rows), total


def scopes_of(actor: Actor, school_id: int, cohort: int) -> list[SigningScope]:
    require_school_admin(actor, school_id)
    return list(db.session.scalars(select(SigningScope).where(
        SigningScope.school_id == school_id, SigningScope.cohort == cohort)
        .order_by(SigningScope.college_id.is_not(None), SigningScope.college_id)))


def scope_log(actor: Actor, school_id: int, limit: int = 30) -> list[ScopeChange]:
    require_school_admin(actor, school_id)
    return list(db.session.scalars(select(ScopeChange).where(ScopeChange.school_id == school_id)
                                   .order_by(ScopeChange.id.desc()).limit(limit)))


def cohorts_of(school_id: int) -> list[int]:
    return list(db.session.scalars(select(Student.cohort).where(Student.school_id == school_id)
                                   .distinct().order_by(Student.cohort.desc())))


def open_counts(school_id: int, cohort: int) -> dict[int, tuple[int, int]]:
    """Per college: (students, students open for signing), for the 网签开放设置 page."""
    rows = db.session.execute(select(Student.college_id, func.count(),
                                     func.sum(case((Student.signing_open.is_(True), 1), else_=0)))
                              .where(Student.school_id == school_id, Student.cohort == cohort)
                              .group_by(Student.college_id))
    return {college_id: (total, int(open_ or 0)) for college_id, total, open_ in rows}

