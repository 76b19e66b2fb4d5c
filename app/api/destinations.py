"""其他去向 for the mini-program: the categories' forms, and the student's registration —
暂存 / 保存并送审, withdraw, evidence images, cancellation (注销) — under
/api/v1/destination-categories and /api/v1/student/other-destinations (API.md).
The reviewers' side is app/api/review_destinations.py."""
from __future__ import annotations

from typing import Annotated, Any, Literal, Optional

from flask import Response as FlaskResponse
from flask import request
from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator
from spectree import Response
from spectree.model_adapter.pydantic_adapter import BaseFile
from sqlalchemy import select

from app.api import bp, spec
from app.api.auth import current_actor, roles_required
from app.api.conventions import idempotent
from app.services.paging import paginate
from app.api.schemas_common import ERRORS, ErrorEnvelope
from app.api.schemas_signing import FlowItem
from app.services.invitation_views import flow_view
from app.clock import iso_china
from app.domain import destinations as rules
from app.domain.errors import InvalidInput
from app.models import OtherDestination
from app.services import destinations as service
from app.services.dictionaries import cached_names
from app.services.flow import flow_of

READERS = ("student", "college_reviewer", "school_reviewer")
Code = Annotated[str, StringConstraints(pattern=r"^[0-9A-Za-z_]{1,20}$")]
FieldKey = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z_]{0,39}$")]
Value = Optional[Annotated[str, StringConstraints(max_length=200)]]


# -- the categories -----------------------------------------------------------------------------------

class OptionOut(BaseModel):
    value: str
    label: str
    when: dict[str, list[str]] = {}  # offered only while these fields have these values


class FieldOut(BaseModel):
    key: str
    label: str
    required: bool
    type: Literal["text", "date", "region", "country", "choice"]
    options: list[OptionOut] = []
    default: Optional[str] = None


class DispatchOut(BaseModel):
    unit_label: str
    region_label: str
    hint: str


class SubCategoryOut(BaseModel):
    code: str
    name: str
    placed: bool
    evidence: Optional[str] = None  # what proof to upload; null: none needed
    fields: list[FieldOut]
    dispatch: Optional[DispatchOut] = None  # 派遣信息, when the category has one


class CategoryOut(SubCategoryOut):
    children: list[SubCategoryOut] = []  # the sub-categories to choose from, if any


class CategoriesOut(BaseModel):
    notice: str
    archive_labels: dict[str, str]  # 档案信息: every category fills it in
    items: list[CategoryOut]


def _category(s: rules.CategorySpec, specs: dict[str, rules.CategorySpec]) -> CategoryOut:
    return CategoryOut(**_form(s).model_dump(), children=[_form(specs[c]) for c in s.children])


def _form(s: rules.CategorySpec) -> SubCategoryOut:
    return SubCategoryOut(
        code=s.code, name=s.name, placed=s.placed, evidence=s.evidence,
        fields=[FieldOut(key=f.key, label=f.label, required=f.required, type=f.type, default=f.default,
                         options=[OptionOut(value=o.value, label=o.label,
                                            when={k: list(v) for k, v in o.when.items()}) for o in f.options])
                for f in s.fields],
        dispatch=DispatchOut(unit_label=s.dispatch.unit_label, region_label=s.dispatch.region_label,
                             hint=s.dispatch.hint) if s.dispatch else None)


@bp.get("/destination-categories")
@roles_required(*READERS)
@spec.validate(resp=Response(HTTP_200=CategoriesOut, **ERRORS), tags=["student"])
def destination_categories():
    """The national destination categories a student may register, with their forms and evidence."""
    specs = service.category_specs()
    return CategoriesOut(notice=rules.REGISTRATION_NOTICE,
                         archive_labels={**rules.ARCHIVE_LABELS, "hukou_not_moved": "户口未迁入学校"},
                         items=[_category(s, specs) for s in service.selectable_categories()])


# -- the registration -----------------------------------------------------------------------------------

class DispatchIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    unit: Value = None
    region_code: Optional[Annotated[str, StringConstraints(pattern=r"^\d{6}$")]] = None


class ArchiveIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    unit: Value = None  # 档案转寄单位名称
    address: Value = None  # 档案转递地址, to the house number
    postcode: Value = None
    contact: Value = None  # 联系人（电话）
    hukou_not_moved: bool = False  # 户口未迁入学校
    hukou_address: Value = None  # 户口迁转地址


class RegistrationBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    category_code: Code
    subcategory_code: Optional[Code] = None
    fields: dict[FieldKey, Value] = Field(default_factory=dict)
    dispatch: Optional[DispatchIn] = None
    archive: ArchiveIn = Field(default_factory=ArchiveIn)
    submit: bool = False  # false: 暂存; true: 保存并送审

    @field_validator("fields")
    @classmethod
    def _few(cls, value: dict) -> dict:
        if len(value) > 30:
            raise ValueError("字段过多")
        return value

    def registration(self) -> service.Registration:
        return service.Registration(self.category_code, self.subcategory_code, dict(self.fields),
                                    self.dispatch.model_dump() if self.dispatch else None,
                                    self.archive.model_dump())


class FileOut(BaseModel):
    id: int
    purpose: Literal["evidence", "cancellation"]
    content_type: str
    size: int
    url: str  # the image, for the caller's token only


class DestinationOut(BaseModel):
    id: int
    state: str
    state_label: str
    category_code: str
    subcategory_code: Optional[str] = None
    category_label: str
    unit_name: str
    fields: dict[str, Any]
    dispatch: Optional[dict[str, Any]] = None
    archive: dict[str, Any]
    labels: dict[str, str]  # names of the region codes in the form
    evidence_hint: Optional[str] = None
    files: list[FileOut]
    last_remark: Optional[str] = None  # the last rejection's reason
    cancel_reason: Optional[str] = None
    submitted_at: Optional[str] = None
    approved_at: Optional[str] = None
    updated_at: str
    incomplete: dict[str, str]  # what 送审 still needs (editable registrations)
    allowed_actions: list[Literal["edit", "submit", "withdraw", "request_cancel", "approve", "reject"]]
    flow: list[FlowItem]


class DestinationSummary(BaseModel):
    id: int
    state: str
    state_label: str
    category_code: str
    unit_name: str
    submitted_at: Optional[str] = None
    updated_at: str


class DestinationList(BaseModel):
    items: list[DestinationSummary]
    next_cursor: Optional[str] = None


class DestinationListQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")
    cursor: Optional[str] = Field(None, max_length=40)
    limit: int = Field(20, ge=1, le=100)


class DestinationCancelForm(BaseModel):
    model_config = ConfigDict(json_schema_extra={"required": ["reason"]})
    reason: Optional[str] = Field(None, max_length=rules.REASON_MAX)  # 注销原因
    file: Optional[BaseFile] = None  # optional proof, JPEG or PNG, ≤ 2 MB


class DestinationEvidenceForm(BaseModel):
    model_config = ConfigDict(json_schema_extra={"required": ["file"]})
    file: Optional[BaseFile] = None  # 就业证明材料, JPEG or PNG, ≤ 2 MB


def region_labels(d: OtherDestination) -> dict[str, str]:
    names = cached_names(("region",))
    codes = [v for v in (d.data.get("fields") or {}).values() if isinstance(v, str)]
    codes.append((d.data.get("dispatch") or {}).get("region_code"))
    return {c: service.region_path(c, names) for c in codes if c and ("region", c) in names}


def destination_out(d: OtherDestination, file_url) -> DestinationOut:
    """One registration as its owner or a reviewer reads it; file_url(d, file) links an image."""
    actor = current_actor()
    spec_ = service.category_specs()
    sub = spec_.get(d.subcategory_code or d.category_code)
    editable = d.state.value in rules.EDITABLE_STATES
    return DestinationOut(
        id=d.id, state=d.state.value, state_label=rules.STATE_LABELS[d.state.value],
        category_code=d.category_code, subcategory_code=d.subcategory_code,
        category_label=service.category_label(d), unit_name=d.unit_name,
        fields=d.data.get("fields") or {}, dispatch=d.data.get("dispatch"), archive=d.data.get("archive") or {},
        labels=region_labels(d), evidence_hint=sub.evidence if sub else None,
        files=[FileOut(id=f.id, purpose=f.purpose.value, content_type=f.content_type, size=f.size,
                       url=file_url(d, f)) for f in d.files],
        last_remark=d.last_remark, cancel_reason=d.cancel_reason,
        submitted_at=iso_china(d.submitted_at), approved_at=iso_china(d.approved_at),
        updated_at=iso_china(d.updated_at),
        incomplete=service.incomplete(d) if editable and actor.role == "student" else {},
        allowed_actions=service.allowed_actions(d, actor), flow=flow_view(flow_of("destination", d.id)))


def _student_file_url(d: OtherDestination, f) -> str:
    return f"/api/v1/student/other-destinations/{d.id}/files/{f.id}"


def _out(d: OtherDestination) -> DestinationOut:
    return destination_out(d, _student_file_url)


@bp.get("/student/other-destinations")
@roles_required("student")
@spec.validate(query=DestinationListQuery, resp=Response(HTTP_200=DestinationList, **ERRORS), tags=["student"])
def student_destinations(query: DestinationListQuery):
    """My registrations, newest first: the open one, and those cancelled before it."""
    actor = current_actor()
    items, next_cursor = paginate(select(OtherDestination).where(OtherDestination.student_id == actor.student_id),
                                  OtherDestination.id, query.cursor, query.limit)
    return DestinationList(items=[DestinationSummary(
        id=d.id, state=d.state.value, state_label=rules.STATE_LABELS[d.state.value],
        category_code=d.category_code, unit_name=d.unit_name, submitted_at=iso_china(d.submitted_at),
        updated_at=iso_china(d.updated_at)) for d in items], next_cursor=next_cursor)


@bp.post("/student/other-destinations")
@roles_required("student")
@idempotent
@spec.validate(json=RegistrationBody, resp=Response(HTTP_200=DestinationOut, **ERRORS), tags=["student"])
def create_destination(json: RegistrationBody):
    """录入其他去向: 暂存 (submit false) or 保存并送审 (submit true; categories that need evidence
    are saved first, the images uploaded, then submitted)."""
    actor = current_actor()
    if json.submit:
        return _out(service.submit(actor, None, json.registration()))
    return _out(service.save_draft(actor, json.registration()))


@bp.get("/student/other-destinations/<int:destination_id>")
@roles_required("student")
@spec.validate(resp=Response(HTTP_200=DestinationOut, **ERRORS), tags=["student"])
def student_destination(destination_id: int):
    """One registration with its images, what 送审 still needs, the buttons and the flow log."""
    return _out(service.load(current_actor(), destination_id))


@bp.put("/student/other-destinations/<int:destination_id>")
@roles_required("student")
@idempotent
@spec.validate(json=RegistrationBody, resp=Response(HTTP_200=DestinationOut, **ERRORS), tags=["student"])
def update_destination(destination_id: int, json: RegistrationBody):
    """修改 a draft or a rejected registration; with submit true, 保存并送审."""
    actor = current_actor()
    if json.submit:
        return _out(service.submit(actor, destination_id, json.registration()))
    return _out(service.save_draft(actor, json.registration(), destination_id))


@bp.post("/student/other-destinations/<int:destination_id>/submit")
@roles_required("student")
@idempotent
@spec.validate(resp=Response(HTTP_200=DestinationOut, **ERRORS), tags=["student"])
def submit_destination(destination_id: int):
    """送审 the registration as saved: it takes the student's one destination (409 ALREADY_SIGNED
    when an agreement or another registration holds it)."""
    return _out(service.submit(current_actor(), destination_id))


@bp.post("/student/other-destinations/<int:destination_id>/withdraw")
@roles_required("student")
@idempotent
@spec.validate(resp=Response(HTTP_200=DestinationOut, **ERRORS), tags=["student"])
def withdraw_destination(destination_id: int):
    """撤回 during review: back to 暂存; the student may sign or register again."""
    return _out(service.withdraw(current_actor(), destination_id))


@bp.post("/student/other-destinations/<int:destination_id>/evidence")
@roles_required("student")
@spec.validate(form=DestinationEvidenceForm, resp=Response(
    HTTP_200=DestinationOut, HTTP_413=ErrorEnvelope, HTTP_415=ErrorEnvelope, **ERRORS), tags=["student"])
def upload_destination_evidence(destination_id: int, form: DestinationEvidenceForm):
    """上传就业证明材料 (multipart ``file``, JPEG/PNG ≤ 2 MB; at most five) to a draft or rejected one."""
    actor = current_actor()
    service.add_evidence(actor, destination_id, form.file if form else None, request.remote_addr)
    return _out(service.load(actor, destination_id))


@bp.delete("/student/other-destinations/<int:destination_id>/evidence/<int:file_id>")
@roles_required("student")
@spec.validate(resp=Response(HTTP_200=DestinationOut, **ERRORS), tags=["student"])
def delete_destination_evidence(destination_id: int, file_id: int):
    """删除 an evidence image of a draft or rejected registration."""
    return _out(service.remove_evidence(current_actor(), destination_id, file_id))


@bp.post("/student/other-destinations/<int:destination_id>/cancellations")
@roles_required("student")
@idempotent
@spec.validate(form=DestinationCancelForm, resp=Response(
    HTTP_200=DestinationOut, HTTP_413=ErrorEnvelope, HTTP_415=ErrorEnvelope, **ERRORS), tags=["student"])
def cancel_destination(destination_id: int, form: DestinationCancelForm):
    """申请注销 an approved registration: reason (≤ 200) and an optional proof image (multipart)."""
    if form is None:
        raise InvalidInput("REASON_REQUIRED", "请以表单（multipart/form-data）填写注销原因", {"reason": "请填写注销原因"})
    return _out(service.request_cancel_with_file(current_actor(), destination_id, form.reason or "",
                                                 form.file, request.remote_addr))


def send_image(path, content_type: str):
    """A stored image (≤ 2 MB, read whole: no file handle outlives the request)."""
    response = FlaskResponse(path.read_bytes(), mimetype=content_type)
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.get("/student/other-destinations/<int:destination_id>/files/<int:file_id>")
@roles_required("student")
def student_destination_file(destination_id: int, file_id: int):
    """An image of my registration."""
    path, content_type = service.file_of(current_actor(), destination_id, file_id)
    if not path.is_file():
        from app.domain.errors import NotFound

        raise NotFound("FILE_NOT_FOUND", "材料不存在或无权查看")
    return send_image(path, content_type)
