"""GET /review/statistics: the 签约统计 of a cohort for reviewers' phones and integrations (the
same service as the statistics page)."""
from __future__ import annotations

from typing import Optional

from pydantic import BaseModel, ConfigDict, Field
from spectree import Response

from app.api import bp, spec
from app.api.auth import current_actor, roles_required
from app.api.schemas_common import ERRORS
from app.clock import iso_china
from app.domain.errors import InvalidInput, NotFound
from app.services import statistics
from app.services.organisation import school_by_code

STAGES = tuple(statistics.REVIEW_STAGES)


class StatisticsQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")
    cohort: Optional[int] = Field(None, ge=2000, le=2100, description="毕业年度; default the latest")
    college_id: Optional[int] = Field(None, ge=1, le=2**63 - 1, description="one college only")
    school_code: Optional[str] = Field(None, pattern=r"^\d{5}$",
                                       description="platform admin: the school (reviewers: their own)")


class Figures(BaseModel):
    students: int
    signed_online: int
    signed_paper: int
    other_destination: int
    in_review: int
    unsigned: int
    signing_rate: float = Field(description="签约率, percent, one decimal")
    placement_rate: float = Field(description="去向落实率, percent, one decimal")


class ReviewTimes(BaseModel):
    college_review: Optional[float] = Field(None, description="median hours; null when none decided")
    school_review: Optional[float] = None


class MajorFigures(BaseModel):
    major_id: int
    code: str
    name: str
    figures: Figures


class CollegeFigures(BaseModel):
    college_id: int
    code: str
    name: str
    figures: Figures
    median_review_hours: ReviewTimes
    majors: list[MajorFigures]


class StatisticsOut(BaseModel):
    school_code: str
    school_name: str
    cohort: int
    cohorts: list[int]
    total: Figures
    median_review_hours: ReviewTimes
    reviews_decided: dict[str, int]
    colleges: list[CollegeFigures]
    generated_at: str


@bp.get("/review/statistics")
@roles_required("college_reviewer", "school_reviewer", "platform_admin")
@spec.validate(query=StatisticsQuery, resp=Response(HTTP_200=StatisticsOut, **ERRORS), tags=["review"])
def review_statistics(query: StatisticsQuery):
    """签约统计 of a cohort by college and major, with median review times. A college reviewer gets
    their own college; the platform admin names the school."""
    actor = current_actor()
    if actor.role == "platform_admin":
        if not query.school_code:
            raise InvalidInput("VALIDATION_FAILED", "请指定学校代码", {"school_code": "必填"})
        school_id = school_by_code(query.school_code).id
    else:
        school_id = actor.school_id
        if query.school_code and school_by_code(query.school_code).id != school_id:
            raise NotFound("SCHOOL_NOT_FOUND", "学校不存在")
    stats = statistics.statistics_for(actor, school_id, query.cohort, query.college_id)
    return StatisticsOut(
        school_code=stats.school.code, school_name=stats.school.name, cohort=stats.cohort,
        cohorts=stats.cohorts, total=Figures(**stats.total.as_dict()),
        median_review_hours=ReviewTimes(**stats.median_review_hours), reviews_decided=stats.reviews_decided,
        colleges=[CollegeFigures(
            college_id=row.college_id, code=row.code, name=row.name, figures=Figures(**row.counts.as_dict()),
            median_review_hours=ReviewTimes(**row.median_review_hours),
            majors=[MajorFigures(major_id=m.major_id, code=m.code, name=m.name,
                                 figures=Figures(**m.counts.as_dict())) for m in row.majors])
            for row in stats.colleges],
        generated_at=iso_china(stats.generated_at))
