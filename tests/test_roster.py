"""Roster import: every row checked, a row-numbered report, and all students or none."""
from __future__ import annotations

import io
import time

import pytest
from openpyxl import Workbook, load_workbook
from sqlalchemy import func, select, text

from app.models import EducationLevel, Gender, SourceStatus, Student, TrainingMode
from app.pii import lookup_hash
from app.services import roster
from app.services.roster import HEADERS, RosterError, import_roster, roster_template_bytes
from tests.factories import (CollegeFactory, MajorFactory, SchoolFactory, StudentFactory,
                             valid_id_number)


def xlsx(rows: list[list], header: tuple | list = HEADERS) -> bytes:
    book = Workbook()
    sheet = book.active
    if header:
        sheet.append(list(header))
    for r in rows:
        sheet.append(r)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def row(n: int, **overrides) -> list:
    """A valid data row for the `school` fixture: 软件工程 in 计算机学院, cohort 2026."""
    values = {"学号": f"2022{n:06d}", "姓名": f"学生{n}", "性别": "", "身份证号": valid_id_number(n),
              "学院": "计算机学院", "专业": "软件工程", "班级": "软件2201", "毕业年度": "2026",
              "学历": "本科", "培养方式": "", "手机号": f"139{n:08d}",
              "邮箱": f"s{n}@example.edu.cn", "通讯地址": "北京市海淀区学院路1号",
              "生源状态": "已审核", "网签开放": "", "不开放原因": ""}
    values.update(overrides)
    return [values[h] for h in HEADERS]


@pytest.fixture
def school(db_session):
    school = SchoolFactory(code="10001", name="示例大学")
    cs = CollegeFactory(school=school, code="CS", name="计算机学院")
    MajorFactory(college=cs, code="080902", name="软件工程")
    MajorFactory(college=cs, code="080901", name="计算机科学与技术")
    math = CollegeFactory(school=school, code="MA", name="数学学院")
    MajorFactory(college=math, code="070101", name="数学与应用数学")
    db_session.flush()
    return school


def student_count(db_session) -> int:
    return db_session.scalar(select(func.count()).select_from(Student))


def test_clean_roster_imports_every_student(db_session, school):
    """Does a clean roster create every student, encrypted, in the right college, major and cohort?"""
    content = xlsx([row(1), row(2, 性别="女", 专业="计算机科学与技术", 学历="硕士研究生"),
                    row(3, 学院="MA", 专业="070101", 培养方式="定向", 手机号="", 邮箱="")])
    report = import_roster("10001", content, "roster.xlsx")
    assert report.problems == [] and report.imported == 3

    students = {s.student_no: s for s in db_session.scalars(
        select(Student).where(Student.school_id == school.id))}
    first, second, third = (students[f"2022{n:06d}"] for n in (1, 2, 3))
    assert (first.college.name, first.major.name, first.cohort) == ("计算机学院", "软件工程", 2026)
    assert first.gender == Gender.MALE  # derived: 17th digit of valid_id_number(1) is odd
    assert second.gender == Gender.FEMALE and second.education_level == EducationLevel.SHUOSHI
    assert (third.college.code, third.major.code) == ("MA", "070101")
    assert third.training_mode == TrainingMode.DIRECTED and third.phone is None
    assert first.training_mode == TrainingMode.NON_DIRECTED
    assert all(s.source_status == SourceStatus.APPROVED and s.signing_open for s in students.values())
    assert first.id_number == valid_id_number(1) and first.phone == "13900000001"
    assert first.id_number_hash == lookup_hash(valid_id_number(1))
    assert first.phone_hash == lookup_hash("13900000001")
    raw = db_session.execute(text("SELECT id_number_enc, phone_enc FROM students WHERE id = :id"),
                             {"id": first.id}).one()
    assert valid_id_number(1) not in raw.id_number_enc and "13900000001" not in raw.phone_enc


def test_numeric_cells_are_accepted(db_session, school):
    """Are 学号, 毕业年度 and 手机号 typed as numbers in Excel (2026 or 2026.0) accepted?"""
    report = import_roster("10001", xlsx([
        row(1, 学号=2022000001, 毕业年度=2026.0, 手机号=13900000001),
        row(2, 学号=2022000002.0, 毕业年度=2026, 手机号=13900000002.0, 姓名="  李四 ")]))
    assert report.problems == [] and report.imported == 2
    student = db_session.scalar(select(Student).where(Student.student_no == "2022000002"))
    assert (student.cohort, student.phone, student.name) == (2026, "13900000002", "李四")


BAD_ID = valid_id_number(2)[:-1] + ("0" if valid_id_number(2)[-1] != "0" else "1")


@pytest.mark.parametrize("rows, expected", [
    pytest.param([row(1), row(2, 身份证号=BAD_ID)], (3, "身份证号", "校验位错误"), id="id-checksum"),
    pytest.param([row(1, 学院="物理学院")], (2, "学院", "物理学院"), id="unknown-college"),
    pytest.param([row(1, 学院="数学学院", 专业="软件工程")], (2, "专业", "不属于学院「数学学院」"),
                 id="major-of-another-college"),
    pytest.param([row(1), row(2), row(3, 学号="2022000001")], (4, "学号", "学号与第2行重复"),
                 id="duplicate-student-no"),
    pytest.param([row(1), row(2, 身份证号=valid_id_number(1))],
                 (3, "身份证号", "与第2行重复"), id="duplicate-id-number"),
    pytest.param([row(1, 学历="研究生")], (2, "学历", "学历应为"), id="bad-education-level"),
    pytest.param([row(1, 性别="女")], (2, "性别", "性别与身份证号不一致"), id="gender-contradicts-id"),
    pytest.param([row(1, 毕业年度="2026届")], (2, "毕业年度", "2000至2100"), id="bad-cohort"),
    pytest.param([row(1, 培养方式="自费")], (2, "培养方式", "非定向"), id="bad-training-mode"),
    pytest.param([row(1, 手机号="12345")], (2, "手机号", "11位"), id="bad-phone"),
    pytest.param([row(1, 邮箱="not-an-email")], (2, "邮箱", "格式"), id="bad-email"),
    pytest.param([row(1, 姓名="")], (2, "姓名", "不能为空"), id="missing-name"),
])
def test_bad_row_is_reported_and_nothing_imported(db_session, school, rows, expected):
    """Does a bad row come back with its Excel row number and column, with no student imported?"""
    before = student_count(db_session)
    report = import_roster("10001", xlsx(rows))
    assert report.imported == 0
    assert [(p.row, p.column) for p in report.problems] == [expected[:2]]
    assert expected[2] in report.problems[0].message
    assert student_count(db_session) == before


def test_existing_student_no_and_id_number_are_rejected(db_session, school):
    """Is a 学号 already in the school, or a person already in that cohort, refused?"""
    major = school.colleges[0].majors[0]
    StudentFactory(major=major, student_no="2022000001", id_number=valid_id_number(50))
    StudentFactory(major=major, student_no="X1", id_number=valid_id_number(3), cohort=2026)
    db_session.flush()
    before = student_count(db_session)
    report = import_roster("10001", xlsx([row(1), row(2), row(3)]))
    assert [(p.row, p.column, p.message) for p in report.problems] == [
        (2, "学号", "学号已存在"), (4, "身份证号", "该学生已在2026届花名册中")]
    assert student_count(db_session) == before


def test_same_person_may_return_in_a_later_cohort(db_session, school):
    """Can a 本科 graduate of 2024 be imported again as a 硕士 of 2026?"""
    StudentFactory(major=school.colleges[0].majors[0], id_number=valid_id_number(1), cohort=2024)
    db_session.flush()
    report = import_roster("10001", xlsx([row(1, 学历="硕士")]))
    assert report.problems == [] and report.imported == 1


def test_every_problem_is_collected_not_just_the_first(db_session, school):
    """Do I see all the mistakes of the file at once, in row order?"""
    report = import_roster("10001", xlsx([
        row(1, 学历="", 身份证号="123"), row(2), row(3, 学院="物理学院", 邮箱="x")]))
    assert [(p.row, p.column) for p in report.problems] == [
        (2, "学历"), (2, "身份证号"), (4, "学院"), (4, "邮箱")]


def test_id_number_stored_as_number_gets_a_hint(db_session, school):
    """When Excel turned the ID number into a rounded number, am I told to use a text cell?"""
    report = import_roster("10001", xlsx([row(1, 身份证号=int(BAD_ID))]))
    assert "文本" in report.problems[0].message


def test_other_schools_colleges_are_unknown(db_session, school):
    """Is a college of another school treated as unknown?"""
    CollegeFactory(school=SchoolFactory(code="10002"), name="外校学院")
    db_session.flush()
    report = import_roster("10001", xlsx([row(1, 学院="外校学院")]))
    assert [(p.row, p.column) for p in report.problems] == [(2, "学院")]


def test_blank_rows_and_extra_columns_are_ignored(db_session, school):
    """Do trailing blank rows and an extra column of my own keep the row numbers right?"""
    content = xlsx([row(1) + ["备注"], [None] * 13, row(2, 学历="x"), [""] * 13],
                   header=list(HEADERS) + ["备注"])
    report = import_roster("10001", content)
    assert [(p.row, p.column) for p in report.problems] == [(4, "学历")]


PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


@pytest.mark.parametrize("content, message", [
    pytest.param(b"hello", "不是有效的Excel", id="text"),
    pytest.param(PNG, "不是有效的Excel", id="png"),
    pytest.param(b"PK\x03\x04 broken zip", "不是有效的Excel", id="broken-zip"),
    pytest.param(xlsx([], header=()), "没有学生数据", id="empty-sheet"),
    pytest.param(xlsx([]), "没有学生数据", id="header-only"),
    pytest.param(xlsx([row(1)[1:]], header=HEADERS[1:]), "缺少必填列：学号", id="missing-column"),
])
def test_unusable_file_is_a_whole_file_error(db_session, school, content, message):
    """Is a file that is not a roster refused as a whole with a clear reason?"""
    with pytest.raises(RosterError) as caught:
        import_roster("10001", content)
    assert message in caught.value.message


def test_unknown_school_is_refused(db_session, school):
    """Does an unknown school code stop the import before anything is read?"""
    with pytest.raises(RosterError, match="学校代码不存在"):
        import_roster("99999", xlsx([row(1)]))


def test_too_many_rows_is_refused(db_session, school, monkeypatch):
    """Is a roster above the row limit refused, asking for smaller batches?"""
    monkeypatch.setattr(roster, "MAX_ROWS", 2)
    with pytest.raises(RosterError, match="分批导入"):
        import_roster("10001", xlsx([row(1), row(2), row(3)]))


def test_cli_imports_a_good_file(db_session, school, runner, tmp_path):
    """Does `flask import-roster FILE --school CODE` report 导入成功 and exit 0?"""
    path = tmp_path / "roster.xlsx"
    path.write_bytes(xlsx([row(1), row(2)]))
    result = runner.invoke(args=["import-roster", str(path), "--school", "10001"])
    assert result.exit_code == 0, result.output
    assert "导入成功：2 名学生" in result.output


def test_cli_lists_problems_and_exits_1_on_a_bad_file(db_session, school, runner, tmp_path):
    """Does the CLI print each 第N行 problem and exit 1 without importing?"""
    path = tmp_path / "roster.xlsx"
    path.write_bytes(xlsx([row(1), row(2, 学院="物理学院")]))
    before = student_count(db_session)
    result = runner.invoke(args=["import-roster", str(path), "--school", "10001"])
    assert result.exit_code == 1
    assert "第3行 学院" in result.output and "未导入任何学生" in result.output
    assert student_count(db_session) == before


def test_cli_reports_a_whole_file_error(db_session, school, runner, tmp_path):
    """Does the CLI explain a non-Excel file instead of crashing?"""
    path = tmp_path / "roster.xlsx"
    path.write_bytes(b"hello")
    result = runner.invoke(args=["import-roster", str(path), "--school", "10001"])
    assert result.exit_code == 1 and "不是有效的Excel" in result.output


def test_template_has_the_headers_and_imports_cleanly(db_session, school, runner, tmp_path):
    """Does `flask roster-template` write the right header, a 说明 sheet, and an importable example?"""
    path = tmp_path / "template.xlsx"
    result = runner.invoke(args=["roster-template", str(path)])
    assert result.exit_code == 0, result.output
    book = load_workbook(path)
    sheet = book.worksheets[0]
    assert tuple(c.value for c in sheet[1]) == HEADERS
    assert all(c.font.bold for c in sheet[1])
    assert "说明" in book.sheetnames
    notes = {r[0]: r[1] for r in book["说明"].iter_rows(min_row=2, values_only=True) if r[0]}
    assert notes["学号"] == "必填" and notes["性别"] == "选填"
    # The example names 计算机学院/软件工程, which the `school` fixture has.
    report = import_roster("10001", path.read_bytes())
    assert report.problems == [] and report.imported == 1
    assert roster_template_bytes()[:4] == b"PK\x03\x04"


def test_two_thousand_rows_import_quickly(db_session, school):
    """Does a 2,000-row roster import in one go, well within the time budget?"""
    content = xlsx([row(n, 学院="计算机学院" if n % 2 else "数学学院",
                        专业="软件工程" if n % 2 else "数学与应用数学",
                        身份证号=valid_id_number(n % 1000, birth=f"2003{1 + n // 1000:02d}15"))
                    for n in range(2000)])
    started = time.perf_counter()
    report = import_roster("10001", content)
    elapsed = time.perf_counter() - started
    assert report.problems == [] and report.imported == 2000
    assert student_count(db_session) >= 2000
    assert elapsed < 10, f"2,000 rows took {elapsed:.1f}s"
    print(f"2,000-row roster imported in {elapsed:.2f}s")


def test_source_status_and_signing_open_come_from_the_file(db_session, school):
    """Does the roster say whose 生源 is reviewed and who may sign, instead of opening everyone?"""
    report = import_roster("10001", xlsx([
        row(1), row(2, 生源状态=""), row(3, 生源状态="未通过"),
        row(4, 网签开放="否", 不开放原因="定向协议待核实"), row(5, 网签开放="是", 不开放原因="忽略")]))
    assert report.problems == [] and report.imported == 5
    by_no = {s.student_no[-1]: s for s in db_session.scalars(select(Student).where(Student.school_id == school.id))}
    assert by_no["1"].source_status == SourceStatus.APPROVED and by_no["1"].signing_open
    assert by_no["2"].source_status == SourceStatus.PENDING  # blank: not yet reviewed
    assert by_no["3"].source_status == SourceStatus.REJECTED
    assert not by_no["4"].signing_open and by_no["4"].signing_closed_reason == "定向协议待核实"
    assert by_no["5"].signing_open and by_no["5"].signing_closed_reason is None


@pytest.mark.parametrize("overrides,column", [({"生源状态": "已上报"}, "生源状态"), ({"网签开放": "暂缓"}, "网签开放")])
def test_unknown_source_or_open_values_are_row_problems(db_session, school, overrides, column):
    report = import_roster("10001", xlsx([row(1, **overrides)]))
    assert [(p.row, p.column) for p in report.problems] == [(2, column)]
