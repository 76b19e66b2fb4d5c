"""签约统计 per cohort: students, signed online / on paper, other destinations, in review,
unsigned and the signing rate by college and major, and the median review times (SPEC §10, §13).

Paper agreements count as signed once effective and as in review from generation until then;
other destinations count what the one-destination table holds of that kind (nothing until their
issue lands): the figures are there, zero, never missing.
"""
from __future__ import annotations

import io
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from sqlalchemy import and_, case, func, select

from app.clock import to_china, utcnow
from app.domain import school_admin as rules
from app.domain.actors import Actor
from app.domain.errors import InvalidInput, NotFound
from app.extensions import db
from app.models import (ActiveDestination, College, FlowEntry, Invitation, Major, PaperAgreement,
                        RecordStatus, School, Student)

REVIEW_STAGES = {"college_review": ("college_approve", "college_reject"),
                 "school_review": ("school_approve", "school_reject")}
STAGE_LABELS = {"college_review": "学院审核", "school_review": "学校审核"}


@dataclass
class Counts:
    students: int = 0
    signed_online: int = 0
    signed_paper: int = 0
    other_destination: int = 0
    in_review: int = 0

    @property
    def unsigned(self) -> int:
        return self.students - self.signed_online - self.signed_paper - self.other_destination \
            - self.in_review

    @property
    def signing_rate(self) -> float:
        """签约率: online and paper agreements in force, of all students."""
        return rules.rate(self.signed_online + self.signed_paper, self.students)

    @property
    def placement_rate(self) -> float:
        """去向落实率: agreements and other destinations."""
        return rules.rate(self.signed_online + self.signed_paper + self.other_destination, self.students)

    def add(self, other: Counts) -> None:
        for name in ("students", "signed_online", "signed_paper", "other_destination", "in_review"):
            setattr(self, name, getattr(self, name) + getattr(other, name))

    def as_dict(self) -> dict:
        return {"students": self.students, "signed_online": self.signed_online,
                "signed_paper": self.signed_paper, "other_destination": self.other_destination,
                "in_review": self.in_review, "unsigned": self.unsigned,
                "signing_rate": self.signing_rate, "placement_rate": self.placement_rate}


@dataclass
class MajorRow:
    major_id: int
    code: str
    name: str
    counts: Counts


@dataclass
class CollegeRow:
    college_id: int
    code: str
    name: str
    counts: Counts
    majors: list[MajorRow] = field(default_factory=list)
    median_review_hours: dict[str, float | None] = field(default_factory=dict)


@dataclass
class Statistics:
    school: School
    cohort: int
    college_id: int | None  # a college reviewer's figures cover their college only
    total: Counts
    colleges: list[CollegeRow]
    median_review_hours: dict[str, float | None]  # per stage, over the cohort's decided reviews
    reviews_decided: dict[str, int]
    cohorts: list[int]
    generated_at: datetime


def statistics_for(actor: Actor, school_id: int, cohort: int | None,
                   college_id: int | None = None) -> Statistics:
    """The figures the actor may see: a college reviewer always gets their own college."""
    school = db.session.get(School, school_id)
    if actor.role == "college_reviewer":
        college_id = actor.college_id
    if school is None or not rules.can_view_statistics(actor, school_id, college_id):
        raise NotFound("SCHOOL_NOT_FOUND", "学校不存在")
    cohorts = list(db.session.scalars(select(Student.cohort).where(Student.school_id == school_id)
                                      .distinct().order_by(Student.cohort.desc())))
    if cohort is None:
        cohort = cohorts[0] if cohorts else _this_year()
    if not 2000 <= cohort <= 2100:
        raise InvalidInput("VALIDATION_FAILED", "毕业年度应为2000至2100之间的年份", {"cohort": "取值不正确"})
    if college_id is not None:
        college = db.session.get(College, college_id)
        if college is None or college.school_id != school_id:
            raise NotFound("COLLEGE_NOT_FOUND", "学院不存在")
    colleges = _counts(school_id, cohort, college_id)
    stage_medians, decided, by_college = _review_times(school_id, cohort, college_id)
    for row in colleges:
        row.median_review_hours = by_college.get(row.college_id, {})
    total = Counts()
    for row in colleges:
        total.add(row.counts)
    return Statistics(school, cohort, college_id, total, colleges, stage_medians, decided, cohorts, utcnow())


def _this_year() -> int:
    return to_china(utcnow()).year


def _counts(school_id: int, cohort: int, college_id: int | None) -> list[CollegeRow]:
    """One grouped query over students ⟕ their active destination ⟕ its agreement."""
    kind, state = ActiveDestination.kind, Invitation.state

    def count(*conditions):
        return func.sum(case((and_(*conditions), 1), else_=0))

    where = [Student.school_id == school_id, Student.cohort == cohort,
             Student.record_status == RecordStatus.ACTIVE]
    if college_id is not None:
        where.append(Student.college_id == college_id)
    # A paper agreement holds the destination from generation on; it is signed once effective
    # and counts as in review until then (the student's one open paper agreement is the one).
    paper = PaperAgreement.state
    stmt = (select(Student.college_id, Student.major_id, func.count(Student.id),
                   count(kind == "online", state == "effective"),
                   count(kind == "paper", paper == "effective"), count(kind == "other"),
                   func.sum(case((and_(kind == "online", state.in_(("college_review", "school_review"))), 1),
                                 (and_(kind == "paper", paper != "effective"), 1), else_=0)))
            .outerjoin(ActiveDestination, ActiveDestination.student_id == Student.id)
            .outerjoin(Invitation, Invitation.id == ActiveDestination.invitation_id)
            .outerjoin(PaperAgreement, PaperAgreement.open_student_id == ActiveDestination.student_id)
            .where(*where).group_by(Student.college_id, Student.major_id))
    by_major = {(c, m): Counts(int(n), int(on or 0), int(paper or 0), int(other or 0), int(rev or 0))
                for c, m, n, on, paper, other, rev in db.session.execute(stmt)}
    college_where = [College.school_id == school_id]
    if college_id is not None:
        college_where.append(College.id == college_id)
    rows: list[CollegeRow] = []
    majors: dict[int, list[Major]] = defaultdict(list)
    for major in db.session.scalars(select(Major).join(College).where(*college_where)
                                    .order_by(Major.code)):
        majors[major.college_id].append(major)
    for college in db.session.scalars(select(College).where(*college_where).order_by(College.code)):
        row = CollegeRow(college.id, college.code, college.name, Counts())
        for major in majors[college.id]:
            counts = by_major.get((college.id, major.id), Counts())
            row.majors.append(MajorRow(major.id, major.code, major.name, counts))
            row.counts.add(counts)
        rows.append(row)
    return rows


def _review_times(school_id: int, cohort: int, college_id: int | None
                  ) -> tuple[dict[str, float | None], dict[str, int], dict[int, dict[str, float | None]]]:
    """Hours from entering a review stage to its decision, per stage: the median over the cohort,
    and per college. Read from the flow log (entry into the stage → the approve/reject after)."""
    where = [Invitation.school_id == school_id, Invitation.cohort == cohort]
    if college_id is not None:
        where.append(Invitation.college_id == college_id)
    stmt = (select(FlowEntry.subject_id, FlowEntry.seq, FlowEntry.action, FlowEntry.from_state,
                   FlowEntry.to_state, FlowEntry.created_at, Invitation.college_id)
            .join(Invitation, and_(FlowEntry.subject_type == "invitation",
                                   FlowEntry.subject_id == Invitation.id))
            .where(*where, FlowEntry.to_state.in_(REVIEW_STAGES) | FlowEntry.from_state.in_(REVIEW_STAGES))
            .order_by(FlowEntry.subject_id, FlowEntry.seq))
    durations: dict[str, list[float]] = {stage: [] for stage in REVIEW_STAGES}
    per_college: dict[int, dict[str, list[float]]] = defaultdict(lambda: {s: [] for s in REVIEW_STAGES})
    entered: dict[tuple[int, str], datetime] = {}
    for subject_id, _seq, action, from_state, to_state, at, college in db.session.execute(stmt):
        if from_state in REVIEW_STAGES and action in REVIEW_STAGES[from_state]:
            start = entered.pop((subject_id, from_state), None)
            if start is not None:
                hours = (at - start).total_seconds() / 3600
                durations[from_state].append(hours)
                per_college[college][from_state].append(hours)
        if to_state in REVIEW_STAGES and to_state != from_state:
            entered[(subject_id, to_state)] = at
    medians = {stage: rules.median(values) for stage, values in durations.items()}
    decided = {stage: len(values) for stage, values in durations.items()}
    by_college = {c: {stage: rules.median(v) for stage, v in stages.items()}
                  for c, stages in per_college.items()}
    return medians, decided, by_college


# -- Excel -----------------------------------------------------------------------------------------

COLUMNS = (("students", "学生数"), ("signed_online", "网上签约"), ("signed_paper", "线下签约"),
           ("other_destination", "其他去向"), ("in_review", "签约审核中"), ("unsigned", "未签约"),
           ("signing_rate", "签约率(%)"), ("placement_rate", "去向落实率(%)"))


def statistics_xlsx(stats: Statistics) -> bytes:
    """The same figures as the page: 按学院, 按专业 and 审核用时 sheets."""
    book = Workbook()
    bold, head_fill = Font(bold=True), PatternFill("solid", fgColor="DDE7F7")

    def header(sheet, names):
        sheet.append(list(names))
        for cell in sheet[sheet.max_row]:
            cell.font, cell.fill = bold, head_fill
            cell.alignment = Alignment(horizontal="center")
        sheet.freeze_panes = f"A{sheet.max_row + 1}"

    colleges = book.active
    colleges.title = "按学院"
    colleges.append([f"{stats.school.name} {stats.cohort}届毕业生签约统计"])
    colleges["A1"].font = Font(bold=True, size=13)
    header(colleges, ["学院代码", "学院", *(label for _, label in COLUMNS)])
    for row in stats.colleges:
        data = row.counts.as_dict()
        colleges.append([row.code, row.name, *(data[key] for key, _ in COLUMNS)])
    total = stats.total.as_dict()
    colleges.append(["", "合计", *(total[key] for key, _ in COLUMNS)])
    for cell in colleges[colleges.max_row]:
        cell.font = bold

    majors = book.create_sheet("按专业")
    header(majors, ["学院", "专业代码", "专业", *(label for _, label in COLUMNS)])
    for row in stats.colleges:
        for major in row.majors:
            data = major.counts.as_dict()
            majors.append([row.name, major.code, major.name, *(data[key] for key, _ in COLUMNS)])

    times = book.create_sheet("审核用时")
    header(times, ["范围", *(f"{STAGE_LABELS[s]}中位用时(小时)" for s in REVIEW_STAGES)])
    times.append(["全部", *(stats.median_review_hours[s] for s in REVIEW_STAGES)])
    for row in stats.colleges:
        times.append([row.name, *(row.median_review_hours.get(s) for s in REVIEW_STAGES)])

    for sheet, widths in ((colleges, (10, 22)), (majors, (22, 12, 26)), (times, (22, 24, 24))):
        for index, width in enumerate(widths, start=1):
            sheet.column_dimensions[sheet.cell(row=1, column=index).column_letter].width = width
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
