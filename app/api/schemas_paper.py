"""Request and response models of the 线下签约 endpoints (they make the OpenAPI document)."""
from __future__ import annotations

from typing import Any, Optional

from pydantic import BaseModel, ConfigDict, Field
from spectree.model_adapter.pydantic_adapter import BaseFile

from app.api.schemas_signing import FlowItem


class DraftBody(BaseModel):
    """The agreement as entered so far (暂不提交): any subset of employer / terms / archive;
    generation checks it whole (see PaperContent in the OpenAPI components)."""
    model_config = ConfigDict(extra="forbid")
    content: dict[str, Any] = Field(description="{employer: {...}, terms: {...}, archive: {...}}")


class GenerateBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    confirm: bool = Field(description="须为 true：协议书一旦生成不可更改（两次确认后提交）")


class DecisionBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: str = Field(min_length=1, max_length=500)


class ScanForm(BaseModel):
    model_config = ConfigDict(json_schema_extra={"required": ["scan"]})
    scan: Optional[BaseFile] = None  # 盖章协议书扫描件, JPEG or PNG, ≤ 2 MB, with its QR codes readable


class TerminationForm(BaseModel):
    model_config = ConfigDict(json_schema_extra={"required": ["type", "reason", "acknowledge", "proof"]})
    type: Optional[str] = Field(None, max_length=20, description="解约类型: mutual / student / employer / "
                                                                 "further_study / other")
    reason: Optional[str] = Field(None, max_length=400)
    acknowledge: Optional[str] = Field(None, max_length=10, description="true 表示已阅读解约须知")
    proof: Optional[BaseFile] = None  # 解约证明, JPEG or PNG, ≤ 2 MB


class PaperSummary(BaseModel):
    id: int
    state: str
    state_label: str  # 审核状态
    document_label: str  # 协议书状态
    employer_name: Optional[str] = None
    position: Optional[str] = None
    agreement_no: Optional[str] = None
    last_remark: Optional[str] = None
    updated_at: str


class PaperList(BaseModel):
    items: list[PaperSummary]
    can_create: bool  # no paper agreement in progress and no other destination
    blocker: Optional[str] = None  # why not, in the student's words


class ScanOut(BaseModel):
    id: int
    match: str  # match / other / none
    match_label: str
    found_refs: list[str]
    content_type: str
    size: int
    uploaded_at: str


class PaperTerminationOut(BaseModel):
    id: int
    state: str
    state_label: str
    type: str
    type_label: str
    reason: str
    remark: Optional[str] = None
    requested_at: str
    actions: list[str] = []


class DocumentOut(BaseModel):
    status: str
    status_label: str
    rendered_at: Optional[str] = None
    pages: Optional[int] = None
    content_hash: Optional[str] = None


class PaperDetailOut(PaperSummary):
    student_id: int
    student_name: str
    student_no: str
    college: str
    content: dict[str, Any]
    labels: dict[str, str]
    problems: dict[str, str] = {}  # a draft: what generation would still refuse
    checks: list[str] = []  # warnings (minimum wage, the school's damages cap): may still be generated
    generated_at: Optional[str] = None
    effective_at: Optional[str] = None
    actions: list[str]
    scan: Optional[ScanOut] = None
    document: Optional[DocumentOut] = None
    terminations: list[PaperTerminationOut] = []
    flow: list[FlowItem]
    notices: dict[str, str] = {}


class ReviewPaperRow(BaseModel):
    id: int
    agreement_no: Optional[str] = None
    agreement_status: str
    state: str
    review_label: str
    student_no: str
    student_name: str
    college: str
    major: str
    employer: str
    position: str
    last_action_at: str
    termination_review: str
    age: Optional[int] = None
    overdue: bool


class ReviewPaperList(BaseModel):
    items: list[ReviewPaperRow]
    next_cursor: Optional[str] = None
    waiting: int


class ReviewPaperQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")
    status: str = "waiting"
    cohort: Optional[int] = Field(None, ge=2000, le=2100)
    college: Optional[int] = Field(None, ge=1, le=2**63 - 1)
    major: Optional[int] = Field(None, ge=1, le=2**63 - 1)
    q: Optional[str] = Field(None, max_length=30)
    cursor: Optional[str] = Field(None, max_length=200)
    limit: int = Field(20, ge=1, le=100)


class PreviewLine(BaseModel):
    label: str
    value: str


class PreviewSection(BaseModel):
    title: str
    lines: list[PreviewLine] = []
    text: Optional[str] = None


class PreviewOut(BaseModel):
    title: str
    subtitle: str
    number_line: str
    parties: list[list[PreviewLine]]  # 甲方, 乙方
    sections: list[PreviewSection]
