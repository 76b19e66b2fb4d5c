"""其他去向 as data: the states, the transition table, and the categories' forms (SPEC §3, §7;
seed 002 §2.5–2.6).

A student registers one other destination — a national destination category (and its
sub-category), the category's own fields, 派遣信息 where the category has one, 档案信息 for every
category, and the evidence the category asks for. 暂存 keeps a draft; 保存并送审 sends it to
review (college then school when the school reviews on two levels); the student may withdraw it
while in review; a rejection carries its reason and the student edits and sends it again.
An approved destination is cancelled (注销) only through a reviewed request with a reason.

Active — holding the student's one destination — from submission until withdrawn, rejected
or cancelled (including while a cancellation is in review).

Pure Python: the forms come from the destination_category dictionary (app/data/dicts), read by
the service and handed in here as plain values.
"""
from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any, Protocol

from app.domain.errors import Conflict, DomainError, Forbidden, InvalidInput
from app.domain.text import text_problem
from app.domain.workflow import FIRST_REVIEW, NEW, SAME, Transition, Workflow, transition

DRAFT = "draft"
COLLEGE_REVIEW = "college_review"
SCHOOL_REVIEW = "school_review"
APPROVED = "approved"
REJECTED = "rejected"
CANCEL_COLLEGE_REVIEW = "cancel_college_review"
CANCEL_SCHOOL_REVIEW = "cancel_school_review"
CANCELLED = "cancelled"
STATES = (DRAFT, COLLEGE_REVIEW, SCHOOL_REVIEW, APPROVED, REJECTED, CANCEL_COLLEGE_REVIEW,
          CANCEL_SCHOOL_REVIEW, CANCELLED)

ACTIVE_STATES = frozenset({COLLEGE_REVIEW, SCHOOL_REVIEW, APPROVED, CANCEL_COLLEGE_REVIEW,
                           CANCEL_SCHOOL_REVIEW})
EDITABLE_STATES = frozenset({DRAFT, REJECTED})
REVIEW_STATES = frozenset({COLLEGE_REVIEW, SCHOOL_REVIEW})
CANCEL_REVIEW_STATES = frozenset({CANCEL_COLLEGE_REVIEW, CANCEL_SCHOOL_REVIEW})
FINAL = frozenset({CANCELLED})
# Which state a reviewer of each level works on.
WAITING_FOR = {"college_reviewer": (COLLEGE_REVIEW, CANCEL_COLLEGE_REVIEW),
               "school_reviewer": (SCHOOL_REVIEW, CANCEL_SCHOOL_REVIEW)}

STATE_LABELS = {
    DRAFT: "暂存",
    COLLEGE_REVIEW: "等待学院审核",
    SCHOOL_REVIEW: "等待学校审核",
    APPROVED: "审核通过",
    REJECTED: "审核不通过",
    CANCEL_COLLEGE_REVIEW: "注销申请等待学院审核",
    CANCEL_SCHOOL_REVIEW: "注销申请等待学校审核",
    CANCELLED: "已注销",
}

REASON_MAX = 200
MAX_FILES = 5  # evidence images per destination (and per cancellation request)

STUDENT = "student"
COLLEGE_REVIEWER = "college_reviewer"
SCHOOL_REVIEWER = "school_reviewer"

# FIRST_REVIEW's counterpart for a cancellation: the college's review with two levels, else the school's.
FIRST_CANCEL_REVIEW = "<first-cancel-review>"


class DestinationFacts(Protocol):
    """What the guards read about one destination (the service computes these lazily)."""
    holds_other_destination: bool  # an online/paper agreement or another registration is active
    record_active: bool
    incomplete: dict[str, str]  # field → what is missing or wrong, for submission


def _record_active(f: DestinationFacts) -> DomainError | None:
    return None if f.record_active else Forbidden("STUDENT_RECORD_INVALID", "学籍信息已失效，无法登记毕业去向")


def _holds_no_destination(f: DestinationFacts) -> DomainError | None:
    if f.holds_other_destination:
        return Conflict("ALREADY_SIGNED", "你已有有效的毕业去向（网上签约、线下签约或其他去向），不能再登记其他去向")
    return None


def _complete(f: DestinationFacts) -> DomainError | None:
    if f.incomplete:
        return InvalidInput("DESTINATION_INCOMPLETE", "去向信息不完整，请补充后再送审", dict(f.incomplete))
    return None


_ROWS = (
    transition("save", {NEW}, DRAFT, {STUDENT}, "学生暂存其他去向", name="destination_save",
               guards=(_record_active,)),
    transition("edit", EDITABLE_STATES, SAME, {STUDENT}, "学生修改其他去向", name="destination_edit"),
    transition("submit", {NEW} | EDITABLE_STATES, FIRST_REVIEW, {STUDENT}, "学生保存并送审",
               name="destination_submit",
               guards=(_record_active, _holds_no_destination, _complete)),
    transition("withdraw", REVIEW_STATES, DRAFT, {STUDENT}, "学生撤回送审", name="destination_withdraw"),
    transition("approve", {COLLEGE_REVIEW}, SCHOOL_REVIEW, {COLLEGE_REVIEWER}, "学院审核通过",
               name="destination_college_approve"),
    transition("approve", {SCHOOL_REVIEW}, APPROVED, {SCHOOL_REVIEWER}, "学校审核通过，去向生效",
               name="destination_school_approve", event="destination_approved"),
    transition("reject", {COLLEGE_REVIEW}, REJECTED, {COLLEGE_REVIEWER}, "学院审核不通过",
               name="destination_college_reject", reason_required=True, event="destination_rejected"),
    transition("reject", {SCHOOL_REVIEW}, REJECTED, {SCHOOL_REVIEWER}, "学校审核不通过",
               name="destination_school_reject", reason_required=True, event="destination_rejected"),
    transition("request_cancel", {APPROVED}, FIRST_CANCEL_REVIEW, {STUDENT}, "学生申请注销去向",
               name="destination_cancel_request", reason_required=True),
    transition("approve", {CANCEL_COLLEGE_REVIEW}, CANCEL_SCHOOL_REVIEW, {COLLEGE_REVIEWER},
               "学院注销审核通过", name="destination_cancel_college_approve"),
    transition("approve", {CANCEL_SCHOOL_REVIEW}, CANCELLED, {SCHOOL_REVIEWER},
               "学校注销审核通过，去向已注销", name="destination_cancel_school_approve",
               event="destination_cancelled"),
    transition("reject", {CANCEL_COLLEGE_REVIEW}, APPROVED, {COLLEGE_REVIEWER}, "学院注销审核不通过",
               name="destination_cancel_college_reject", reason_required=True,
               event="destination_cancel_rejected"),
    transition("reject", {CANCEL_SCHOOL_REVIEW}, APPROVED, {SCHOOL_REVIEWER}, "学校注销审核不通过",
               name="destination_cancel_school_reject", reason_required=True,
               event="destination_cancel_rejected"),
)


class DestinationWorkflow(Workflow):
    """The one table shape, with a second "first review" for cancellations."""

    extra_targets = frozenset({FIRST_CANCEL_REVIEW})

    def target(self, row: Transition, state: str, two_levels: bool) -> str:
        if row.target == FIRST_CANCEL_REVIEW:
            return CANCEL_COLLEGE_REVIEW if two_levels else CANCEL_SCHOOL_REVIEW
        return super().target(row, state, two_levels)


DESTINATION = DestinationWorkflow(
    "destination", STATES, STATE_LABELS, FINAL, _ROWS,
    wrong_state=lambda wf, state, row: Conflict(
        "INVALID_STATE", f"该去向登记当前为“{wf.labels.get(state, state)}”，不能执行“{row.label}”"))


# -- the categories' forms ----------------------------------------------------------------------------

@dataclass(frozen=True)
class Option:
    value: str
    label: str
    when: Mapping[str, tuple[str, ...]]  # offered only when these other fields have these values


@dataclass(frozen=True)
class FieldSpec:
    key: str
    label: str
    required: bool
    type: str  # text, date, region, country, choice
    options: tuple[Option, ...] = ()
    default: str | None = None


@dataclass(frozen=True)
class DispatchSpec:
    """派遣信息: where the graduate is sent (报到证抬头 or the archive's keeper), and its region."""
    unit_label: str
    region_label: str
    hint: str = ""


@dataclass(frozen=True)
class CategorySpec:
    code: str
    name: str
    parent: str | None
    selectable: bool
    placed: bool  # counts as employed (落实去向)
    fields: tuple[FieldSpec, ...]
    evidence: str | None  # what proof to upload; None: none needed
    dispatch: DispatchSpec | None
    children: tuple[str, ...] = ()


def spec_of(code: str, name: str, parent: str | None, extra: Mapping[str, Any] | None,
            children: tuple[str, ...] = ()) -> CategorySpec:
    """A dictionary entry (its extra) as the form it describes."""
    extra = extra or {}
    fields = tuple(FieldSpec(f["key"], f["label"], bool(f["required"]), f["type"],
                             tuple(Option(o["value"], o["label"],
                                          {k: tuple(v) for k, v in (o.get("when") or {}).items()})
                                   for o in f.get("options", ())), f.get("default"))
                   for f in extra.get("fields", ()))
    dispatch = extra.get("dispatch")
    return CategorySpec(code, name, parent, bool(extra.get("selectable")), bool(extra.get("placed")),
                        fields, extra.get("evidence"),
                        DispatchSpec(dispatch["unit_label"], dispatch["region_label"], dispatch.get("hint", ""))
                        if dispatch else None, children)


def resolve(specs: Mapping[str, CategorySpec], category_code: str,
            subcategory_code: str | None) -> CategorySpec:
    """The form a choice of category (and sub-category) fills in, or why the choice is wrong."""
    category = specs.get(category_code or "")
    if category is None or category.parent is not None or not category.selectable:
        raise InvalidInput("BAD_CATEGORY", "请选择正确的毕业去向分类", {"category_code": "去向类别不存在或不可选择"})
    if not category.children:
        if subcategory_code:
            raise InvalidInput("BAD_CATEGORY", "该去向类别没有详细分类",
                               {"subcategory_code": "该去向类别没有详细分类"})
        return category
    if not subcategory_code:
        raise InvalidInput("BAD_CATEGORY", "请选择去向的详细分类", {"subcategory_code": "请选择详细分类"})
    sub = specs.get(subcategory_code)
    if sub is None or sub.parent != category.code or not sub.selectable:
        raise InvalidInput("BAD_CATEGORY", "详细分类不属于所选去向类别", {"subcategory_code": "详细分类不正确"})
    return sub


HOUSE_NUMBER = re.compile(r"\d+\s*(号|栋|室|楼|幢|单元)")
POSTCODE = re.compile(r"^\d{6}$")
CONTACT_PHONE = re.compile(r"\d[\d\- ]{5,}\d")
TEXT_MAX = 100
LONG_TEXT_MAX = 200
HUKOU_NOT_MOVED = "未迁入"

ARCHIVE_LABELS = {"unit": "档案转寄单位名称", "address": "档案转递地址", "postcode": "档案转递邮编",
                  "contact": "档案转递联系电话", "hukou_address": "户口迁转地址"}


def option_allowed(option: Option, values: Mapping[str, Any]) -> bool:
    return all(values.get(key) in allowed for key, allowed in option.when.items())


def _text(value: Any, label: str, limit: int) -> str | None:
    if not isinstance(value, str):
        return f"{label}应为文字"
    if len(value) > limit:
        return f"{label}不能超过{limit}个字"
    return text_problem(value)


def _region(value: Any, label: str, regions: Mapping[str, str]) -> str | None:
    level = regions.get(value) if isinstance(value, str) else None
    if level is None:
        return f"{label}代码不存在"
    if level == "province":  # seed 002: 回原籍或直辖市可以到区县，其它填到市
        return f"{label}请选择到市或区县"
    return None


def _field_problem(spec: FieldSpec, value: Any, values: Mapping[str, Any],
                   regions: Mapping[str, str]) -> str | None:
    if spec.type == "region":
        return _region(value, spec.label, regions)
    if spec.type == "date":
        try:
            date.fromisoformat(value)
        except (TypeError, ValueError):
            return f"{spec.label}应为日期（年-月-日）"
        return None
    if spec.type == "choice":
        option = next((o for o in spec.options if o.value == value), None)
        if option is None:
            return f"请选择{spec.label}"
        if not option_allowed(option, values):
            return f"“{option.label}”不适用于当前选择"
        return None
    return _text(value, spec.label, TEXT_MAX if spec.type == "text" else 50)


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def problems(spec: CategorySpec, data: Mapping[str, Any], regions: Mapping[str, str],
             complete: bool) -> dict[str, str]:
    """field path → what is wrong. complete=False (暂存) checks only what is filled in;
    complete=True (送审) also asks for every required field."""
    found: dict[str, str] = {}
    fields = data.get("fields") or {}
    known = {f.key for f in spec.fields}
    for key in fields:
        if key not in known:
            found[f"fields.{key}"] = "该去向类别没有此项"
    for f in spec.fields:
        value = fields.get(f.key)
        if _blank(value):
            if complete and f.required:
                found[f"fields.{f.key}"] = f"请填写{f.label}" if f.type != "choice" else f"请选择{f.label}"
            continue
        if problem := _field_problem(f, value, fields, regions):
            found[f"fields.{f.key}"] = problem
    dispatch = data.get("dispatch") or {}
    if spec.dispatch is None:
        if any(not _blank(v) for v in dispatch.values()):
            found["dispatch"] = "该去向类别不填写派遣信息"
    else:
        for key, label, check in (
                ("unit", spec.dispatch.unit_label, lambda v, lb: _text(v, lb, TEXT_MAX)),
                ("region_code", spec.dispatch.region_label, lambda v, lb: _region(v, lb, regions))):
            value = dispatch.get(key)
            if _blank(value):
                if complete:
                    found[f"dispatch.{key}"] = f"请填写{label}"
            elif problem := check(value, label):
                found[f"dispatch.{key}"] = problem
    found.update(_archive_problems(data.get("archive") or {}, complete))
    return found


def _archive_problems(archive: Mapping[str, Any], complete: bool) -> dict[str, str]:
    """档案信息: to whom and where the archive goes (to the house number), and the hukou."""
    found: dict[str, str] = {}
    for key in ("unit", "address", "postcode", "contact"):
        value, label = archive.get(key), ARCHIVE_LABELS[key]
        if _blank(value):
            if complete:
                found[f"archive.{key}"] = f"请填写{label}"
            continue
        if problem := _text(value, label, LONG_TEXT_MAX if key == "address" else TEXT_MAX):
            found[f"archive.{key}"] = problem
        elif key == "address" and not HOUSE_NUMBER.search(value):
            found[f"archive.{key}"] = "档案转递地址应精确到门牌号"
        elif key == "postcode" and not POSTCODE.match(value.strip()):
            found[f"archive.{key}"] = "请输入正确的邮编（6位数字）"
        elif key == "contact" and not CONTACT_PHONE.search(value):
            found[f"archive.{key}"] = "格式为：联系人（电话）"
    hukou = archive.get("hukou_address")
    if archive.get("hukou_not_moved"):
        if not _blank(hukou) and hukou.strip() != HUKOU_NOT_MOVED:
            found["archive.hukou_address"] = "户口未迁入学校时不填写迁转地址"
    elif _blank(hukou):
        if complete:
            found["archive.hukou_address"] = "请填写户口迁转地址；户口未迁入学校的，请选择“未迁入”"
    elif problem := _text(hukou, ARCHIVE_LABELS["hukou_address"], LONG_TEXT_MAX):
        found["archive.hukou_address"] = problem
    return found


def with_defaults(spec: CategorySpec, fields: Mapping[str, Any]) -> dict[str, Any]:
    """The fields as typed, a choice's default filled in where it applies and nothing was chosen."""
    out = {k: (v.strip() if isinstance(v, str) else v) for k, v in fields.items() if not _blank(v)}
    for f in spec.fields:
        if f.type == "choice" and f.key not in out and f.default:
            option = next((o for o in f.options if o.value == f.default), None)
            if option is not None and option_allowed(option, out):
                out[f.key] = f.default
    return out


DISPLAY_KEYS = ("unit_name", "enterprise_name", "employer_name", "admitting_institution", "institution",
                "service_unit", "project_name", "occupation_type")


def display_name(spec: CategorySpec, fields: Mapping[str, Any]) -> str:
    """单位（学校、国家、项目）名称 as the lists show it."""
    for key in DISPLAY_KEYS:
        if isinstance(fields.get(key), str) and fields[key].strip():
            return fields[key].strip()[:TEXT_MAX]
    return spec.name


REGISTRATION_NOTICE = (
    "① 只有非协议就业（网上签约、线下签约）的学生，才可以进行其他就业去向登记。登记后需学校审核，审核通过后形成就业信息。"
    "② 学生登记其他就业去向并在学校审核期间，可以主动撤回此次提交的审核信息。撤回后，学生可重新进行网签和其他就业去向登记操作。"
    "③ 其他就业去向审核通过后，学生无法再进行网签和其他就业去向登记操作。学生可在详情中申请注销当前就业去向，"
    "注销仍需学校审核；审核通过后，学生方可重新进行网签和其他就业去向登记操作。")
