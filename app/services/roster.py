"""Bulk student roster import (SPEC: school reviewers upload an Excel roster).

Every row is validated and every problem reported with its Excel row number; the roster is
imported whole or not at all, so a reviewer fixes the file and uploads it again.
"""
from __future__ import annotations

import hashlib
import io
import json
import logging
import re
import secrets
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field

from openpyxl import Workbook, load_workbook
from openpyxl.styles import Font
from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError

from app.domain.actors import Actor
from app.domain.errors import InvalidInput, NotFound
from app.domain.identity import (gender_from_id_number, id_number_check_char, id_number_error,
                                 normalize_id_number, normalize_phone, phone_error)
from app.extensions import db, redis_ext
from app.models import (College, EducationLevel, Gender, Major, School, SourceStatus, Student,
                        TrainingMode)
from app.pii import lookup_hash

log = logging.getLogger(__name__)

# Header, template column width, and what the template's 说明 sheet tells the reviewer.
_COLUMNS = (
    ("学号", 14, "本校内唯一，最多30个字符"),
    ("姓名", 10, "最多50个字符"),
    ("性别", 6, "男 或 女；不填时按身份证号推断，填写时须与身份证号一致"),
    ("身份证号", 22, "18位居民身份证号，末位可为X；请将单元格设为文本格式"),
    ("学院", 18, "本校已设置的学院名称或代码"),
    ("专业", 18, "该学院下的专业名称或代码"),
    ("班级", 12, "最多50个字符"),
    ("毕业年度", 10, "四位年份，如 2026"),
    ("学历", 10, "专科、本科、硕士（硕士研究生）或 博士（博士研究生）"),
    ("培养方式", 10, "非定向、定向 或 委培；不填为非定向（定向生不能网上签约）"),
    ("手机号", 14, "11位中国大陆手机号"),
    ("邮箱", 26, "如 name@example.edu.cn"),
    ("通讯地址", 32, "最多200个字符"),
    ("生源状态", 10, "已审核、待审核 或 未通过；不填为待审核。"
                     "只有生源信息已审核的学生能被单位搜索和网上签约"),
    ("网签开放", 10, "是 或 否；不填时按该届、该学院当前的网签开放设置（未设置为是）。"
                     "否：该生暂不能网上签约"),
    ("不开放原因", 24, "网签开放为否时，学生看到的原因，最多200个字符"),
)
HEADERS = tuple(name for name, _, _ in _COLUMNS)
REQUIRED = ("学号", "姓名", "身份证号", "学院", "专业", "毕业年度", "学历")
MAX_ROWS = 50_000
_CHUNK = 2_000  # rows per INSERT batch: bounded memory, few round trips

# Column widths of the model, checked here so a long value is a row problem, not a DB error.
_MAX_LEN = {"学号": 30, "姓名": 50, "班级": 50, "邮箱": 120, "通讯地址": 200, "不开放原因": 200}
_GENDERS = {"男": Gender.MALE, "女": Gender.FEMALE}
_LEVELS = {"专科": EducationLevel.ZHUANKE, "本科": EducationLevel.BENKE,
           "硕士": EducationLevel.SHUOSHI, "硕士研究生": EducationLevel.SHUOSHI,
           "博士": EducationLevel.BOSHI, "博士研究生": EducationLevel.BOSHI}
_MODES = {"非定向": TrainingMode.NON_DIRECTED, "定向": TrainingMode.DIRECTED,
          "委培": TrainingMode.COMMISSIONED}
_SOURCES = {"已审核": SourceStatus.APPROVED, "审核通过": SourceStatus.APPROVED,
            "待审核": SourceStatus.PENDING, "未通过": SourceStatus.REJECTED,
            "审核不通过": SourceStatus.REJECTED}
_YES_NO = {"是": True, "否": False}
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_NOT_XLSX = "文件不是有效的Excel（.xlsx）文件"


class RosterError(Exception):
    """The whole file is unusable; no row report makes sense."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass
class RosterProblem:
    row: int  # Excel row number; the header is row 1
    column: str  # Chinese header name
    message: str


@dataclass
class RosterReport:
    imported: int
    problems: list[RosterProblem] = field(default_factory=list)
    ready: int = 0  # rows that passed every check (a check without import reports these)


# progress(done, total, what): rows checked so far, for a progress bar. It may commit the session
# (a progress record), so it is never called once the first student row is inserted.
Progress = Callable[[int, int, str], None]
_PROGRESS_EVERY = 1_000


def _text(value: object) -> str:
    """A cell as stripped text; Excel stores 学号/年度/手机号 typed as numbers as int or 2026.0."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def _read_rows(content: bytes) -> tuple[dict[str, int], list[tuple[int, tuple]]]:
    """Header positions and the non-blank data rows with their Excel row numbers."""
    if not content.startswith(b"PK\x03\x04"):  # xlsx is a zip; .xls, CSV and images are not
        raise RosterError(_NOT_XLSX)
    try:
        with warnings.catch_warnings():  # style warnings from odd generators say nothing about data
            warnings.simplefilter("ignore")
            book = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except Exception as exc:  # any failure to parse means the same thing to the uploader
        raise RosterError(_NOT_XLSX) from exc
    try:
        sheet = book.worksheets[0]  # the roster is the first sheet even if 说明 was left active
        sheet.reset_dimensions()  # saved dimensions may be wrong and would truncate rows
        rows = sheet.iter_rows(values_only=True)
        header = [_text(v) for v in next(rows, ())]
        data = []
        for number, values in enumerate(rows, start=2):
            if any(_text(v) for v in values):  # trailing formatted-but-empty rows are common
                data.append((number, values))
                if len(data) > MAX_ROWS:
                    raise RosterError(f"花名册超过{MAX_ROWS}行，请分批导入")
    finally:
        book.close()
    if not data:
        raise RosterError("花名册中没有学生数据")
    columns = {name: header.index(name) for name in HEADERS if name in header}
    missing = [name for name in REQUIRED if name not in columns]
    if missing:
        raise RosterError(f"缺少必填列：{'、'.join(missing)}（表头须与模板一致）")
    return columns, data


@dataclass
class _Row:
    """One data row while its columns are read: the cells, the student so far, its problems."""
    number: int
    cell: dict[str, str]
    raw: dict[str, object]
    student: dict = field(default_factory=dict)
    bad: list[tuple[str, str]] = field(default_factory=list)  # (column, message)


@dataclass
class _Roster:
    """What a rule may consult: the school's colleges and majors, and what earlier rows used."""
    school: School
    college_by_key: dict[str, College]
    majors: dict[int, dict[str, Major]]
    existing_nos: set[str]
    first_no: dict[str, int] = field(default_factory=dict)  # 学号 -> row that first used it
    first_id: dict[tuple[int, str], int] = field(default_factory=dict)  # (年度, ID hash) -> row


def _student_no(row: _Row, roster: _Roster) -> None:
    student_no = row.student["student_no"] = row.cell["学号"]
    if student_no in roster.existing_nos:
        row.bad.append(("学号", "学号已存在"))
    elif student_no in roster.first_no:
        row.bad.append(("学号", f"学号与第{roster.first_no[student_no]}行重复"))
    elif student_no:
        roster.first_no[student_no] = row.number


def _name(row: _Row, roster: _Roster) -> None:
    row.student["name"] = row.cell["姓名"]


def _id_number(row: _Row, roster: _Roster) -> None:
    id_number = normalize_id_number(row.cell["身份证号"])
    error = id_number_error(id_number) if id_number else None
    if error:
        if isinstance(row.raw["身份证号"], (int, float)):  # Excel keeps only 15 digits
            error += "（该列被存为数字，请将单元格设为文本后重新填写）"
        row.bad.append(("身份证号", error))
    ok = bool(id_number) and not error
    # Plaintext in, the column type encrypts; hashes by hand as @validates won't run on insert().
    row.student.update(id_number=id_number, id_number_hash=lookup_hash(id_number) if ok else None)


def _gender(row: _Row, roster: _Roster) -> None:
    text = row.cell.get("性别", "")
    gender = _GENDERS.get(text)
    if text and gender is None:
        row.bad.append(("性别", "性别应为男或女"))
    elif row.student["id_number_hash"]:
        derived = Gender(gender_from_id_number(row.student["id_number"]))
        if gender not in (None, derived):
            row.bad.append(("性别", "性别与身份证号不一致"))
        gender = derived
    row.student["gender"] = gender


def _college(row: _Row, roster: _Roster) -> None:
    college = roster.college_by_key.get(row.cell["学院"])
    if row.cell["学院"] and college is None:
        row.bad.append(("学院", f"本校没有学院「{row.cell['学院']}」"))
    row.student["college_id"] = college.id if college else None


def _major(row: _Row, roster: _Roster) -> None:
    college_id, key = row.student["college_id"], row.cell["专业"]
    major = roster.majors[college_id].get(key) if college_id and key else None
    if college_id and key and major is None:
        elsewhere = any(key in by_key for by_key in roster.majors.values())
        college = next(c for c in roster.college_by_key.values() if c.id == college_id)
        row.bad.append(("专业", f"专业「{key}」不属于学院「{college.name}」" if elsewhere
                        else f"本校没有专业「{key}」"))
    row.student["major_id"] = major.id if major else None


def _class_name(row: _Row, roster: _Roster) -> None:
    row.student["class_name"] = row.cell.get("班级") or None


def _cohort(row: _Row, roster: _Roster) -> None:
    text = row.cell["毕业年度"]
    cohort = int(text) if text.isdigit() else None
    if text and not (cohort and 2000 <= cohort <= 2100):
        row.bad.append(("毕业年度", "毕业年度应为2000至2100之间的年份，如2026"))
        cohort = None
    row.student["cohort"] = cohort


def _education_level(row: _Row, roster: _Roster) -> None:
    level = row.student["education_level"] = _LEVELS.get(row.cell["学历"])
    if row.cell["学历"] and level is None:
        row.bad.append(("学历", "学历应为专科、本科、硕士或博士"))


def _training_mode(row: _Row, roster: _Roster) -> None:
    mode = row.student["training_mode"] = _MODES.get(row.cell.get("培养方式") or "非定向")
    if mode is None:
        row.bad.append(("培养方式", "培养方式应为非定向、定向或委培"))


def _phone(row: _Row, roster: _Roster) -> None:
    phone = normalize_phone(row.cell["手机号"]) if row.cell.get("手机号") else None
    if phone and (error := phone_error(phone)):
        row.bad.append(("手机号", error))
    row.student.update(phone=phone, phone_hash=lookup_hash(phone) if phone else None)


def _email(row: _Row, roster: _Roster) -> None:
    email = row.student["email"] = row.cell.get("邮箱") or None
    if email and not _EMAIL.match(email):
        row.bad.append(("邮箱", "邮箱格式不正确"))


def _address(row: _Row, roster: _Roster) -> None:
    row.student["address"] = row.cell.get("通讯地址") or None


def _source_status(row: _Row, roster: _Roster) -> None:
    """生源信息状态 from the file (seed 000 FAQ: only reviewed 生源 may sign); blank is pending."""
    status = row.student["source_status"] = _SOURCES.get(row.cell.get("生源状态") or "待审核")
    if status is None:
        row.bad.append(("生源状态", "生源状态应为已审核、待审核或未通过"))


def _signing_open(row: _Row, roster: _Roster) -> None:
    """是/否 as the file says; blank: the 网签开放设置 of the student's cohort or college (filled in
    by _follow_signing_scopes once the file is valid)."""
    text = row.cell.get("网签开放")
    if not text:
        row.student["signing_open"] = row.student["signing_closed_reason"] = None
        return
    is_open = row.student["signing_open"] = _YES_NO.get(text)
    if is_open is None:
        row.bad.append(("网签开放", "网签开放应为是或否"))
    reason = row.cell.get("不开放原因") or None
    row.student["signing_closed_reason"] = None if is_open else reason


def _unique_person(row: _Row, roster: _Roster) -> None:
    """One person once per school and cohort within the file (the database checks the rest)."""
    id_hash, cohort = row.student["id_number_hash"], row.student["cohort"]
    if id_hash and cohort and (earlier := roster.first_id.setdefault((cohort, id_hash), row.number)) \
            != row.number:
        row.bad.append(("身份证号", f"同一毕业年度身份证号与第{earlier}行重复"))


# The rules in the order a row is read: each sets its fields of the student or says what is wrong.
_RULES = (_student_no, _name, _id_number, _gender, _college, _major, _class_name, _cohort,
          _education_level, _training_mode, _phone, _email, _address, _source_status, _signing_open,
          _unique_person)


def _read_row(number: int, values: tuple, columns: dict[str, int], roster: _Roster) -> _Row:
    raw = {name: values[i] if i < len(values) else None for name, i in columns.items()}
    row = _Row(number, {name: _text(v) for name, v in raw.items()}, raw)
    row.bad += [(name, "不能为空") for name in REQUIRED if not row.cell[name]]
    row.bad += [(name, f"不能超过{limit}个字符") for name, limit in _MAX_LEN.items()
                if len(row.cell.get(name, "")) > limit]
    for rule in _RULES:
        rule(row, roster)
    row.student["school_id"] = roster.school.id
    return row


def import_roster(school_code: str, content: bytes, filename: str = "", *, check_only: bool = False,
                  progress: Progress | None = None) -> RosterReport:
    """Validate every row of an xlsx roster and import all students, or none if any row is bad.
    With check_only nothing is written: the report says how many rows are ready."""
    school = db.session.scalar(select(School).where(School.code == school_code.strip()))
    if school is None:
        raise RosterError(f"学校代码不存在：{school_code}")
    columns, data = _read_rows(content)
    total = len(data)

    colleges = db.session.scalars(select(College).where(College.school_id == school.id)).all()
    majors: dict[int, dict[str, Major]] = {c.id: {} for c in colleges}
    for m in db.session.scalars(select(Major).where(Major.college_id.in_(list(majors)))):
        majors[m.college_id].update({m.name: m, m.code: m})
    existing_nos = set(db.session.scalars(select(Student.student_no).where(Student.school_id == school.id)))
    roster = _Roster(school, {k: c for c in colleges for k in (c.name, c.code)}, majors, existing_nos)

    problems: list[RosterProblem] = []
    students: list[dict] = []
    for done, (number, values) in enumerate(data, start=1):
        if progress and done % _PROGRESS_EVERY == 0:
            progress(done, total, "校验")
        row = _read_row(number, values, columns, roster)
        problems += [RosterProblem(number, column, message) for column, message in row.bad]
        if not problems:  # once any row fails nothing is inserted, so stop keeping rows
            students.append(row.student)

    # Same person already on this school's roster for that cohort (a later cohort is fine:
    # 本科 then 硕士); one query for all hashes of the cohorts in the file.
    for cohort, id_hash in db.session.execute(select(Student.cohort, Student.id_number_hash).where(
            Student.school_id == school.id, Student.cohort.in_(sorted({c for c, _ in roster.first_id})))):
        if number := roster.first_id.get((cohort, id_hash)):
            problems.append(RosterProblem(number, "身份证号", f"该学生已在{cohort}届花名册中"))
    if problems:
        problems.sort(key=lambda p: p.row)  # stable: a row's problems keep column order
        return RosterReport(imported=0, problems=problems)
    if progress:
        progress(total, total, "校验")
    if check_only:
        return RosterReport(imported=0, ready=len(students))
    _follow_signing_scopes(school.id, students)
    if progress:  # the last call before the inserts: a progress record may commit, so none after
        progress(total, total, "写入")
    try:
        for start in range(0, len(students), _CHUNK):
            db.session.execute(insert(Student), students[start:start + _CHUNK])
        db.session.commit()
    except IntegrityError as exc:  # someone imported overlapping students meanwhile
        db.session.rollback()
        raise RosterError("导入时数据已被他人修改（学号或身份证号冲突），请重新上传") from exc
    log.info("roster %r: %d students imported for school %s", filename, len(students), school.code)
    return RosterReport(imported=len(students), problems=[], ready=len(students))


def _follow_signing_scopes(school_id: int, students: list[dict]) -> None:
    """Students whose 网签开放 cell was blank get the 网签开放设置 their cohort or college has now
    (open when none was ever set)."""
    from app.services.student_records import initial_signing

    blank = [s for s in students if s["signing_open"] is None]
    settings = initial_signing(school_id, {(s["cohort"], s["college_id"]) for s in blank})
    for student in blank:
        student["signing_open"], student["signing_closed_reason"] = settings[
            (student["cohort"], student["college_id"])]


# -- the upload page: check first, import on confirm ------------------------------------------------

MAX_UPLOAD_BYTES = 10 * 1024 * 1024
STAGE_TTL = 3600  # an uploaded roster waits an hour for its confirmation
_STAGE_PREFIX = "wq:roster:"


@dataclass
class StagedRoster:
    token: str
    school_id: int
    school_code: str
    account_id: int
    filename: str
    sha256: str
    content: bytes


def stage_upload(actor: Actor, school_id: int, content: bytes, filename: str) -> StagedRoster:
    """Keep an uploaded roster (in Redis, for an hour) for its check and then its confirmation;
    only the uploader may use it."""
    from app.services.organisation import require_school_admin

    school = require_school_admin(actor, school_id)
    if not content:
        raise InvalidInput("VALIDATION_FAILED", "请选择花名册文件", {"file": "请选择花名册文件"})
    if len(content) > MAX_UPLOAD_BYTES:
        raise InvalidInput("VALIDATION_FAILED", "文件超过10MB，请分批导入", {"file": "文件过大"})
    if not content.startswith(b"PK\x03\x04"):
        raise InvalidInput("VALIDATION_FAILED", _NOT_XLSX, {"file": _NOT_XLSX})
    staged = StagedRoster(secrets.token_urlsafe(16), school.id, school.code, actor.account_id or 0,
                          (filename or "roster.xlsx")[:100], hashlib.sha256(content).hexdigest(), content)
    meta = {"school_id": staged.school_id, "school_code": staged.school_code,
            "account_id": staged.account_id, "filename": staged.filename, "sha256": staged.sha256}
    pipe = redis_ext.client.pipeline()
    pipe.set(_STAGE_PREFIX + staged.token, content, ex=STAGE_TTL)
    pipe.set(_STAGE_PREFIX + staged.token + ":meta", json.dumps(meta), ex=STAGE_TTL)
    pipe.execute()
    return staged


def staged_upload(actor: Actor, token: str) -> StagedRoster:
    """The roster this actor uploaded under ``token``; gone after an hour or once imported."""
    pipe = redis_ext.client.pipeline()
    pipe.get(_STAGE_PREFIX + token + ":meta")
    pipe.get(_STAGE_PREFIX + token)
    raw_meta, content = pipe.execute()
    meta = json.loads(raw_meta) if raw_meta else None
    if meta is None or content is None or meta["account_id"] != (actor.account_id or 0):
        raise NotFound("ROSTER_UPLOAD_EXPIRED", "上传的花名册已过期，请重新上传")
    return StagedRoster(token, meta["school_id"], meta["school_code"], meta["account_id"],
                        meta["filename"], meta["sha256"], content)


def discard_upload(token: str) -> None:
    redis_ext.client.delete(_STAGE_PREFIX + token, _STAGE_PREFIX + token + ":meta")




def roster_template_bytes() -> bytes:
    """The xlsx reviewers fill in: header, one example row, and a 说明 sheet."""
    book = Workbook()
    sheet = book.active
    sheet.title = "花名册"
    sheet.append(HEADERS)
    example_id = "11010120040101001"
    example_id += id_number_check_char(example_id)  # a fake but checksum-valid number
    sheet.append(["2022010001", "张三", "男", example_id, "计算机学院", "软件工程", "软件2201",
                  2026, "本科", "非定向", "13800138000", "zhangsan@example.edu.cn",
                  "北京市海淀区学院路1号", "已审核", "是", ""])
    for cell, (name, width, _) in zip(sheet[1], _COLUMNS, strict=False):
        cell.font = Font(bold=True)
        sheet.column_dimensions[cell.column_letter].width = width
        if name in ("学号", "身份证号", "手机号"):  # text, so Excel keeps all 18 digits of an ID
            sheet.cell(row=2, column=cell.column).number_format = "@"
    sheet.freeze_panes = "A2"

    notes = book.create_sheet("说明")
    notes.append(("列名", "是否必填", "说明"))
    for name, _, note in _COLUMNS:
        notes.append((name, "必填" if name in REQUIRED else "选填", note))
    notes.append(())
    notes.append(("", "", "表头请勿修改；数据从第2行开始；任一行有误时整份花名册都不会导入。"))
    for cell in notes[1]:
        cell.font = Font(bold=True)
    for letter, width in zip("ABC", (12, 10, 70), strict=False):
        notes.column_dimensions[letter].width = width

    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
