"""收藏夹 / 签约发送列表: the students an employer means to invite, shared by all its users.

Entries are added (one found by search, or a batch from the Excel template) or removed, never
edited. A batch import is per row: rows that resolve are added, the others are reported.
"""
from __future__ import annotations

import io
import re
import warnings
import zipfile
from dataclasses import dataclass, field

from openpyxl import Workbook, load_workbook
from openpyxl.styles import Font
from sqlalchemy import Select, delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload, selectinload

from app.clock import iso_china
from app.domain.actors import Actor
from app.domain.errors import InvalidInput, NotFound
from app.extensions import db
from app.models import Favorite, Student
from app.services.employers import verified_employer
from app.services import ratelimit
from app.services.search import (PHONE_OR_ID_HINT, StudentKey, find_students, identity_hash,
                                 is_searchable, searchable, spend_lookups, student_card, was_found)
from app.services.unit import transactional
from app.services.uploads import UnsupportedUpload

HEADERS = ("学校代码", "毕业年度", "姓名", "手机号或身份证号")
MAX_IMPORT_ROWS = 1000
MAX_IMPORT_BYTES = 2 * 1024 * 1024
_MAX_UNZIPPED = 50 * 1024 * 1024  # a 1000-row sheet is well under 1 MB unzipped
IMPORTS_PER_HOUR = 20
NOT_FOUND = ("未找到可签约的学生，请核对学校代码、毕业年度、姓名和手机号/身份证号"
             "（定向生、生源信息未审核或学校未开放签约的学生不能添加）")
_NOT_XLSX = "文件不是有效的Excel（.xlsx）文件，请使用下载的模板填写"


@dataclass
class RowResult:
    row: int  # Excel row number; the header is row 1
    ok: bool
    message: str
    student_id: int | None = None


@dataclass
class ImportReport:
    added: int = 0
    existing: int = 0
    failed: int = 0
    rows: list[RowResult] = field(default_factory=list)


def favorites_query(actor: Actor, cohort: int | None = None) -> Select:
    """The employer's favorites with their students loaded (the caller pages it by Favorite.id)."""
    employer = verified_employer(actor)
    stmt = select(Favorite).where(Favorite.employer_id == employer.id).options(
        joinedload(Favorite.student).options(selectinload(Student.school),
                                             selectinload(Student.college),
                                             selectinload(Student.major)))
    if cohort is not None:
        stmt = stmt.where(Favorite.student.has(Student.cohort == cohort))
    return stmt


def favorite_item(favorite: Favorite) -> dict:
    card = student_card(favorite.student)
    return {"student_id": card.pop("id"), **card, "signable": is_searchable(favorite.student),
            "added_at": iso_china(favorite.created_at)}


def _insert(employer_id: int, student_ids: list[int], actor: Actor) -> int:
    """Add favorites; a row another user added meanwhile is simply already there."""
    try:
        with db.session.begin_nested():
            db.session.add_all([Favorite(employer_id=employer_id, student_id=sid,
                                         added_by_id=actor.account_id) for sid in student_ids])
        return len(student_ids)
    except IntegrityError:
        added = 0
        for sid in student_ids:
            try:
                with db.session.begin_nested():
                    db.session.add(Favorite(employer_id=employer_id, student_id=sid,
                                            added_by_id=actor.account_id))
                added += 1
            except IntegrityError:
                pass
        return added


def _existing(employer_id: int, student_id: int) -> Favorite | None:
    return db.session.scalar(select(Favorite).where(Favorite.employer_id == employer_id,
                                                    Favorite.student_id == student_id))


@transactional
def add_favorite(actor: Actor, student_id: int) -> tuple[Favorite, bool]:
    """Add a student found by search; (favorite, created). Adding it again changes nothing."""
    employer = verified_employer(actor)
    if (favorite := _existing(employer.id, student_id)) is not None:
        return favorite, False
    # Only a student this employer found by exact search: ids are not a way to browse students.
    student = db.session.scalar(select(Student.id).where(Student.id == student_id, searchable()))
    if student is None or not was_found(employer.id, student_id):
        raise NotFound("STUDENT_NOT_FOUND", "未找到该学生，请先按学校代码、毕业年度、姓名和手机号/身份证号搜索")
    created = _insert(employer.id, [student_id], actor) == 1
    return _existing(employer.id, student_id), created


@transactional
def remove_favorite(actor: Actor, student_id: int) -> bool:
    """Remove a student from the list; True if it was there."""
    employer = verified_employer(actor)
    result = db.session.execute(delete(Favorite).where(
        Favorite.employer_id == employer.id, Favorite.student_id == student_id))
    return result.rowcount > 0


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def _read_rows(content: bytes) -> list[tuple[int, dict[str, object]]]:
    if not content.startswith(b"PK\x03\x04"):  # xlsx is a zip; .xls, CSV and images are not
        raise UnsupportedUpload("UNSUPPORTED_FILE_TYPE", _NOT_XLSX, {"file": "只能上传.xlsx文件"})
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            infos = archive.infolist()
        if ("xl/workbook.xml" not in {i.filename for i in infos} or len(infos) > 500
                or sum(i.file_size for i in infos) > _MAX_UNZIPPED):
            raise ValueError("not a plain xlsx")
        with warnings.catch_warnings():  # style warnings of odd generators say nothing about data
            warnings.simplefilter("ignore")
            book = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except Exception as exc:  # any failure to open means the same thing to the uploader
        raise UnsupportedUpload("UNSUPPORTED_FILE_TYPE", _NOT_XLSX, {"file": "只能上传.xlsx文件"}) from exc
    try:
        sheet = book.worksheets[0]
        sheet.reset_dimensions()
        rows = sheet.iter_rows(values_only=True)
        header = [_text(v) for v in next(rows, ())]
        missing = [name for name in HEADERS if name not in header]
        if missing:
            raise InvalidInput("BAD_TEMPLATE", f"缺少列：{'、'.join(missing)}（请使用下载的模板）",
                               {"file": "表头与模板不一致"})
        columns = {name: header.index(name) for name in HEADERS}
        data = []
        for number, values in enumerate(rows, start=2):
            if any(_text(v) for v in values):
                data.append((number, {n: values[i] if i < len(values) else None
                                      for n, i in columns.items()}))
                if len(data) > MAX_IMPORT_ROWS:
                    raise InvalidInput("TOO_MANY_ROWS", f"每次最多导入{MAX_IMPORT_ROWS}名学生，请分批导入",
                                       {"file": f"超过{MAX_IMPORT_ROWS}行"})
    finally:
        book.close()
    if not data:
        raise InvalidInput("EMPTY_IMPORT", "文件中没有学生数据（从第2行开始填写）", {"file": "没有数据"})
    return data


def _row_key(cells: dict[str, object]) -> StudentKey | str:
    """The row's search key, or why the row cannot be searched."""
    text = {name: _text(value) for name, value in cells.items()}
    problems = []
    if not re.fullmatch(r"\d{5}", text["学校代码"]):
        problems.append("学校代码应为5位数字")
    cohort = int(text["毕业年度"]) if text["毕业年度"].isdigit() else 0
    if not 2000 <= cohort <= 2100:
        problems.append("毕业年度应为四位年份，如2026")
    if not text["姓名"] or len(text["姓名"]) > 50:
        problems.append("姓名不能为空且不超过50个字")
    if isinstance(cells["手机号或身份证号"], (int, float)) and len(text["手机号或身份证号"]) > 11:
        # Excel keeps 15 significant digits of a number: an ID typed as one is already damaged.
        problems.append("身份证号被存为数字，末几位已丢失，请将该列设为文本格式后重新填写")
    elif identity_hash(text["手机号或身份证号"]) is None:
        problems.append(PHONE_OR_ID_HINT)
    if problems:
        return "；".join(problems)
    return StudentKey(text["学校代码"], cohort, text["姓名"], text["手机号或身份证号"])


@transactional
def import_favorites(actor: Actor, content: bytes) -> ImportReport:
    """Resolve every row exactly like a search; add those found, report each row in Chinese.

    The rows spend from the employer's lookup budget (search.spend_lookups), all before any is
    looked up; a row that finds nobody reads the same as one for a student the employer may
    not add (定向, source info not approved, signing closed)."""
    employer = verified_employer(actor)
    ratelimit.hit([ratelimit.Limit("favorites-import", employer.id, 3600, IMPORTS_PER_HOUR)],
                  "导入过于频繁，请稍后再试")
    rows = [(number, _row_key(cells)) for number, cells in _read_rows(content)]
    keys = {k for _, k in rows if isinstance(k, StudentKey)}
    if keys:  # each row's ID number or phone is a lookup, like a search: one budget for both
        spend_lookups(employer.id, len(keys))
    found = find_students(keys)
    already = set(db.session.scalars(select(Favorite.student_id).where(
        Favorite.employer_id == employer.id,
        Favorite.student_id.in_([s.id for s in found.values()]))))
    report = ImportReport()
    first_row: dict[int, int] = {}
    to_add: list[int] = []
    for number, key in rows:
        student = found.get(key) if isinstance(key, StudentKey) else None
        if student is None:
            report.rows.append(RowResult(number, False, key if isinstance(key, str) else NOT_FOUND))
            report.failed += 1
        elif student.id in first_row:
            report.rows.append(RowResult(number, True, f"与第{first_row[student.id]}行为同一学生", student.id))
        elif student.id in already:
            first_row[student.id] = number
            report.rows.append(RowResult(number, True, "已在收藏夹中", student.id))
            report.existing += 1
        else:
            first_row[student.id] = number
            to_add.append(student.id)
            report.rows.append(RowResult(number, True, "已加入收藏夹", student.id))
    if to_add:
        added = _insert(employer.id, to_add, actor)
        report.added, report.existing = added, report.existing + len(to_add) - added
    return report


def template_bytes() -> bytes:
    """The batch-import template: the four columns as text, and a 说明 sheet."""
    book = Workbook()
    sheet = book.active
    sheet.title = "学生名单"
    sheet.append(HEADERS)
    for cell, width in zip(sheet[1], (12, 10, 12, 24), strict=False):
        cell.font = Font(bold=True)
        column = sheet.column_dimensions[cell.column_letter]
        column.width = width
        if cell.value in ("学校代码", "手机号或身份证号"):  # text, so Excel keeps all 18 digits
            column.number_format = "@"
    sheet.freeze_panes = "A2"
    notes = book.create_sheet("说明")
    for line in (
        ("列名", "说明"),
        ("学校代码", "5位国家学校代码，如 10001（北京大学）"),
        ("毕业年度", "四位年份，如 2026"),
        ("姓名", "与学校登记的姓名完全一致"),
        ("手机号或身份证号", "学生在学校登记的11位手机号，或18位身份证号（末位可为X）"),
        ("", ""),
        ("", f"数据从第2行开始，每次最多{MAX_IMPORT_ROWS}行；请勿修改表头。"),
        ("", "每行按四项信息精确匹配；匹配成功的学生加入收藏夹，未匹配的行会逐行说明原因。"),
        ("", "定向生、生源信息未审核通过或学校尚未开放网上签约的学生无法添加。"),
    ):
        notes.append(line)
    for cell in notes[1]:
        cell.font = Font(bold=True)
    notes.column_dimensions["A"].width, notes.column_dimensions["B"].width = 18, 80
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
