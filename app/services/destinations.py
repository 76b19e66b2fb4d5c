"""其他去向 on the one executor: the categories' forms from the dictionary, drafts and
submission, withdrawal, the reviews, cancellation (注销), evidence images, and the
one-destination lock shared with online and paper agreements (SPEC §3, §7).

The lock is the ``active_destinations`` row keyed by the student (kind ``other``): it is
inserted when a registration is sent to review and deleted when it is withdrawn, rejected or
cancelled, so an agreement and a registration can never be active together — the database
refuses the second, whatever the Python checks saw.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from functools import cached_property
from pathlib import Path
from typing import Any

from sqlalchemy import delete, select
from werkzeug.datastructures import FileStorage

from app.clock import utcnow
from app.domain import destinations as rules
from app.domain.actors import Actor
from app.domain.errors import Conflict, Forbidden, InvalidInput, NotFound
from app.domain.workflow import Transition
from app.extensions import db
from app.models import (
    ActiveDestination,
    DestinationFile,
    DestinationKind,
    DictEntry,
    FilePurpose,
    OtherDestination,
    RecipientType,
    RecordStatus,
    ReviewLevels,
    School,
    Student,
)
from app.services import uploads
from app.services.notify import notify
from app.services.unit import transactional
from app.services.workflow import Runner

KIND = "destination_category"
ALREADY_HELD = "你已有有效的毕业去向（网上签约、线下签约或其他去向），不能再登记其他去向"


# -- the categories -----------------------------------------------------------------------------------

def category_specs() -> dict[str, rules.CategorySpec]:
    """Every active destination category as its form, children listed under their parent."""
    rows = db.session.execute(select(DictEntry.code, DictEntry.name, DictEntry.parent_code, DictEntry.extra)
                              .where(DictEntry.kind == KIND, DictEntry.is_active.is_(True))
                              .order_by(DictEntry.sort_order, DictEntry.code)).all()
    children: dict[str, list[str]] = {}
    for code, _, parent, extra in rows:
        if parent and (extra or {}).get("selectable"):
            children.setdefault(parent, []).append(code)
    return {code: rules.spec_of(code, name, parent, extra, tuple(children.get(code, ())))
            for code, name, parent, extra in rows}


def selectable_categories() -> list[rules.CategorySpec]:
    """The top-level categories a student may choose, in the dictionary's order."""
    return [s for s in category_specs().values() if s.parent is None and s.selectable]


def _region_levels(data: Mapping[str, Any]) -> dict[str, str]:
    """{code: level} of the region codes the data names (one query)."""
    codes = {v for v in (data.get("fields") or {}).values() if isinstance(v, str) and v.isdigit()}
    region = (data.get("dispatch") or {}).get("region_code")
    if isinstance(region, str):
        codes.add(region)
    if not codes:
        return {}
    return {code: (extra or {}).get("level", "") for code, extra in db.session.execute(
        select(DictEntry.code, DictEntry.extra).where(DictEntry.kind == "region", DictEntry.code.in_(codes),
                                                      DictEntry.is_active.is_(True)))}


@dataclass(frozen=True)
class Registration:
    """What the student typed: the choice of category and the three parts of the form."""
    category_code: str
    subcategory_code: str | None
    fields: dict[str, Any]
    dispatch: dict[str, Any] | None
    archive: dict[str, Any]


def _normalised(spec: rules.CategorySpec, reg: Registration) -> dict[str, Any]:
    archive = {k: (v.strip() if isinstance(v, str) else v) for k, v in (reg.archive or {}).items()
               if v not in (None, "")}
    if archive.get("hukou_not_moved"):
        archive["hukou_address"] = rules.HUKOU_NOT_MOVED
    dispatch = {k: v.strip() for k, v in (reg.dispatch or {}).items() if isinstance(v, str) and v.strip()}
    return {"fields": rules.with_defaults(spec, reg.fields or {}),
            "dispatch": dispatch or None, "archive": archive}


def _checked(reg: Registration) -> tuple[rules.CategorySpec, dict[str, Any]]:
    """The form and the data as stored; what is wrong in what was filled in is a 400."""
    spec = rules.resolve(category_specs(), reg.category_code, reg.subcategory_code)
    data = _normalised(spec, reg)
    found = rules.problems(spec, data, _region_levels(data), complete=False)
    if found:
        raise InvalidInput("VALIDATION_FAILED", "去向信息有误，请检查后重试", found)
    return spec, data


# -- the runner -----------------------------------------------------------------------------------------

def owns(actor: Actor, d: OtherDestination) -> bool:
    if actor.role == rules.STUDENT:
        return actor.student_id == d.student_id
    if actor.role == rules.COLLEGE_REVIEWER:
        return actor.college_id == d.college_id and actor.school_id == d.school_id
    if actor.role == rules.SCHOOL_REVIEWER:
        return actor.school_id == d.school_id
    return False


class _Facts:
    """rules.DestinationFacts of one registration; the queries run only when a guard asks."""

    def __init__(self, d: OtherDestination) -> None:
        self.d = d

    @cached_property
    def holds_other_destination(self) -> bool:
        # Only asked before the registration itself is active: any row is another destination.
        return db.session.get(ActiveDestination, self.d.student_id) is not None

    @cached_property
    def record_active(self) -> bool:
        return db.session.get(Student, self.d.student_id).record_status == RecordStatus.ACTIVE

    @cached_property
    def incomplete(self) -> dict[str, str]:
        return incomplete(self.d)


def incomplete(d: OtherDestination) -> dict[str, str]:
    """What 送审 still needs: the required fields, and the evidence when the category asks for it."""
    spec = rules.resolve(category_specs(), d.category_code, d.subcategory_code)
    found = rules.problems(spec, d.data, _region_levels(d.data), complete=True)
    if spec.evidence and not any(f.purpose == FilePurpose.EVIDENCE for f in d.files):
        found["evidence"] = f"请上传证明材料：{spec.evidence}"
    return found


class DestinationRunner(Runner):
    workflow = rules.DESTINATION
    model = OtherDestination
    not_found = ("DESTINATION_NOT_FOUND", "去向登记不存在或无权查看")

    def owns(self, actor: Actor, d: OtherDestination) -> bool:
        return owns(actor, d)

    def facts(self, d: OtherDestination, actor: Actor, now: datetime) -> _Facts:
        return _Facts(d)

    def two_levels(self, d: OtherDestination) -> bool:
        school = db.session.get(School, d.school_id)
        return school.review_levels == ReviewLevels.COLLEGE_SCHOOL

    def enter(self, d: OtherDestination, row: Transition, before: str, target: str, now: datetime,
              reason: str | None) -> None:
        d.open_student_id = None if target == rules.CANCELLED else d.student_id
        if row.action == "submit":
            d.submitted_at = now
        if target == rules.APPROVED and before in rules.REVIEW_STATES:
            d.approved_at = now
        if target == rules.CANCELLED:
            d.cancelled_at = now
        if row.action == "reject":
            d.last_remark = (reason or row.label)[:500]
        _move_lock(d, before, target)

    def emit(self, d: OtherDestination, row: Transition, occurrence: int, reason: str | None) -> None:
        notify(RecipientType.STUDENT, d.student_id, row.event, dedupe=f"dest{d.id}:{occurrence}",
               subject_type="destination", subject_id=d.id, destination_id=d.id,
               category=category_label(d), unit_name=d.unit_name, remark=reason or "无")


def _move_lock(d: OtherDestination, before: str, target: str) -> None:
    entering = target in rules.ACTIVE_STATES and before not in rules.ACTIVE_STATES
    leaving = before in rules.ACTIVE_STATES and target not in rules.ACTIVE_STATES
    if entering:
        # Flushed by the executor at once: an agreement accepted meanwhile surfaces as ALREADY_SIGNED.
        db.session.add(ActiveDestination(student_id=d.student_id, kind=DestinationKind.OTHER))
    elif leaving:
        db.session.execute(delete(ActiveDestination).where(
            ActiveDestination.student_id == d.student_id, ActiveDestination.kind == DestinationKind.OTHER))


DESTINATION = DestinationRunner()


def region_path(code: str | None, names: Mapping[tuple[str, str], str]) -> str:
    """湖南省 长沙市 岳麓区 for 430104 (the province and prefecture are the code's own prefixes)."""
    if not code or len(code) != 6:
        return code or ""
    parts = []
    for prefix in (code[:2] + "0000", code[:4] + "00", code):
        name = names.get(("region", prefix))
        if name and name not in parts:
            parts.append(name)
    return " ".join(parts) or code


def category_label(d: OtherDestination) -> str:
    names = dict(db.session.execute(select(DictEntry.code, DictEntry.name).where(
        DictEntry.kind == KIND, DictEntry.code.in_([c for c in (d.category_code, d.subcategory_code) if c]))).all())
    top = names.get(d.category_code, d.category_code)
    sub = names.get(d.subcategory_code or "")
    return f"{top}（{sub}）" if sub and sub != top else top


def _student_only(actor: Actor) -> None:
    if actor.role != rules.STUDENT or actor.student_id is None:
        raise Forbidden("ROLE_NOT_ALLOWED", "只有学生可以登记其他去向")


def _run(d: OtherDestination, action: str, actor: Actor, reason: str | None = None) -> None:
    try:
        DESTINATION.run(d, action, actor, reason)
    except Conflict as exc:  # the database's word on the one-destination rule, in this flow's words
        if exc.code == "ALREADY_SIGNED":
            raise Conflict("ALREADY_SIGNED", ALREADY_HELD) from exc
        raise


# -- the student's side ------------------------------------------------------------------------------

def current(actor: Actor, *, lock: bool = False) -> OtherDestination | None:
    """The student's open registration (not cancelled), if any."""
    _student_only(actor)
    query = select(OtherDestination).where(OtherDestination.open_student_id == actor.student_id)
    if lock:
        query = query.with_for_update().execution_options(populate_existing=True)
    return db.session.scalar(query)


def load(actor: Actor, destination_id: int, *, lock: bool = False) -> OtherDestination:
    return DESTINATION.load(actor, destination_id, lock=lock)


def _write(actor: Actor, reg: Registration, action: str, destination_id: int | None) -> OtherDestination:
    _student_only(actor)
    spec, data = _checked(reg)
    if destination_id is None:
        if current(actor, lock=True) is not None:
            raise Conflict("DESTINATION_EXISTS", "你已有一条未注销的去向登记，请在该登记上修改")
        student = db.session.get(Student, actor.student_id)
        d = OtherDestination(student_id=student.id, school_id=student.school_id,
                             college_id=student.college_id, cohort=student.cohort)
    else:
        d = load(actor, destination_id, lock=True)
        if d.state.value not in rules.EDITABLE_STATES:
            raise Conflict("INVALID_STATE", f"该去向登记当前为“{rules.STATE_LABELS[d.state.value]}”，不能修改")
    d.category_code, d.subcategory_code = reg.category_code, reg.subcategory_code or None
    d.data = data
    d.unit_name = rules.display_name(spec, data["fields"])
    if d.id is None:
        _run(d, "submit" if action == "submit" else "save", actor)
    else:
        _run(d, "edit", actor)
        if action == "submit":
            _run(d, "submit", actor)
    return d


@transactional
def save_draft(actor: Actor, reg: Registration, destination_id: int | None = None) -> OtherDestination:
    """暂存: create the registration (None) or update this one (only what is filled in is checked)."""
    return _write(actor, reg, "save", destination_id)


@transactional
def submit(actor: Actor, destination_id: int | None, reg: Registration | None = None) -> OtherDestination:
    """保存并送审: with a form, save it first; the complete form (and evidence) goes to review
    and takes the student's one destination."""
    if reg is not None:
        return _write(actor, reg, "submit", destination_id)
    if destination_id is None:
        raise InvalidInput("DESTINATION_REQUIRED", "请先填写去向信息")
    d = load(actor, destination_id, lock=True)
    _run(d, "submit", actor)
    return d


@transactional
def withdraw(actor: Actor, destination_id: int) -> OtherDestination:
    """撤回: out of review, back to 暂存; the student's destination is free again."""
    d = load(actor, destination_id, lock=True)
    _run(d, "withdraw", actor)
    return d


@transactional
def request_cancel(actor: Actor, destination_id: int, reason: str,
                   stored: uploads.StoredFile | None = None) -> OtherDestination:
    """申请注销 an approved registration: reason and an optional image; the school reviews it."""
    reason = (reason or "").strip()
    if not reason or len(reason) > rules.REASON_MAX:
        raise InvalidInput("REASON_REQUIRED", "请填写注销原因（200字以内）", {"reason": "请填写注销原因（200字以内）"})
    d = load(actor, destination_id, lock=True)
    d.cancel_reason = reason
    _run(d, "request_cancel", actor, reason)
    if stored is not None:
        _add_file(d, actor, stored, FilePurpose.CANCELLATION)
    return d


def request_cancel_with_file(actor: Actor, destination_id: int, reason: str, file: FileStorage | None,
                             ip: str | None = None) -> OtherDestination:
    """request_cancel with an uploaded proof (stored first, removed again if refused)."""
    load(actor, destination_id)  # 404 before the disk
    stored = None
    if isinstance(file, FileStorage) and file.filename:
        stored = uploads.save_image(file, field="file", label="注销证明材料", ip=ip)
    try:
        return request_cancel(actor, destination_id, reason, stored)
    except Exception:
        if stored is not None:
            uploads.discard([stored])
        raise


def _add_file(d: OtherDestination, actor: Actor, stored: uploads.StoredFile, purpose: FilePurpose) -> DestinationFile:
    item = DestinationFile(destination_id=d.id, purpose=purpose, storage_key=stored.storage_key,
                           content_type=stored.content_type, size=stored.size, sha256=stored.sha256,
                           width=stored.width, height=stored.height, uploaded_by_id=actor.account_id,
                           created_at=utcnow())
    d.files.append(item)
    return item


@transactional
def _attach(actor: Actor, destination_id: int, stored: uploads.StoredFile) -> DestinationFile:
    d = load(actor, destination_id, lock=True)
    _editable_evidence(actor, d)
    return _add_file(d, actor, stored, FilePurpose.EVIDENCE)


def _editable_evidence(actor: Actor, d: OtherDestination, adding: bool = True) -> None:
    if actor.role != rules.STUDENT:
        raise Forbidden("ACTION_NOT_ALLOWED", "你无权执行此操作")
    if d.state.value not in rules.EDITABLE_STATES:
        raise Conflict("INVALID_STATE", "只有暂存或审核不通过的去向登记可以修改证明材料")
    if adding and sum(f.purpose == FilePurpose.EVIDENCE for f in d.files) >= rules.MAX_FILES:
        raise Conflict("TOO_MANY_FILES", f"证明材料最多上传{rules.MAX_FILES}张")


def add_evidence(actor: Actor, destination_id: int, file: FileStorage | None,
                 ip: str | None = None) -> DestinationFile:
    """上传就业证明材料 (JPEG/PNG ≤ 2 MB) to a draft or rejected registration."""
    _editable_evidence(actor, load(actor, destination_id))  # refused before the disk
    stored = uploads.save_image(file, field="file", label="证明材料", ip=ip)
    try:
        return _attach(actor, destination_id, stored)
    except Exception:
        uploads.discard([stored])
        raise


@transactional
def remove_evidence(actor: Actor, destination_id: int, file_id: int) -> OtherDestination:
    d = load(actor, destination_id, lock=True)
    _editable_evidence(actor, d, adding=False)
    item = next((f for f in d.files if f.id == file_id and f.purpose == FilePurpose.EVIDENCE), None)
    if item is None:
        raise NotFound("FILE_NOT_FOUND", "材料不存在")
    d.files.remove(item)
    db.session.delete(item)
    return d


def file_of(actor: Actor, destination_id: int, file_id: int) -> tuple[Path, str]:
    """An image of a registration, for the student and the reviewers who may see it; 404 otherwise."""
    d = load(actor, destination_id)
    item = next((f for f in d.files if f.id == file_id), None)
    if item is None:
        raise NotFound("FILE_NOT_FOUND", "材料不存在或无权查看")
    return uploads.path_of(item.storage_key), item.content_type


# -- the reviewers' side -------------------------------------------------------------------------------

@transactional
def approve(actor: Actor, destination_id: int, remark: str | None = None) -> OtherDestination:
    """College approval sends it (or its cancellation) to the school; school approval decides."""
    d = load(actor, destination_id, lock=True)
    _run(d, "approve", actor, remark)
    return d


@transactional
def reject(actor: Actor, destination_id: int, reason: str) -> OtherDestination:
    """A registration goes back to the student with the reason; a cancellation leaves it approved."""
    d = load(actor, destination_id, lock=True)
    _run(d, "reject", actor, (reason or "").strip())
    return d


def allowed_actions(d: OtherDestination, actor: Actor) -> list[str]:
    return DESTINATION.allowed_actions(d, actor)
