"""The electronic agreement 电子就业协议书 as data: what a printed agreement says, its content
hash, the keyed code (MAC) its QR carries and the verification URL it opens.

Pure Python. The services gather the facts (``AgreementFacts``) from the database; this module
decides the wording and the order (the service masks the employer's copy first), and the
renderer only lays the result out. The same content serves online agreements and paper
agreements (``kind``), and the 解约函 (termination letter) of an approved termination.

The content hash is a SHA-256 over the agreement's substance — parties, accepted terms, number —
in canonical JSON. The student's ID number and phone enter it only as their keyed lookup hashes
(PII_HASH_KEY), so an employer who knows every other field cannot recover the ID number by
hashing guesses. The QR's code ``c`` is an HMAC (AGREEMENT_MAC_KEY) of the reference and the
content hash: only the platform can make one, and a changed agreement no longer matches it.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any
from urllib.parse import parse_qs, urlsplit

from app.clock import to_china

ONLINE = "online"  # 网上签约: the agreement number's first digit is 1
PAPER = "paper"  # 线下签约: 2
TERMINATION_LETTER = "termination_letter"  # 解约函 of an approved termination of an online agreement
KINDS = (ONLINE, PAPER, TERMINATION_LETTER)

FULL = "full"  # what the student and the school's reviewers read
MASKED = "masked"  # what the employer reads: ID number and phone masked (SPEC §12)
VARIANTS = (FULL, MASKED)

KIND_TITLES = {ONLINE: "（网上签约）", PAPER: "（线下签约）"}
COPIES_NOTE = ("本协议书一式四份，甲方、乙方、乙方所在学校及学校所在地高校毕业生就业主管部门各执一份，"
               "具有同等效力。请使用A4纸双面打印。")

# What the verification page and the document's watermark say about the agreement's state.
VERIFIED_EFFECTIVE = "effective"
STATUS_LABELS = {
    "effective": "已生效",
    "terminated": "已解约",
    "voided": "已作废",
    "invalidated": "已失效",
    "college_review": "审核中（未生效）",
    "school_review": "审核中（未生效）",
}
STATUS_NOTES = {
    "effective": "本协议书真实有效，双方的就业协议关系存续中。",
    "terminated": "本协议书已解除，双方的就业协议关系已终止。",
    "voided": "本协议书已被学校作废，不再具有效力。",
    "invalidated": "本协议书已失效，不再具有效力。",
    "college_review": "本协议书正在审核中，尚未生效。",
    "school_review": "本协议书正在审核中，尚未生效。",
}
STATUS_DATE_LABELS = {"effective": "生效日期", "terminated": "解约日期", "voided": "作废日期",
                      "invalidated": "失效日期", "college_review": "退回审核日期",
                      "school_review": "退回审核日期"}

ARCHIVE_LABELS = {"employer": "签约单位接收", "forward": "转寄至档案接收单位",
                  "not_received": "单位不接收档案"}
HUKOU_LABELS = {"received": "接收户口", "not_received": "不接收户口"}

_REF = re.compile(r"^[0-9A-Z]{6,20}$")
_MAC = re.compile(r"^[A-Za-z0-9_-]{20}$")
MAC_BYTES = 15  # 120 bits, 20 URL-safe characters: short enough for a small QR code


@dataclass(frozen=True)
class Line:
    """One labelled value of the document."""
    label: str
    value: str


@dataclass(frozen=True)
class ReviewStep:
    """A dated step of the agreement's life as the document prints it."""
    label: str  # 学生应约 / 学院审核通过 / 学校审核通过 …
    by: str  # who: the student, the college, the school
    at: datetime  # naive UTC


@dataclass(frozen=True)
class AgreementFacts:
    """Everything the agreement says, gathered by the service (raw values, no wording)."""
    kind: str
    number: str | None
    ref: str  # what the QR names: the agreement number (paper agreements may use another ref)
    state: str  # the agreement's current state (signing state names)
    state_at: datetime | None  # when it entered that state (naive UTC)
    employer: dict[str, Any]  # the accepted revision's employer snapshot
    labels: dict[str, str]  # dictionary names: job_category, work_region, employer_nature, …
    # name, gender, id_number, phone, major, education, cohort, student_no
    student: dict[str, Any]
    student_digests: dict[str, str]  # keyed lookup hashes of id_number and phone
    terms: dict[str, Any]  # the accepted revision's terms (InvitationTerms as stored)
    revision: int
    school_name: str
    college_name: str
    steps: tuple[ReviewStep, ...] = ()
    signing_notice: str = ""


@dataclass(frozen=True)
class Section:
    title: str
    lines: tuple[Line, ...] = ()
    text: str | None = None  # a paragraph instead of (or after) lines
    columns: int = 2  # label-value pairs per row (1: one per row, e.g. a timeline)


@dataclass(frozen=True)
class Document:
    """What a renderer lays out: a title, sections, the footer facts."""
    title: str
    subtitle: str
    number_line: str
    parties: tuple[tuple[Line, ...], tuple[Line, ...]] | None
    sections: tuple[Section, ...]
    content_hash: str
    verify_url: str
    ref: str
    watermark: str | None  # printed across every page when the agreement is not in force
    closing: tuple[str, ...] = ()
    signatures: tuple[tuple[str, str], ...] = ()  # (who signs/stamps, the date line)
    footer_note: str = COPIES_NOTE
    meta: dict[str, str] = field(default_factory=dict)


# -- formatting --------------------------------------------------------------------------------

def cn_date(value: datetime | date | str | None) -> str:
    """2026年07月15日; a naive-UTC datetime is shown as its Asia/Shanghai day."""
    if value is None or value == "":
        return "—"
    if isinstance(value, str):
        value = date.fromisoformat(value[:10])
    elif isinstance(value, datetime):
        value = to_china(value).date()
    return f"{value.year}年{value.month:02d}月{value.day:02d}日"


def yuan(value: Any, unit: str = "元") -> str:
    return "—" if value is None else f"{int(value):,}{unit}"


def _text(value: Any) -> str:
    return "—" if value in (None, "") else str(value)


# -- the hash, the MAC and the verification URL --------------------------------------------------

def canonical(data: Any) -> bytes:
    return json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":"),
                      default=str).encode()


def content_hash(facts: AgreementFacts) -> str:
    """SHA-256 of the agreement's substance (not its state, dates of review or wording)."""
    student = {k: v for k, v in facts.student.items() if k not in ("id_number", "phone")}
    return hashlib.sha256(canonical({
        "kind": facts.kind, "ref": facts.ref, "number": facts.number, "revision": facts.revision,
        "employer": facts.employer, "student": student, "student_digests": facts.student_digests,
        "terms": facts.terms, "school": facts.school_name,
    })).hexdigest()


def document_mac(key: str, ref: str, digest: str) -> str:
    """The QR's ``c``: HMAC-SHA256 of reference and content hash, 20 URL-safe characters."""
    if not key:
        raise RuntimeError("AGREEMENT_MAC_KEY is not configured")
    mac = hmac.new(key.encode(), f"agreement\n{ref}\n{digest}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(mac[:MAC_BYTES]).decode()


def mac_matches(key: str, ref: str, digest: str, given: str | None) -> bool:
    return bool(given) and hmac.compare_digest(document_mac(key, ref, digest), str(given))


def verify_path(ref: str, mac: str) -> str:
    return f"/verify/{ref}?c={mac}"


def verify_url(base_url: str, ref: str, mac: str) -> str:
    return base_url.rstrip("/") + verify_path(ref, mac)


def well_formed(ref: str | None, mac: str | None) -> bool:
    """Is this a reference and a code of the shape we issue (anything else: 无法验证)?"""
    return bool(ref and mac and _REF.match(ref) and _MAC.match(mac))


def parse_verification_url(text: str) -> tuple[str, str] | None:
    """(ref, mac) from the text of a QR code, whatever host it names; None if it is not ours."""
    try:
        parts = urlsplit(text.strip())
    except ValueError:
        return None
    match = re.fullmatch(r"(?:.*)/verify/([0-9A-Z]{6,20})", parts.path or "")
    codes = parse_qs(parts.query).get("c") or []
    if not match or len(codes) != 1 or not well_formed(match.group(1), codes[0]):
        return None
    return match.group(1), codes[0]


# -- the agreement --------------------------------------------------------------------------------

def status_label(state: str) -> str:
    return STATUS_LABELS.get(state, "未生效")


def watermark_for(state: str) -> str | None:
    """Nothing across an agreement in force; its state across every other."""
    return None if state == VERIFIED_EFFECTIVE else status_label(state)


def employer_lines(facts: AgreementFacts) -> tuple[Line, ...]:
    e, labels = facts.employer, facts.labels
    return (
        Line("单位名称", _text(e.get("name"))),
        Line("统一社会信用代码", _text(e.get("credit_code"))),
        Line("单位性质", _text(labels.get("employer_nature"))),
        Line("所属行业", _text(labels.get("employer_industry"))),
        Line("联系人", _text(e.get("contact_name"))),
        Line("联系电话", _text(e.get("contact_phone"))),
        Line("电子邮箱", _text(e.get("email"))),
        Line("通讯地址", _text(e.get("address"))),
    )


def student_lines(facts: AgreementFacts) -> tuple[Line, ...]:
    """乙方 as the facts hold it (the service masks the employer's copy before this)."""
    s = facts.student
    return (
        Line("姓名", _text(s.get("name"))),
        Line("身份证号", _text(s.get("id_number"))),
        Line("毕业学校", _text(facts.school_name)),
        Line("学院", _text(facts.college_name)),
        Line("专业", _text(s.get("major"))),
        Line("学历", _text(s.get("education"))),
        Line("毕业年度", _text(s.get("cohort"))),
        Line("联系电话", _text(s.get("phone"))),
    )


def term_lines(facts: AgreementFacts) -> tuple[Line, ...]:
    t, labels = facts.terms, facts.labels
    probation = t.get("probation_days")
    work_place = "，".join(x for x in (labels.get("work_region"), t.get("work_address")) if x)
    return (
        Line("拟聘用职位", _text(t.get("position"))),
        Line("工作职位类别", _text(labels.get("job_category") or t.get("job_category_code"))),
        Line("实际工作地点", _text(work_place)),
        Line("试用期", "无" if probation == 0 else f"{probation}天"),
        Line("试用起薪", yuan(t.get("probation_salary"), "元/月")),
        Line("转正起薪", yuan(t.get("regular_salary"), "元/月")),
        Line("违约金", yuan(t.get("liquidated_damages"))),
        Line("报到地点", _text(t.get("report_place"))),
        Line("报到期限", cn_date(t.get("report_deadline"))),
        Line("签约联系人", f"{_text(t.get('contact_name'))}（{_text(t.get('contact_phone'))}）"),
    )


def archive_lines(terms: dict[str, Any]) -> tuple[Line, ...]:
    a = terms.get("archive") or {}
    receiving = a.get("archive_receiving")
    lines = [Line("档案接收", ARCHIVE_LABELS.get(receiving, "—"))]
    if receiving and receiving != "not_received":
        lines += [Line("档案接收单位", _text(a.get("archive_unit"))),
                  Line("档案接收地址", _text(a.get("archive_address"))),
                  Line("邮政编码", _text(a.get("archive_postcode"))),
                  Line("档案联系人", f"{_text(a.get('archive_contact'))}（{_text(a.get('archive_phone'))}）")]
    return tuple(lines)


def hukou_lines(terms: dict[str, Any]) -> tuple[Line, ...]:
    a = terms.get("archive") or {}
    receiving = a.get("hukou_receiving")
    lines = [Line("户口迁移", HUKOU_LABELS.get(receiving, "—"))]
    if receiving == "received":
        lines += [Line("户口迁往地址", _text(a.get("hukou_address")))]
        if a.get("hukou_reason"):
            lines.append(Line("迁移原因", a["hukou_reason"]))
    return tuple(lines)


def step_lines(steps: tuple[ReviewStep, ...]) -> tuple[Line, ...]:
    return tuple(Line(step.label, f"{step.by}　{cn_date(step.at)}") for step in steps)


def agreement_document(facts: AgreementFacts, variant: str, base_url: str, mac_key: str) -> Document:
    """The 就业协议书 as the renderer lays it out."""
    digest = content_hash(facts)
    mac = document_mac(mac_key, facts.ref, digest)
    supplementary = (facts.terms.get("supplementary_terms") or "").strip()
    sections = (
        Section("一、工作岗位与待遇", term_lines(facts)),
        Section("二、档案与户口", archive_lines(facts.terms) + hukou_lines(facts.terms)),
        Section("三、补充条款", text=supplementary or "无"),
        Section("四、签约须知", text=facts.signing_notice.removeprefix("签约须知：")),
        Section("五、签约与审核记录", step_lines(facts.steps)
                + (Line("鉴证单位", f"{facts.school_name}（学校就业工作部门审核通过）"),), columns=1),
    )
    accepted = next((s.at for s in facts.steps if s.label == "乙方同意签约"), None)
    approved = next((s.at for s in reversed(facts.steps) if s.label == "学校审核通过"), None)
    return Document(
        title="全国普通高等学校毕业生就业协议书",
        subtitle=KIND_TITLES.get(facts.kind, ""),
        number_line=f"协议书编号：{facts.number or '（审核通过后编号）'}",
        parties=(employer_lines(facts), student_lines(facts)),
        sections=sections,
        content_hash=digest,
        verify_url=verify_url(base_url, facts.ref, mac),
        ref=facts.ref,
        watermark=watermark_for(facts.state),
        closing=("甲乙双方经网上签约平台确认以上内容，自学校审核通过之日起本协议生效。",),
        signatures=(("甲方（盖章）", cn_date(facts.steps[0].at) if facts.steps else "　年　月　日"),
                    ("乙方（签名）", cn_date(accepted) if accepted else "　年　月　日"),
                    (f"学校（{facts.school_name}）就业工作部门（盖章）",
                     cn_date(approved) if approved else "　年　月　日")),
        meta={"state": facts.state, "variant": variant},
    )


# -- the termination letter 解约函 ----------------------------------------------------------------

@dataclass(frozen=True)
class TerminationFacts:
    agreement: AgreementFacts
    initiated_by: str  # "student" | "employer"
    reason: str
    requested_at: datetime
    approved_at: datetime
    timeline: tuple[ReviewStep, ...]  # request, the other party's consent, the reviews


def termination_hash(facts: TerminationFacts) -> str:
    return hashlib.sha256(canonical({
        "agreement": content_hash(facts.agreement), "initiated_by": facts.initiated_by,
        "reason": facts.reason, "requested_at": facts.requested_at.isoformat(timespec="seconds"),
        "approved_at": facts.approved_at.isoformat(timespec="seconds"),
    })).hexdigest()


def termination_letter(facts: TerminationFacts, variant: str, base_url: str, mac_key: str) -> Document:
    """解约函: generated from the agreement, with both consents and the reviews on one timeline.
    Its QR verifies the agreement (which then reads 已解约)."""
    agreement = facts.agreement
    agreement_digest = content_hash(agreement)
    mac = document_mac(mac_key, agreement.ref, agreement_digest)
    requester = "乙方（毕业生）" if facts.initiated_by == "student" else "甲方（用人单位）"
    employer_name = _text(agreement.employer.get("name"))
    student_name = _text(agreement.student.get("name"))
    body = (f"{employer_name}（甲方）与{student_name}（乙方）于{cn_date(effective_date(agreement))}"
            f"签订的编号为{agreement.number}的就业协议书，经{requester}申请、对方同意，"
            f"并经{agreement.school_name}审核通过，自{cn_date(facts.approved_at)}起解除。"
            "协议解除后，乙方可重新签约；双方因解约产生的其他事宜，依照协议约定及有关法律法规办理。")
    return Document(
        title="毕业生就业协议书解约函",
        subtitle="（网上签约）",
        number_line=f"原协议书编号：{agreement.number}",
        parties=(employer_lines(agreement)[:2] + employer_lines(agreement)[4:6],
                 student_lines(agreement)[:5]),
        sections=(
            Section("一、解约事项", (Line("申请方", requester), Line("解约原因", facts.reason),
                                     Line("申请日期", cn_date(facts.requested_at)),
                                     Line("解约生效日期", cn_date(facts.approved_at))), text=body),
            Section("二、解约流程记录",
                    tuple(Line(s.label, f"{s.by}　{_when(s.at)}") for s in facts.timeline),
                    columns=1),
            Section("三、原协议主要条款", term_lines(agreement)[:4]),
        ),
        content_hash=termination_hash(facts),
        verify_url=verify_url(base_url, agreement.ref, mac),
        ref=agreement.ref,
        watermark=None,
        signatures=(("甲方（盖章）", "　年　月　日"), ("乙方（签名）", "　年　月　日"),
                    (f"学校（{agreement.school_name}）就业工作部门（盖章）", cn_date(facts.approved_at))),
        footer_note="本解约函由网上签约平台依据双方确认及学校审核结果生成，扫描二维码可查验原协议书状态。",
        meta={"state": "terminated", "variant": variant},
    )


def effective_date(agreement: AgreementFacts) -> datetime | None:
    return next((s.at for s in reversed(agreement.steps) if s.label == "学校审核通过"), None)


def _when(value: datetime) -> str:
    return to_china(value).strftime("%Y-%m-%d %H:%M")
