"""线下签约 (paper agreement) as data: states, the transition table, who may act, the content.

The student enters the agreement (a draft 暂不提交 can be saved and resumed), generates it —
irreversible, double confirmation; from then on it holds the student's one destination —, the
school reviews the agreement 协议书审核 (approval numbers it, kind 2; rejection fails it and the
student may start again), the student prints it, has it stamped and uploads the scan 反馈签约材料,
and the school verifies the signing 签约鉴证 (approval: effective; rejection: back to 待反馈 with
the reason). Each review has a college and a school level when the school reviews at two levels.
Only the student asks to terminate a paper agreement, with a type, a reason and a stamped proof;
the school reviews that too (seed 002 §2.3–2.4, seed 003 §4–5, SPEC §5–6).

Pure Python: the services look transitions up here and never decide states themselves.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Annotated, Any, Optional, Protocol

from pydantic import BaseModel, ConfigDict, StringConstraints, field_validator, model_validator

from app.domain.errors import Conflict, DomainError, Forbidden
from app.domain.identity import credit_code_error
from app.domain.terms import ArchiveTerms, InvitationTerms, PostCode, RegionCode, Text100, Text200
from app.domain.workflow import FIRST_REVIEW, NEW, SAME, Transition, Workflow, transition

DRAFT = "draft"
COLLEGE_REVIEW = "college_review"  # 协议书审核, college level
SCHOOL_REVIEW = "school_review"  # 协议书审核, school level
FAILED = "failed"  # 协议书审核不通过: the student may start a new one
AWAITING_FEEDBACK = "awaiting_feedback"  # 待反馈: print, stamp, upload the scan
COLLEGE_VERIFY = "college_verify"  # 签约鉴证, college level
SCHOOL_VERIFY = "school_verify"  # 签约鉴证, school level
EFFECTIVE = "effective"
TERMINATED = "terminated"
DISCARDED = "discarded"  # a draft the student threw away
STATES = (DRAFT, COLLEGE_REVIEW, SCHOOL_REVIEW, FAILED, AWAITING_FEEDBACK, COLLEGE_VERIFY,
          SCHOOL_VERIFY, EFFECTIVE, TERMINATED, DISCARDED)

# The student holds a destination (SPEC §3) from generation until it fails or is terminated.
ACTIVE_STATES = frozenset({COLLEGE_REVIEW, SCHOOL_REVIEW, AWAITING_FEEDBACK, COLLEGE_VERIFY,
                           SCHOOL_VERIFY, EFFECTIVE})
# One paper agreement at a time per student: a draft or an active one.
OPEN_STATES = ACTIVE_STATES | {DRAFT}
FINAL_STATES = frozenset({FAILED, TERMINATED, DISCARDED})
FIRST_REVIEW_STATES = frozenset({COLLEGE_REVIEW, SCHOOL_REVIEW})
SECOND_REVIEW_STATES = frozenset({COLLEGE_VERIFY, SCHOOL_VERIFY})
REVIEW_STATES = FIRST_REVIEW_STATES | SECOND_REVIEW_STATES
# Numbered at the school's approval of the agreement; the number never changes after.
NUMBERED_STATES = frozenset({AWAITING_FEEDBACK, COLLEGE_VERIFY, SCHOOL_VERIFY, EFFECTIVE, TERMINATED})
FIRST_VERIFY = "<first-verify>"  # college verification with two review levels, else school

# 协议书状态 / 审核状态 as the manuals word them.
STATE_LABELS = {
    DRAFT: "暂不提交（草稿）",
    COLLEGE_REVIEW: "协议书待学院审核",
    SCHOOL_REVIEW: "协议书待学校审核",
    FAILED: "协议书审核不通过",
    AWAITING_FEEDBACK: "待反馈",
    COLLEGE_VERIFY: "等待学院签约审核",
    SCHOOL_VERIFY: "等待学校签约审核",
    EFFECTIVE: "签约审核通过",
    TERMINATED: "已解约",
    DISCARDED: "已删除",
}
DOCUMENT_LABELS = {DRAFT: "未生成", FAILED: "协议书已生成", DISCARDED: "未生成"}  # else 协议书已生成

STUDENT = "student"
COLLEGE_REVIEWER = "college_reviewer"
SCHOOL_REVIEWER = "school_reviewer"
REVIEWERS = frozenset({COLLEGE_REVIEWER, SCHOOL_REVIEWER})

GENERATE_NOTICE = ("协议书生成后需经学校审核通过后才能正式生效。协议书一旦生成不可更改，"
                   "无法再与其他单位进行网上签约，且一次只能生成一份协议书。你确定生成协议书吗？")
SCAN_NOTICE = ("1、学生应先持打印好的纸质协议书到用人单位加盖单位公章（或劳动合同专用章），同时学生签字。"
               "2、学生将含有甲乙双方签字盖章的协议书电子照片、扫描件上传。"
               "3、上传的协议书应边距规整、字体清晰，无其他杂物干扰，并能看清每页的二维码。")
PAPER_SIGNING_NOTICE = ("签约须知：一、本协议书由乙方在网签平台录入、经学校审核后打印，甲方签字盖章、"
                        "乙方签字后上传扫描件，经学校签约鉴证通过后生效。二、符合下列情况之一，经书面告知"
                        "对方后，本协议解除：1. 甲方被撤销或依法宣告破产；2. 乙方报到时未取得毕业资格；"
                        "3. 乙方被判处拘役以上刑罚；4. 甲乙双方订立劳动合同（聘用合同）后，本协议自动终止；"
                        "5. 国家法律、法规、政策规定的其他情况。三、未尽事宜，由甲乙双方依照有关法律法规和"
                        "政策规定另行约定。")


class PaperFacts(Protocol):
    """What the guards read about one paper agreement (computed lazily by the service)."""
    student: "StudentPaperFacts"


@dataclass(frozen=True)
class StudentPaperFacts:
    record_active: bool
    source_approved: bool
    directed: bool
    has_active_destination: bool


def paper_blocker(f: StudentPaperFacts) -> tuple[str, str] | None:
    """Why this student may not enter or generate a paper agreement now: (code, message)."""
    if not f.record_active:
        return "STUDENT_RECORD_INVALID", "学籍信息已失效，无法签约"
    if not f.source_approved:
        return "SOURCE_NOT_APPROVED", "生源信息尚未审核通过，暂不能签约"
    if f.directed:
        return "DIRECTED_STUDENT", "定向生不能进行线下签约"
    if f.has_active_destination:
        return "ALREADY_SIGNED", "你已有有效的毕业去向（网上签约、线下签约或其他去向），不能再进行线下签约"
    return None


def _student_may_sign(f: PaperFacts) -> DomainError | None:
    blocker = paper_blocker(f.student)
    if blocker is None:
        return None
    code, message = blocker
    return Conflict(code, message) if code == "ALREADY_SIGNED" else Forbidden(code, message)


_ROWS = (
    transition("create", {NEW}, DRAFT, {STUDENT}, "学生录入协议书（暂不提交）", name="paper_create",
               guards=(_student_may_sign,)),
    transition("update", {DRAFT}, SAME, {STUDENT}, "学生修改协议书草稿", name="paper_update"),
    transition("discard", {DRAFT}, DISCARDED, {STUDENT}, "学生删除协议书草稿", name="paper_discard"),
    transition("generate", {DRAFT}, FIRST_REVIEW, {STUDENT}, "学生生成协议书，提交协议书审核",
               name="paper_generate", event="paper_generated", guards=(_student_may_sign,)),
    transition("approve", {COLLEGE_REVIEW}, SCHOOL_REVIEW, {COLLEGE_REVIEWER}, "学院协议书审核通过",
               name="paper_college_approve", event="paper_college_approved"),
    transition("approve", {SCHOOL_REVIEW}, AWAITING_FEEDBACK, {SCHOOL_REVIEWER},
               "学校协议书审核通过，协议书编号，待学生反馈签约材料", name="paper_school_approve",
               event="paper_approved"),
    transition("reject", {COLLEGE_REVIEW}, FAILED, {COLLEGE_REVIEWER}, "学院协议书审核不通过",
               name="paper_college_reject", reason_required=True, event="paper_rejected"),
    transition("reject", {SCHOOL_REVIEW}, FAILED, {SCHOOL_REVIEWER}, "学校协议书审核不通过",
               name="paper_school_reject", reason_required=True, event="paper_rejected"),
    transition("submit_scan", {AWAITING_FEEDBACK}, FIRST_VERIFY, {STUDENT},
               "学生反馈签约材料（盖章协议书扫描件），提交签约审核", name="paper_submit_scan",
               event="paper_scan_submitted"),  # the service stores the checked scan with it
    transition("approve", {COLLEGE_VERIFY}, SCHOOL_VERIFY, {COLLEGE_REVIEWER}, "学院签约审核通过",
               name="paper_college_verify", event="paper_college_verified"),
    transition("approve", {SCHOOL_VERIFY}, EFFECTIVE, {SCHOOL_REVIEWER}, "学校签约审核通过，协议生效",
               name="paper_school_verify", event="paper_effective"),
    transition("reject", {COLLEGE_VERIFY}, AWAITING_FEEDBACK, {COLLEGE_REVIEWER},
               "学院签约审核不通过，退回学生重新反馈", name="paper_college_verify_reject",
               reason_required=True, event="paper_scan_rejected"),
    transition("reject", {SCHOOL_VERIFY}, AWAITING_FEEDBACK, {SCHOOL_REVIEWER},
               "学校签约审核不通过，退回学生重新反馈", name="paper_school_verify_reject",
               reason_required=True, event="paper_scan_rejected"),
    # Taken by the termination service when the school approves a paper termination.
    transition("terminate", {EFFECTIVE}, TERMINATED, {SCHOOL_REVIEWER}, "解约审核通过，线下协议解除",
               name="paper_terminate", offered=False),
)


class PaperWorkflow(Workflow):
    """The table, with a second review that starts at the college or the school like the first."""

    def _check_table(self) -> None:
        rows, self.rows = self.rows, tuple(
            Transition(r.action, r.sources, FIRST_REVIEW if r.target == FIRST_VERIFY else r.target,
                       r.roles, r.label, r.name, r.reason_required, r.event, r.guards, r.offered)
            for r in self.rows)
        try:
            super()._check_table()
        finally:
            self.rows = rows

    def target(self, row: Transition, state: str, two_levels: bool) -> str:
        if row.target == FIRST_VERIFY:
            return COLLEGE_VERIFY if two_levels else SCHOOL_VERIFY
        return super().target(row, state, two_levels)


PAPER = PaperWorkflow("paper_agreement", STATES, STATE_LABELS, FINAL_STATES, _ROWS)


@dataclass(frozen=True)
class PaperScope:
    student_id: int
    school_id: int
    college_id: int


def owns(actor: Any, scope: PaperScope) -> bool:
    """The student's own; the reviewers of the student's college or school. Never an employer."""
    if actor.role == STUDENT:
        return actor.student_id == scope.student_id
    if actor.role == COLLEGE_REVIEWER:
        return actor.college_id == scope.college_id and actor.school_id == scope.school_id
    if actor.role == SCHOOL_REVIEWER:
        return actor.school_id == scope.school_id
    return actor.role == "system"


# -- what the student enters ------------------------------------------------------------------------

CreditCode = Annotated[str, StringConstraints(strip_whitespace=True, to_upper=True,
                                              pattern=r"^[0-9A-HJ-NPQRTUWXY]{18}$")]
DictCode = Annotated[str, StringConstraints(pattern=r"^[0-9A-Za-z]{1,10}$")]


class PaperEmployer(BaseModel):
    """单位基本信息 as the student enters it (the employer need not be on the platform)."""
    model_config = ConfigDict(extra="forbid")

    name: Text100  # 单位名称
    credit_code: CreditCode  # 统一社会信用代码
    industry_code: DictCode  # 单位行业
    nature_code: DictCode  # 单位性质
    region_code: RegionCode  # 单位所在地
    postcode: Optional[PostCode] = None  # 单位邮编
    address: Text200  # 通讯地址
    email: Optional[Annotated[str, StringConstraints(strip_whitespace=True, max_length=100,
                                                     pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")]] = None

    @field_validator("credit_code")
    @classmethod
    def _checksum(cls, value: str) -> str:
        """The check character too (SPEC §13): a mistyped code is caught before the school sees it."""
        problem = credit_code_error(value)
        if problem:
            raise ValueError(problem)
        return value


class PaperContent(BaseModel):
    """Everything a generated paper agreement says beyond the student's own record."""
    model_config = ConfigDict(extra="forbid")

    employer: PaperEmployer
    terms: InvitationTerms  # 签约信息 (feedback_days is an invitation's, not used here)
    archive: ArchiveTerms  # 档案信息 and 户口信息

    @model_validator(mode="after")
    def _no_letter_fields(self) -> "PaperContent":
        self.terms.feedback_days = None
        self.terms.archive = None
        return self

    def stored(self) -> dict[str, Any]:
        """As kept on the row: the agreement document reads terms with the archive inside."""
        terms = self.terms.model_dump(mode="json", exclude={"feedback_days"})
        terms["archive"] = self.archive.model_dump(mode="json")
        return {"employer": self.employer.model_dump(mode="json"), "terms": terms}


DRAFT_MAX_CHARS = 20_000  # a draft is kept as entered (any subset), within this size


def draft_problems(content: dict[str, Any]) -> dict[str, str]:
    """field → message for a draft that could not be generated as it stands (empty: complete)."""
    from pydantic import ValidationError

    try:
        PaperContent.model_validate(content)
    except ValidationError as exc:
        problems: dict[str, str] = {}
        for error in exc.errors():
            where = ".".join(str(p) for p in error["loc"]) or "content"
            message = error["msg"].removeprefix("Value error, ")
            problems.setdefault(where, _chinese(error["type"], message))
        return problems
    return {}


def _chinese(kind: str, message: str) -> str:
    if kind == "missing":
        return "此项必填"
    if kind in ("string_pattern_mismatch", "string_type", "int_parsing", "date_from_datetime_parsing",
                "date_parsing", "enum", "extra_forbidden"):
        return "格式不正确" if kind != "extra_forbidden" else "不支持的字段"
    if re.search(r"[\u4e00-\u9fff]", message):
        return message
    return "内容不符合要求"


# -- termination of a paper agreement -----------------------------------------------------------

T_COLLEGE_REVIEW = "college_review"
T_SCHOOL_REVIEW = "school_review"
T_APPROVED = "approved"
T_REJECTED = "rejected"
TERMINATION_STATES = (T_COLLEGE_REVIEW, T_SCHOOL_REVIEW, T_APPROVED, T_REJECTED)
TERMINATION_IN_FLIGHT = frozenset({T_COLLEGE_REVIEW, T_SCHOOL_REVIEW})
TERMINATION_FINAL = frozenset({T_APPROVED, T_REJECTED})
TERMINATION_STATE_LABELS = {T_COLLEGE_REVIEW: "等待学院解约审核", T_SCHOOL_REVIEW: "等待学校解约审核",
                            T_APPROVED: "解约审核通过", T_REJECTED: "解约审核不通过"}
# 解约类型 (seed 002 §2.4.1: a choice the student makes first)
TERMINATION_TYPES = {
    "mutual": "双方协商一致解除",
    "student": "学生个人原因解除",
    "employer": "用人单位原因解除",
    "further_study": "升学、出国（境）解除",
    "other": "其他原因解除",
}
TERMINATION_REASON_MAX = 200
PROOF_NOTICE = ("学生请先下载标准格式的解约证明（《高等学校毕业生就业协议解除证明》）并打印，"
                "携带到签约单位盖章后上传；"
                "也可上传由单位出具并盖章的解约证明，二者任选其一。图片要求JPG或PNG格式，大小不超过2MB。")


class PaperTerminationFacts(Protocol):
    agreement_state: str
    limit: int  # the school's termination_limit (0: unlimited)
    completed: int  # the student's completed terminations, online and paper


def _agreement_effective(f: PaperTerminationFacts) -> DomainError | None:
    if f.agreement_state != EFFECTIVE:
        return Conflict("NOT_EFFECTIVE", "只有签约审核通过的线下协议可以申请解约")
    return None


def _within_limit(f: PaperTerminationFacts) -> DomainError | None:
    from app.domain.termination import limit_reached

    if limit_reached(f.limit, f.completed):
        return Conflict("TERMINATION_LIMIT_REACHED",
                        f"你已达到学校规定的解约次数上限（{f.limit}次），不能再申请解约")
    return None


_TERMINATION_ROWS = (
    transition("request", {NEW}, FIRST_REVIEW, {STUDENT}, "学生申请线下协议解约",
               name="paper_termination_request", event="paper_termination_requested",
               guards=(_agreement_effective, _within_limit)),
    transition("approve", {T_COLLEGE_REVIEW}, T_SCHOOL_REVIEW, {COLLEGE_REVIEWER}, "学院解约审核通过",
               name="paper_termination_college_approve"),
    transition("approve", {T_SCHOOL_REVIEW}, T_APPROVED, {SCHOOL_REVIEWER}, "学校解约审核通过，协议解除",
               name="paper_termination_school_approve", event="paper_termination_approved"),
    transition("reject", {T_COLLEGE_REVIEW}, T_REJECTED, {COLLEGE_REVIEWER}, "学院解约审核不通过",
               name="paper_termination_college_reject", reason_required=True,
               event="paper_termination_rejected"),
    transition("reject", {T_SCHOOL_REVIEW}, T_REJECTED, {SCHOOL_REVIEWER}, "学校解约审核不通过",
               name="paper_termination_school_reject", reason_required=True,
               event="paper_termination_rejected"),
)

PAPER_TERMINATION = Workflow("paper_termination", TERMINATION_STATES, TERMINATION_STATE_LABELS,
                             TERMINATION_FINAL, _TERMINATION_ROWS)
