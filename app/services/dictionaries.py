"""Load the shipped code dictionaries (app/data/dicts/*.json) into dict_entries."""
from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select

from app.extensions import db
from app.models import DictEntry

DICT_DIR = Path(__file__).resolve().parent.parent / "data" / "dicts"


@dataclass
class LoadResult:
    kind: str
    added: int
    updated: int


def load_dictionaries(directory: Path = DICT_DIR) -> list[LoadResult]:
    """Upsert every entry of every file; entries edited away from the file are kept (admin edits)."""
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
