"""Pickers' data for the mini-program: schools by name, the code dictionaries level by level."""
from __future__ import annotations

from typing import Literal, Optional

from pydantic import BaseModel, ConfigDict, Field
from spectree import Response

from app.api import bp, spec
from app.api.auth import login_required
from app.api.schemas_common import ERRORS
from app.services import directory

DictKind = Literal["job_category", "region", "unit_nature", "industry", "affiliation", "education_level"]


class SchoolQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")
    q: str = Field(min_length=1, max_length=50, description="学校名称中的文字，或学校代码的开头")


class SchoolOut(BaseModel):
    code: str
    name: str


class SchoolList(BaseModel):
    items: list[SchoolOut]


class DictQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")
    parent: Optional[str] = Field(None, min_length=1, max_length=20, description="只列出该代码的下级")
    top: bool = Field(False, description="只列出第一级")


class DictOptionOut(BaseModel):
    code: str
    name: str
    parent: Optional[str] = None
    has_children: bool


class DictOptionList(BaseModel):
    kind: DictKind
    items: list[DictOptionOut]


@bp.get("/schools")
@login_required
@spec.validate(query=SchoolQuery, resp=Response(HTTP_200=SchoolList, **ERRORS), tags=["directory"])
def schools(query: SchoolQuery):
    """学校选择: up to 20 schools by a part of the name or the start of the 5-digit code."""
    return SchoolList(items=[SchoolOut(**s.__dict__) for s in directory.find_schools(query.q)])


@bp.get("/dictionaries/<kind>")  # public: the registration form needs it before any account exists
@spec.validate(query=DictQuery, resp=Response(HTTP_200=DictOptionList, **ERRORS), tags=["directory"])
def dictionary(kind: str, query: DictQuery):
    """A code dictionary for a picker (job_category, region, unit_nature, industry, affiliation,
    education_level): all entries, one level (top), or the children of a code."""
    options = directory.dictionary_options(kind, query.parent, query.top)
    return DictOptionList(kind=kind, items=[DictOptionOut(**o.__dict__) for o in options])
