"""Employer account endpoints: registration, verification evidence, search, favorites, 户档信息."""
from __future__ import annotations

from typing import Any, Optional

from flask import Response as FlaskResponse
from flask import request
from pydantic import BaseModel, ConfigDict, Field, StringConstraints
from spectree import Response
from spectree.model_adapter.pydantic_adapter import BaseFile
from typing_extensions import Annotated

from app.api import bp, spec
from app.api.auth import current_actor, issue_token, roles_required
from app.api.conventions import idempotent
from app.services.paging import paginate
from app.api.schemas_common import ERRORS, ErrorEnvelope, Id
from app.clock import iso_china
from app.domain.errors import InvalidInput
from app.domain.registration import RegisterBody
from app.domain.terms import ArchiveTerms, Text50
from app.http import attachment
from app.models import Favorite
from app.services import archive, employers, favorites, search, uploads

Code = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=10)]
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
STATUS_LABELS = {"pending": "待审核", "approved": "已认证", "rejected": "认证未通过"}


class Registered(BaseModel):
    employer_id: int
    verification_status: str
    token: str  # the new user is logged in, to upload the evidence next


# File fields are optional to the validator (spectree cannot report a missing file without
# failing itself); the services check them and name the field. The schema still says required.
class EvidenceForm(BaseModel):
    model_config = ConfigDict(json_schema_extra={"required": ["licence"]})
    licence: Optional[BaseFile] = None  # 营业执照 / 法人证书 scan, JPEG or PNG, ≤ 2 MB
    authorisation: Optional[BaseFile] = None  # 授权委托书, same rules


class EvidenceOut(BaseModel):
    kind: str
    content_type: str
    size: int
    uploaded_at: str


class VerificationOut(BaseModel):
    employer_id: int
    name: str
    credit_code: str
    verification_status: str
    verification_label: str
    rejection_reason: Optional[str] = None
    verified_at: Optional[str] = None
    evidence: list[EvidenceOut]


class SearchQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")
    school_code: Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^\d{5}$")]
    cohort: int = Field(ge=2000, le=2100)
    name: Text50
    phone_or_id: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=30)]


class StudentFields(BaseModel):
    """What an employer sees of a student: ID number and phone masked."""
    name: str
    school: str
    school_code: str
    college: str
    major: str
    education_level: str
    education_level_label: str
    cohort: int
    id_number: str
    phone: Optional[str] = None


class StudentCard(StudentFields):
    id: int
    in_favorites: bool


class SearchResult(BaseModel):
    items: list[StudentCard]


class FavoriteQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")
    cohort: Optional[int] = Field(None, ge=2000, le=2100)
    cursor: Optional[str] = Field(None, max_length=40)
    limit: int = Field(20, ge=1, le=100)


class FavoriteOut(StudentFields):
    student_id: int
    signable: bool  # false once the student can no longer be invited (失效)
    added_at: str


class FavoriteList(BaseModel):
    items: list[FavoriteOut]
    next_cursor: Optional[str] = None


class FavoriteBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    student_id: Id


class FavoriteAdded(BaseModel):
    added: bool  # false: it was already in the list
    favorite: FavoriteOut


class FavoriteRemoved(BaseModel):
    student_id: int
    removed: bool  # false: it was not in the list


class ImportForm(BaseModel):
    model_config = ConfigDict(json_schema_extra={"required": ["file"]})
    file: Optional[BaseFile] = None  # the filled-in template (.xlsx), ≤ 2 MB, ≤ 1000 rows


class ImportRow(BaseModel):
    row: int
    ok: bool
    message: str
    student_id: Optional[int] = None


class ImportResult(BaseModel):
    added: int
    existing: int
    failed: int
    rows: list[ImportRow]


class ArchiveRevisionOut(BaseModel):
    version: int
    changed_at: str
    changed_by: Optional[str] = None
    data: dict[str, Any]


class ArchiveProfileOut(BaseModel):
    profile: Optional[ArchiveTerms] = None
    version: int  # 0 until the first save
    history: list[ArchiveRevisionOut]  # newest first


class AccountOut(BaseModel):
    id: int
    username: Optional[str] = None
    display_name: str
    is_active: bool
    employer_admin: bool = False  # 单位管理员: adds colleagues, resets their passwords
    last_login_at: Optional[str] = None


class AccountList(BaseModel):
    items: list[AccountOut]
    my_account_id: int  # the caller's own row
    i_am_admin: bool


def account_out(a) -> AccountOut:
    return AccountOut(id=a.id, username=a.username, display_name=a.display_name, is_active=a.is_active,
                      employer_admin=a.employer_admin, last_login_at=iso_china(a.last_login_at))


@bp.post("/employer/register")
@spec.validate(json=RegisterBody, resp=Response(HTTP_200=Registered, HTTP_400=ErrorEnvelope,
                                                HTTP_409=ErrorEnvelope), tags=["employer"])
def register(json: RegisterBody):
    """单位注册: the employer (pending verification) and its first user account."""
    employer, account = employers.register_employer(employers.Registration(**json.model_dump()),
                                                    request.remote_addr)
    return Registered(employer_id=employer.id, verification_status=employer.verification_status.value,
                      token=issue_token(account.id))


def _verification(employer) -> VerificationOut:
    status = employer.verification_status.value
    return VerificationOut(
        employer_id=employer.id, name=employer.name, credit_code=employer.credit_code,
        verification_status=status, verification_label=STATUS_LABELS[status],
        rejection_reason=employer.rejection_reason, verified_at=iso_china(employer.verified_at),
        evidence=[EvidenceOut(kind=e.kind.value, content_type=e.content_type, size=e.size,
                              uploaded_at=iso_china(e.created_at)) for e in employer.evidence])


@bp.get("/employer/verification")
@roles_required("employer_user")
@spec.validate(resp=Response(HTTP_200=VerificationOut, **ERRORS), tags=["employer"])
def verification():
    """单位认证 status, the rejection reason and the evidence uploaded so far."""
    return _verification(employers.employer_of(current_actor()))


@bp.post("/employer/verification")
@roles_required("employer_user")
@spec.validate(form=EvidenceForm, resp=Response(
    HTTP_200=VerificationOut, HTTP_413=ErrorEnvelope, HTTP_415=ErrorEnvelope, **ERRORS),
    tags=["employer"])
def submit_verification(form: EvidenceForm):
    """Upload the licence scan (and authorisation letter) for verification; multipart/form-data."""
    if form is None:
        raise InvalidInput("FILE_REQUIRED", "请以表单（multipart/form-data）上传营业执照扫描件",
                           {"licence": "请上传营业执照扫描件"})
    employer = employers.submit_evidence(current_actor(), form.licence, form.authorisation,
                                         request.remote_addr)
    return _verification(employer)


@bp.get("/employer/students/search")
@roles_required("employer_user")
@spec.validate(query=SearchQuery, resp=Response(HTTP_200=SearchResult, **ERRORS), tags=["employer"])
def search_students(query: SearchQuery):
    """Find a student by school code, cohort, name and phone or ID number, all exact."""
    key = search.StudentKey(query.school_code, query.cohort, query.name, query.phone_or_id)
    return SearchResult(items=search.search_students(current_actor(), key))


@bp.get("/employer/favorites")
@roles_required("employer_user")
@spec.validate(query=FavoriteQuery, resp=Response(HTTP_200=FavoriteList, **ERRORS), tags=["employer"])
def list_favorites(query: FavoriteQuery):
    """收藏夹: our students to invite, newest first, shared by all our users."""
    stmt = favorites.favorites_query(current_actor(), query.cohort)
    items, next_cursor = paginate(stmt, Favorite.id, query.cursor, query.limit)
    return FavoriteList(items=[favorites.favorite_item(f) for f in items], next_cursor=next_cursor)


@bp.post("/employer/favorites")
@roles_required("employer_user")
@idempotent
@spec.validate(json=FavoriteBody, resp=Response(HTTP_200=FavoriteAdded, **ERRORS), tags=["employer"])
def add_favorite(json: FavoriteBody):
    """Add a student found by search; adding it again changes nothing."""
    favorite, created = favorites.add_favorite(current_actor(), json.student_id)
    return FavoriteAdded(added=created, favorite=favorites.favorite_item(favorite))


@bp.delete("/employer/favorites")
@roles_required("employer_user")
@spec.validate(query=FavoriteBody, resp=Response(HTTP_200=FavoriteRemoved, **ERRORS),
               tags=["employer"])
def remove_favorite(query: FavoriteBody):
    """Remove a student from the list: DELETE /employer/favorites?student_id=…"""
    removed = favorites.remove_favorite(current_actor(), query.student_id)
    return FavoriteRemoved(student_id=query.student_id, removed=removed)


@bp.get("/employer/favorites/template.xlsx")
@roles_required("employer_user")
@spec.validate(resp=Response(HTTP_200=None, HTTP_401=ErrorEnvelope, HTTP_403=ErrorEnvelope),
               tags=["employer"])
def favorites_template():
    """The Excel template for a batch import (学校代码, 毕业年度, 姓名, 手机号或身份证号)."""
    response = FlaskResponse(favorites.template_bytes(), mimetype=XLSX)
    response.headers["Content-Disposition"] = attachment("收藏夹批量导入模板.xlsx")
    return response


@bp.post("/employer/favorites/import")
@roles_required("employer_user")
@spec.validate(form=ImportForm, resp=Response(
    HTTP_200=ImportResult, HTTP_413=ErrorEnvelope, HTTP_415=ErrorEnvelope, **ERRORS), tags=["employer"])
def import_favorites(form: ImportForm):
    """Batch import from the template: matching rows are added, every row gets a result."""
    content = uploads.read_limited(form.file if form else None, favorites.MAX_IMPORT_BYTES,
                                   "file", "Excel文件", request.remote_addr)
    report = favorites.import_favorites(current_actor(), content)
    return ImportResult(added=report.added, existing=report.existing, failed=report.failed,
                        rows=[ImportRow(**r.__dict__) for r in report.rows])


def _archive_profile(actor) -> ArchiveProfileOut:
    profile, history = employers.archive_profile_with_history(actor)
    return ArchiveProfileOut(
        profile=ArchiveTerms.model_validate(profile.data) if profile else None,
        version=profile.version if profile else 0,
        history=[ArchiveRevisionOut(version=r.version, changed_at=iso_china(r.changed_at),
                                    changed_by=name, data=r.data) for r, name in history])


@bp.get("/employer/archive-profile")
@roles_required("employer_user")
@spec.validate(resp=Response(HTTP_200=ArchiveProfileOut, **ERRORS), tags=["employer"])
def archive_profile():
    """户档信息: our archive/hukou receiving defaults and every edit of them."""
    return _archive_profile(current_actor())


@bp.put("/employer/archive-profile")
@roles_required("employer_user")
@idempotent
@spec.validate(json=ArchiveTerms, resp=Response(HTTP_200=ArchiveProfileOut, **ERRORS),
               tags=["employer"])
def save_archive_profile(json: ArchiveTerms):
    """Save the 户档信息; every change is kept as a new version."""
    archive.save_profile(current_actor(), json)
    return _archive_profile(current_actor())


@bp.get("/employer/accounts")
@roles_required("employer_user")
@spec.validate(resp=Response(HTTP_200=AccountList, **ERRORS), tags=["employer"])
def accounts():
    """账号管理: our employer's user accounts; who administers them; which one is mine."""
    actor = current_actor()
    items = employers.accounts_of(actor)
    mine = next(a for a in items if a.id == actor.account_id)
    return AccountList(items=[account_out(a) for a in items], my_account_id=mine.id,
                       i_am_admin=mine.employer_admin)
