"""What a paper agreement shows to the student and to the school's reviewers: the agreement with
its dictionary names, the latest stamped scan and its QR match, the terminations, the flow log,
the document's readiness and the actions this reader may take now."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from app.domain import paper as rules
from app.domain.actors import Actor
from app.models import FlowEntry, PaperAgreement, PaperScan, PaperTermination
from app.services import paper_agreements, paper_documents, scan_match
from app.services.dictionaries import names_of
from app.services.paper_flow import PAPER, PAPER_TERMINATION


@dataclass
class PaperDetail:
    paper: PaperAgreement
    labels: dict[str, str]  # dictionary names of the codes entered
    scan: PaperScan | None
    scan_label: str | None  # what the QR match said, for the reviewer
    terminations: list[PaperTermination]
    termination_actions: dict[int, list[str]]
    flow: list[FlowEntry]
    actions: list[str]
    document: dict[str, Any] | None
    problems: dict[str, str]  # a draft: what generation would still refuse
    checks: list[str]  # worth a second look (SPEC §13): below the minimum wage, damages above the cap


def labels_of(content: dict[str, Any]) -> dict[str, str]:
    employer = content.get("employer") or {}
    terms = content.get("terms") or {}

    def code(value: Any) -> str | None:
        return value if isinstance(value, str) else None

    return names_of({
        "job_category": ("job_category", code(terms.get("job_category_code"))),
        "work_region": ("region", code(terms.get("work_region_code"))),
        "employer_region": ("region", code(employer.get("region_code"))),
        "employer_industry": ("industry", code(employer.get("industry_code"))),
        "employer_nature": ("unit_nature", code(employer.get("nature_code"))),
    })


def detail(actor: Actor, paper_id: int) -> PaperDetail:
    paper = PAPER.load(actor, paper_id)
    scan = paper_agreements.latest_scan(paper.id)
    terminations = paper_agreements.terminations_of(paper)
    state = paper.state.value
    return PaperDetail(
        paper=paper, labels=labels_of(paper.content or {}), scan=scan,
        scan_label=scan_match.ScanResult(scan_match.ScanMatch(scan.match), ()).label if scan else None,
        terminations=terminations,
        termination_actions={t.id: PAPER_TERMINATION.allowed_actions(t, actor) for t in terminations},
        flow=paper_agreements.flow(paper), actions=actions_for(actor, paper),
        document=paper_documents.document_summary(paper),
        problems=rules.draft_problems(paper.content or {}) if state == rules.DRAFT else {},
        checks=checks_of(paper))


def checks_of(paper: PaperAgreement) -> list[str]:
    """The school's minimum wage where the job is and its liquidated-damages cap, as warnings: the
    student may still generate, and the reviewers see the same lines."""
    from app.extensions import db
    from app.models import School
    from app.services.organisation import minimum_wage_for

    terms = (paper.content or {}).get("terms") or {}
    if not isinstance(terms, dict):
        return []
    school = db.session.get(School, paper.school_id)
    found = []
    wage = minimum_wage_for(school.id, terms.get("work_region_code") if isinstance(
        terms.get("work_region_code"), str) else None)
    for attr, label in (("probation_salary", "试用起薪"), ("regular_salary", "转正起薪")):
        value = terms.get(attr)
        if wage is not None and isinstance(value, int) and value < wage:
            found.append(f"{label}{value}元/月低于{school.name}设定的工作地最低工资标准{wage}元/月")
    damages, cap = terms.get("liquidated_damages"), school.liquidated_damages_cap
    if cap is not None and isinstance(damages, int) and damages > cap:
        found.append(f"违约金{damages}元高于{school.name}规定的上限{cap}元")
    return found


def actions_for(actor: Actor, paper: PaperAgreement) -> list[str]:
    """The buttons: the table's, plus a termination request when one may be asked."""
    actions = PAPER.allowed_actions(paper, actor)
    if paper.state.value == rules.EFFECTIVE and actor.role == rules.STUDENT and not any(
            t.in_flight_agreement_id for t in paper_agreements.terminations_of(paper)):
        actions.append("request_termination")
    return actions
