"""The e-agreement of a paper agreement: what the student downloads, prints and has stamped.

The same document as an online agreement (app.domain.agreement_document), kind ``paper``: the
number the school's first review gave, the employer as the student entered it, the terms, the
archive and hukou, and the dated steps of its flow log. Its QR code names the number and the
keyed code of the content hash; the hash leaves out state and dates, so the printed copy that
comes back stamped still matches after the agreement moves on. The printed copy carries no
"未生效" watermark: it is printed to be signed, and takes effect at the school's verification.
"""
from __future__ import annotations

import dataclasses

from flask import current_app
from sqlalchemy import select

from app.domain import agreement_document as doc
from app.domain import paper as rules
from app.domain import signing as srules
from app.domain.actors import Actor
from app.domain.errors import Conflict, Forbidden
from app.extensions import db
from app.models import College, FlowEntry, PaperAgreement, School
from app.services import documents
from app.services.dictionaries import names_of

STEPS = (("paper_generate", "乙方生成协议书"), ("paper_college_approve", "学院审核协议书通过"),
         ("paper_school_approve", "学校审核协议书通过"), ("paper_college_verify", "学院签约审核通过"),
         ("paper_school_verify", "学校签约鉴证通过"))
PRINTABLE_STATES = frozenset({rules.AWAITING_FEEDBACK, rules.COLLEGE_VERIFY, rules.SCHOOL_VERIFY,
                              rules.EFFECTIVE})
CLOSING = ("本协议书由乙方在网签平台录入并经学校审核编号，甲方签字盖章、乙方签字后，"
           "自学校签约鉴证通过之日起生效。",)


def document_state(paper: PaperAgreement) -> str:
    """The state in the words of the document and the verification page."""
    state = paper.state.value
    return state if state in (rules.EFFECTIVE, rules.TERMINATED) else "paper_" + state


def paper_facts(paper: PaperAgreement, content: dict | None = None) -> doc.AgreementFacts:
    """What the agreement says; ``content`` stands in for the stored one (a draft's preview)."""
    content = (paper.content or {}) if content is None else content
    employer = dict(content.get("employer") or {})
    terms = dict(content.get("terms") or {})
    employer.setdefault("contact_name", terms.get("contact_name"))
    employer.setdefault("contact_phone", terms.get("contact_phone"))
    student = paper.student
    school = db.session.get(School, paper.school_id)
    college = db.session.get(College, paper.college_id)
    labels = names_of({
        "job_category": ("job_category", terms.get("job_category_code")),
        "work_region": ("region", terms.get("work_region_code")),
        "employer_nature": ("unit_nature", employer.get("nature_code")),
        "employer_industry": ("industry", employer.get("industry_code")),
    })
    flow = list(db.session.scalars(select(FlowEntry).where(
        FlowEntry.subject_type == rules.PAPER.subject, FlowEntry.subject_id == paper.id)
        .order_by(FlowEntry.seq)))
    by = {"paper_generate": student.name, "paper_college_approve": college.name,
          "paper_school_approve": school.name, "paper_college_verify": college.name,
          "paper_school_verify": school.name}
    latest = {e.action: e for e in flow if e.action in by}
    steps = tuple(doc.ReviewStep(label, by[action], latest[action].created_at)
                  for action, label in STEPS if action in latest)
    state = document_state(paper)
    state_at = paper.effective_at if state == rules.EFFECTIVE else paper.closed_at or paper.updated_at
    return doc.AgreementFacts(
        kind=doc.PAPER, number=paper.agreement_no, ref=paper.agreement_no or "",
        state=state, state_at=state_at, employer=employer, labels=labels,
        student={"name": student.name, "gender": student.gender.value, "id_number": student.id_number,
                 "phone": student.phone, "major": student.major.name, "student_no": student.student_no,
                 "education": srules.EDUCATION_LABELS.get(student.education_level.value,
                                                          student.education_level.value),
                 "cohort": student.cohort},
        student_digests={"id_number": student.id_number_hash, "phone": student.phone_hash or ""},
        terms=terms, revision=1, school_name=school.name, college_name=college.name, steps=steps,
        signing_notice=rules.PAPER_SIGNING_NOTICE)


def paper_document(facts: doc.AgreementFacts, variant: str, base_url: str, key: str) -> doc.Document:
    document = doc.agreement_document(facts, variant, base_url, key)
    approved = next((s.at for s in facts.steps if s.label == "学校审核协议书通过"), None)
    printable = facts.state.removeprefix("paper_") in PRINTABLE_STATES
    return dataclasses.replace(
        document, closing=CLOSING,
        watermark=None if printable else document.watermark,
        signatures=(("甲方（盖章）", "　年　月　日"), ("乙方（签名）", "　年　月　日"),
                    (f"学校（{facts.school_name}）就业工作部门（盖章）",
                     doc.cn_date(approved) if approved else "　年　月　日")))


def rendered(subject_id: int, base_url: str, key: str) -> documents.Rendered:
    """What the render job stores for a paper agreement (documents.BUILDERS)."""
    facts = paper_facts(db.session.get(PaperAgreement, subject_id))
    # No employer account reads a paper agreement; the masked copy is made like every other.
    from app.services.agreement_facts import masked

    return documents.Rendered(facts.state, doc.content_hash(facts),
                              paper_document(facts, doc.FULL, base_url, key),
                              paper_document(masked(facts), doc.MASKED, base_url, key))


def facts_by_number(ref: str) -> doc.AgreementFacts | None:
    """The verification page's resolver for numbers that start with 2."""
    paper = db.session.scalar(select(PaperAgreement).where(PaperAgreement.agreement_no == ref))
    return None if paper is None else paper_facts(paper)


def expected_code(paper: PaperAgreement) -> tuple[str, str]:
    """(reference, code) that this agreement's printed pages carry."""
    from app.services import scan_match

    return scan_match.expected_code(paper_facts(paper), current_app.config["AGREEMENT_MAC_KEY"])


def paper_file(actor: Actor, paper_id: int, fmt: str) -> documents.DocumentFile:
    """The generated agreement as PDF (to print) or PNG preview: the student and the reviewers."""
    from app.services.paper_flow import PAPER

    if actor.role not in ("student", "college_reviewer", "school_reviewer"):
        raise Forbidden("ROLE_NOT_ALLOWED", "当前账号无权下载协议书")
    paper = PAPER.load(actor, paper_id)
    if paper.agreement_no is None:
        raise Conflict("AGREEMENT_NOT_NUMBERED", "协议书审核通过并编号后才能下载打印")
    return documents._file(documents.row_of(doc.PAPER, paper.id), actor, fmt,
                           f"就业协议书-{paper.agreement_no}")


def document_summary(paper: PaperAgreement) -> dict | None:
    if paper.agreement_no is None:
        return None
    return documents._summary(documents.row_of(doc.PAPER, paper.id))


PROOF_TEXT = ("甲乙双方于上述日期签订的《全国普通高等学校毕业生就业协议书》（线下签约），经双方协商，"
              "自本证明签署之日起解除。甲方同意乙方另行择业，双方不再履行该协议书约定的权利和义务。特此证明。")


def termination_proof(actor: Actor, paper_id: int) -> documents.DocumentFile:
    """《高等学校毕业生就业协议解除证明》 in the standard form, filled in from the agreement, for the
    student to print and have stamped (seed 002 §2.4.1). Its QR code is the agreement's own.
    A page of text laid out in well under a second, so it is made on request and never stored."""
    from app.services import agreement_pdf
    from app.services.paper_flow import PAPER

    paper = PAPER.load(actor, paper_id)
    if paper.state.value != rules.EFFECTIVE:
        raise Conflict("NOT_EFFECTIVE", "只有签约审核通过的线下协议可以下载解约证明")
    facts = paper_facts(paper)
    digest = doc.content_hash(facts)
    key = current_app.config["AGREEMENT_MAC_KEY"]
    mac = doc.document_mac(key, facts.ref, digest)
    verified = next((s.at for s in facts.steps if s.label == "学校签约鉴证通过"), None)
    document = doc.Document(
        title="高等学校毕业生就业协议解除证明", subtitle="（线下签约）",
        number_line=f"协议书编号：{facts.number}", parties=None,
        sections=(doc.Section("一、原协议", (
            doc.Line("甲方（用人单位）", facts.employer.get("name") or "—"),
            doc.Line("统一社会信用代码", facts.employer.get("credit_code") or "—"),
            doc.Line("乙方（毕业生）", facts.student.get("name") or "—"),
            doc.Line("学号", facts.student.get("student_no") or "—"),
            doc.Line("毕业学校", facts.school_name), doc.Line("学院", facts.college_name),
            doc.Line("拟聘用职位", facts.terms.get("position") or "—"),
            doc.Line("签约鉴证日期", doc.cn_date(verified)))),
            doc.Section("二、解除证明", text=PROOF_TEXT)),
        content_hash=digest, verify_url=doc.verify_url(current_app.config["PUBLIC_BASE_URL"], facts.ref, mac),
        ref=facts.ref, watermark=None,
        closing=("本证明一式三份，甲方、乙方及乙方所在学校各执一份。",),
        signatures=(("甲方（盖章）", "　年　月　日"), ("乙方（签名）", "　年　月　日")),
        footer_note="请打印本证明，交用人单位盖章后拍照或扫描上传（JPG/PNG，不超过2MB）。")
    pdf, _ = agreement_pdf.render_pdf(document, current_app.config.get("DOCUMENT_FONT") or None)
    import hashlib

    return documents.DocumentFile(pdf, "application/pdf", f"就业协议解除证明-{facts.number}.pdf",
                                  hashlib.sha256(pdf).hexdigest()[:32])


def preview(actor: Actor, paper_id: int) -> doc.Document:
    """预览协议书: the document as it will read (a draft may still lack fields: shown as —)."""
    from app.services.paper_flow import PAPER

    paper = PAPER.load(actor, paper_id)
    content = paper.content or {}
    stored = content
    if paper.state.value == rules.DRAFT:
        problems = rules.draft_problems(content)
        if not problems:
            stored = rules.PaperContent.model_validate(content).stored()  # the archive inside the terms
        else:  # what is entered and well-formed; the rest shows as —
            parts = {k: dict(v) if isinstance(v := content.get(k), dict) else {}
                     for k in ("employer", "terms", "archive")}
            for where in problems:
                part, _, name = where.partition(".")
                parts.get(part, {}).pop(name.split(".")[0], None)
            stored = {"employer": parts["employer"], "terms": {**parts["terms"], "archive": parts["archive"]}}
    return paper_document(paper_facts(paper, stored), doc.FULL, current_app.config["PUBLIC_BASE_URL"],
                          current_app.config["AGREEMENT_MAC_KEY"])
