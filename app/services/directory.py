"""Look-ups for pickers: schools by name or code, and the code dictionaries by level."""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import aliased

from app.domain.errors import InvalidInput, NotFound
from app.extensions import db
from app.models import DictEntry, School

# The dictionaries a picker may read (the destination categories belong to their own forms).
PICKABLE = ("job_category", "region", "unit_nature", "industry", "affiliation", "education_level")
MAX_SCHOOLS = 20


@dataclass
class SchoolOption:
    code: str
    name: str


@dataclass
class DictOption:
    code: str
    name: str
    parent: str | None
    has_children: bool


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def find_schools(query: str, limit: int = MAX_SCHOOLS) -> list[SchoolOption]:
    """Schools whose name contains the words typed, or whose code starts with the digits typed;
    names that start with the text first."""
    text = query.strip()
    if not text:
        raise InvalidInput("VALIDATION_FAILED", "请输入学校名称或代码", {"q": "请输入学校名称或代码"})
    pattern = _escape_like(text)
    match = or_(School.name.like(f"%{pattern}%", escape="\\"), School.code.like(f"{pattern}%", escape="\\"))
    starts = School.name.like(f"{pattern}%", escape="\\")
    rows = db.session.execute(select(School.code, School.name).where(match)
                              .order_by(starts.desc(), func.length(School.name), School.code)
                              .limit(limit)).all()
    return [SchoolOption(code, name) for code, name in rows]


def dictionary_options(kind: str, parent: str | None = None, top: bool = False) -> list[DictOption]:
    """Active entries of a dictionary in their shipped order: all of them, the children of
    ``parent``, or (``top``) the first level only — each saying whether it has children."""
    if kind not in PICKABLE:
        raise NotFound("DICTIONARY_NOT_FOUND", "字典不存在")
    child = aliased(DictEntry)
    has_children = select(child.id).where(child.kind == DictEntry.kind, child.parent_code == DictEntry.code,
                                          child.is_active.is_(True)).exists()
    stmt = select(DictEntry.code, DictEntry.name, DictEntry.parent_code, has_children).where(
        DictEntry.kind == kind, DictEntry.is_active.is_(True))
    if parent is not None:
        stmt = stmt.where(DictEntry.parent_code == parent)
    elif top:
        stmt = stmt.where(and_(DictEntry.parent_code.is_(None)))
    rows = db.session.execute(stmt.order_by(DictEntry.sort_order, DictEntry.code)).all()
    return [DictOption(code, name, parent_code, bool(children)) for code, name, parent_code, children in rows]
