"""签约统计: a cohort's figures by college and major with ECharts charts, the same figures as a
table, and the Excel export. A college reviewer sees their college; the platform admin picks
the school."""
from __future__ import annotations

from flask import Blueprint, Response

from app.domain.errors import NotFound
from app.services import statistics
from app.services.admin_accounts import schools_for
from app.web import forms
from app.web.base import STAFF, current_actor, render, role_required

bp = Blueprint("statistics", __name__, url_prefix="/statistics")
SERIES = ("signed_online", "signed_paper", "other_destination", "in_review", "unsigned")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _stats():
    actor = current_actor()
    schools = schools_for(actor) if actor.role == "platform_admin" else []
    school_id = actor.school_id
    if actor.role == "platform_admin":
        school_id = forms.optional_int("school", args=True) or (schools[0].id if schools else None)
        if school_id is None:
            raise NotFound("SCHOOL_NOT_FOUND", "尚无学校")
    college_id = forms.optional_int("college", args=True) if actor.role != "college_reviewer" else None
    cohort = forms.optional_int("cohort", args=True, label="毕业年度")
    stats = statistics.statistics_for(actor, school_id, cohort, college_id)
    return stats, schools


@bp.get("")
@role_required(*STAFF)
def index():
    """The figures of a cohort: cards, charts by college, the table by college and major."""
    stats, schools = _stats()
    chart = {"colleges": [row.name for row in stats.colleges],
             "series": {key: [getattr(row.counts, key) for row in stats.colleges] for key in SERIES},
             "rate": [row.counts.signing_rate for row in stats.colleges],
             "review": [[row.median_review_hours.get(stage) for row in stats.colleges]
                        for stage in statistics.REVIEW_STAGES]}
    return render("statistics/index.html", stats=stats, schools=schools, chart=chart,
                  columns=statistics.COLUMNS, stage_labels=statistics.STAGE_LABELS)


@bp.get("/export.xlsx")
@role_required(*STAFF)
def export():
    """The same figures as an Excel workbook."""
    stats, _ = _stats()
    name = f"{stats.school.code}-{stats.cohort}-statistics.xlsx"
    return Response(statistics.statistics_xlsx(stats), mimetype=XLSX, headers={
        "Content-Disposition": f"attachment; filename={name}"})
