"""Load the shipped code dictionaries (app/data/dicts/*.json) into dict_entries."""
from __future__ import annotations

import json
import re
import time
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import func, or_, select
from sqlalchemy.exc import IntegrityError

from app.clock import utcnow
from app.domain.actors import Actor
from app.domain.errors import Conflict, Forbidden, InvalidInput, NotFound
from app.domain.school_admin import can_administer_platform
from app.extensions import db
from app.models import DictEntry
from app.services.unit import transactional

DICT_DIR = Path(__file__).resolve().parent.parent / "data" / "dicts"


@dataclass
class LoadResult:
    kind: str
    added: int
    updated: int


def load_dictionaries(directory: Path = DICT_DIR) -> list[LoadResult]:
    """Upsert every entry of every file. The platform admin's work survives a reload: entries
    added by the admin are kept, and an entry the admin edited keeps the admin's name, parent and
    enabled state (edited_at set)."""
    results = []
    for path in sorted(directory.glob("*.json")):
        data = json.loads(path.read_text(encoding="utf-8"))
        kind = data["kind"]
        existing = {e.code: e for e in db.session.scalars(
            select(DictEntry).where(DictEntry.kind == kind))}
        added = updated = 0
        for order, item in enumerate(data["entries"]):
            entry = existing.get(item["code"])
            if entry is None:
                entry = DictEntry(kind=kind, code=item["code"])
                db.session.add(entry)
                added += 1
            elif entry.edited_at is not None:
                continue
            elif (entry.name, entry.parent_code, entry.extra) != (
                    item["name"], item.get("parent"), item.get("extra")):
                updated += 1
            entry.name = item["name"]
            entry.parent_code = item.get("parent")
            entry.extra = item.get("extra")
            entry.sort_order = order
        results.append(LoadResult(kind, added, updated))
    db.session.commit()
    forget_cached_names()
    return results


def dictionary_codes(kind: str) -> set[str]:
    return set(db.session.scalars(
        select(DictEntry.code).where(DictEntry.kind == kind, DictEntry.is_active.is_(True))))


def names_of(wanted: dict[str, tuple[str, str | None]]) -> dict[str, str]:
    """Names for codes, in one query: {label key: (kind, code)} -> {label key: name}."""
    pairs = {(kind, code) for kind, code in wanted.values() if code}
    if not pairs:
        return {}
    rows = db.session.execute(select(DictEntry.kind, DictEntry.code, DictEntry.name).where(
        DictEntry.kind.in_({k for k, _ in pairs}), DictEntry.code.in_({c for _, c in pairs}))).all()
    names = {(kind, code): name for kind, code, name in rows}
    return {key: names[pair] for key, pair in wanted.items() if pair in names}


NAMES_TTL = 60.0  # s: another process sees a dictionary edit within a minute
_names_cache: dict[tuple[str, ...], tuple[float, dict[tuple[str, str], str]]] = {}


def cached_names(kinds: tuple[str, ...]) -> dict[tuple[str, str], str]:
    """Every (kind, code) -> name of these dictionaries, read once a minute per process (the
    letters' labels need them on every detail; the dictionaries change a few times a year)."""
    at, names = _names_cache.get(kinds, (0.0, {}))
    if time.monotonic() - at > NAMES_TTL:
        names = {(kind, code): name for kind, code, name in db.session.execute(
            select(DictEntry.kind, DictEntry.code, DictEntry.name).where(
                DictEntry.kind.in_(kinds), DictEntry.is_active.is_(True)))}
        _names_cache[kinds] = (time.monotonic(), names)
    return names


def forget_cached_names() -> None:
    _names_cache.clear()


def unknown_codes(wanted: dict[str, tuple[str, str | None, str]]) -> dict[str, str]:
    """{field: (kind, code, label)} → {field: message} for each code that names no active entry,
    in one query."""
    pairs = {(kind, code) for kind, code, _ in wanted.values() if code}
    if not pairs:
        return {}
    known = {tuple(row) for row in db.session.execute(select(DictEntry.kind, DictEntry.code).where(
        DictEntry.kind.in_({k for k, _ in pairs}), DictEntry.code.in_({c for _, c in pairs}),
        DictEntry.is_active.is_(True)))}
    return {field: f"{label}代码不存在" for field, (kind, code, label) in wanted.items()
            if code and (kind, code) not in known}


# -- the platform admin's editing (字典管理) -------------------------------------------------------

def require_platform_admin(actor: Actor) -> None:
    if not can_administer_platform(actor):
        raise Forbidden("ROLE_NOT_ALLOWED", "只有平台管理员可以维护字典")

KIND_LABELS = {"unit_nature": "单位性质", "industry": "行业", "job_category": "工作职位类别",
               "region": "行政区划", "education_level": "学历", "destination_category": "毕业去向类别",
               "affiliation": "单位隶属"}
PAGE_SIZE = 100


def kinds() -> list[tuple[str, str, int]]:
    """(kind, label, entries) of every dictionary there is."""
    counts = {kind: n for kind, n in db.session.execute(
        select(DictEntry.kind, func.count()).group_by(DictEntry.kind))}
    return [(kind, KIND_LABELS.get(kind, kind), counts.get(kind, 0))
            for kind in sorted(set(counts) | set(KIND_LABELS), key=lambda k: KIND_LABELS.get(k, k))]


def entries(kind: str, query: str = "", page: int = 1) -> tuple[list[DictEntry], int]:
    _known(kind)
    where = [DictEntry.kind == kind]
    if query.strip():
        like = f"%{query.strip()}%"
        where.append(or_(DictEntry.code.like(like), DictEntry.name.like(like)))
    total = db.session.scalar(select(func.count()).select_from(DictEntry).where(*where))
    rows = db.session.scalars(select(DictEntry).where(*where).order_by(DictEntry.sort_order, DictEntry.code)
                              .limit(PAGE_SIZE).offset((max(page, 1) - 1) * PAGE_SIZE)).all()
    return list(rows), total


def _known(kind: str) -> None:
    if kind not in KIND_LABELS:
        raise NotFound("DICTIONARY_NOT_FOUND", "字典不存在")


def _entry_name(name: str) -> str:
    name = (name or "").strip()
    if not 1 <= len(name) <= 100:
        raise InvalidInput("VALIDATION_FAILED", "名称应为1至100个字符", {"name": "应为1至100个字符"})
    return name


def _parent(kind: str, parent_code: str | None, code: str) -> str | None:
    parent_code = (parent_code or "").strip() or None
    if parent_code is None:
        return None
    if parent_code == code or parent_code not in dictionary_codes(kind):
        raise InvalidInput("VALIDATION_FAILED", "上级代码不存在", {"parent_code": "上级代码不存在"})
    return parent_code


@transactional
def update_entry(actor: Actor, entry_id: int, name: str, is_active: bool,
                 parent_code: str | None) -> DictEntry:
    """Rename, re-parent, enable or disable an entry. A disabled entry is no longer offered or
    accepted for new data; what already carries its code keeps it. The edit survives load-dicts."""
    require_platform_admin(actor)
    entry = db.session.get(DictEntry, entry_id)
    if entry is None:
        raise NotFound("DICT_ENTRY_NOT_FOUND", "字典条目不存在")
    entry.name = _entry_name(name)
    entry.parent_code = _parent(entry.kind, parent_code, entry.code)
    entry.is_active = bool(is_active)
    entry.edited_by_id, entry.edited_at = actor.account_id, utcnow()
    return entry


@transactional
def add_entry(actor: Actor, kind: str, code: str, name: str, parent_code: str | None) -> DictEntry:
    require_platform_admin(actor)
    _known(kind)
    code = (code or "").strip()
    if not re.fullmatch(r"[0-9A-Za-z_]{1,20}", code):
        raise InvalidInput("VALIDATION_FAILED", "代码应为1至20位字母、数字或下划线", {"code": "格式不正确"})
    last = db.session.scalar(select(func.max(DictEntry.sort_order)).where(DictEntry.kind == kind)) or 0
    entry = DictEntry(kind=kind, code=code, name=_entry_name(name),
                      parent_code=_parent(kind, parent_code, code), sort_order=last + 1,
                      edited_by_id=actor.account_id, edited_at=utcnow())
    db.session.add(entry)
    try:
        with db.session.begin_nested():
            db.session.flush()
    except IntegrityError as exc:
        raise Conflict("DICT_CODE_EXISTS", f"代码{code}已存在", {"code": "代码已存在"}) from exc
    return entry


def region_names() -> dict[str, str]:
    return {code: name for code, name in db.session.execute(
        select(DictEntry.code, DictEntry.name).where(DictEntry.kind == "region"))}


def region_options() -> list[tuple[str, str]]:
    """Provinces, each followed by its cities (indented), for a <select>."""
    rows = db.session.execute(select(DictEntry.code, DictEntry.name, DictEntry.parent_code).where(
        DictEntry.kind == "region", DictEntry.is_active.is_(True)).order_by(DictEntry.code)).all()
    children: dict[str, list] = {}
    for code, name, parent in rows:
        children.setdefault(parent or "", []).append((code, name))
    options = []
    for code, name in children.get("", []):
        options.append((code, name))
        options.extend((child, "\u3000" + child_name) for child, child_name in children.get(code, []))
    return options
