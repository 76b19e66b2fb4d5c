"""Roster benchmark against the QUALITY.md bar: a 20k-row roster checked and imported with its
per-row report in ≤ 15 s (the check and the import each run as a long job)."""
from __future__ import annotations

import io
import statistics
import time

import pytest
from openpyxl import Workbook

from app.services.roster import HEADERS, import_roster
from tests.factories import CollegeFactory, MajorFactory, SchoolFactory, valid_id_number

pytestmark = pytest.mark.bench
ROWS = 20_000


def roster(rows: int, cohort: int) -> bytes:
    """As Excel saves it: shared strings and a <dimension> (a write-only workbook has neither)."""
    book = Workbook()
    sheet = book.active
    sheet.append(list(HEADERS))
    for n in range(rows):
        birth = f"2003{1 + n // 1000 % 12:02d}{1 + n // 12000:02d}"  # 1,000 numbers a day: unique
        sheet.append([f"{cohort}{n:06d}", f"学生{n}", "", valid_id_number(n % 1000, birth=birth),
                      "计算机学院" if n % 2 else "数学学院",
                      "软件工程" if n % 2 else "数学与应用数学", "2201", cohort, "本科", "", f"139{n:08d}",
                      f"s{n}@example.edu.cn", "北京市海淀区学院路1号"])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_roster_of_20k_rows(db_session, record):
    school = SchoolFactory(code="10001")
    cs = CollegeFactory(school=school, name="计算机学院")
    MajorFactory(college=cs, name="软件工程")
    math = CollegeFactory(school=school, name="数学学院")
    MajorFactory(college=math, name="数学与应用数学")
    db_session.commit()
    checks, imports = [], []
    for cohort in (2026, 2027, 2028):
        content = roster(ROWS, cohort)
        started = time.perf_counter()
        report = import_roster("10001", content, check_only=True, progress=lambda *a: None)
        checks.append(time.perf_counter() - started)
        assert report.ready == ROWS, report.problems[:3]
        started = time.perf_counter()
        report = import_roster("10001", content, progress=lambda *a: None)
        imports.append(time.perf_counter() - started)
        assert report.imported == ROWS
    record("roster_20k", check_median_s=round(statistics.median(checks), 2),
           import_median_s=round(statistics.median(imports), 2),
           checks=[round(t, 2) for t in checks], imports=[round(t, 2) for t in imports], bar_s=15.0)
