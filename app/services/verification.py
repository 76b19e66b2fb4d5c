"""The public verification page's answer: what anyone holding an agreement's QR code may read.

The reference (the agreement number) and the code ``c`` must match an agreement whose current
content still hashes to what the code was made from; any other request — an unknown number, a
wrong or altered code, a malformed one — gets the same "无法验证" answer, so nothing tells an
existing number from a missing one. Every request counts against the caller's IP.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import current_app
from sqlalchemy import select

from app.clock import to_china, utcnow
from app.domain import agreement_document as doc
from app.extensions import db
from app.models import Invitation
from app.pii import mask_id_number, mask_name
from app.services import agreement_facts, ratelimit

PER_MINUTE = 20
PER_DAY = 500


def limits(ip: str) -> list[ratelimit.Limit]:
    config = current_app.config
    return [ratelimit.Limit("verify-ip", ip, 60, int(config.get("VERIFY_PER_MINUTE", PER_MINUTE))),
            ratelimit.Limit("verify-ip-day", ip, 86400, int(config.get("VERIFY_PER_DAY", PER_DAY)))]


def _online(ref: str) -> doc.AgreementFacts | None:
    invitation = db.session.scalar(select(Invitation).where(Invitation.agreement_no == ref))
    return None if invitation is None else agreement_facts.online_facts(invitation)


def _paper(ref: str) -> doc.AgreementFacts | None:
    from app.services import paper_documents

    return paper_documents.facts_by_number(ref)


# The first character of a reference names its kind (agreement numbers: 1 online, 2 paper).
RESOLVERS: dict[str, Callable[[str], doc.AgreementFacts | None]] = {"1": _online, "2": _paper}


def facts_for(ref: str) -> doc.AgreementFacts | None:
    resolver = RESOLVERS.get(ref[:1])
    return resolver(ref) if resolver else None


def expected_code(facts: doc.AgreementFacts) -> str:
    return doc.document_mac(current_app.config["AGREEMENT_MAC_KEY"], facts.ref, doc.content_hash(facts))


def verify(ref: str | None, code: str | None, ip: str) -> dict[str, Any] | None:
    """The page's content, or None for 无法验证 (429 when the caller asks too often)."""
    ratelimit.hit(limits(ip or "-"), "查询过于频繁，请稍后再试")
    if not doc.well_formed(ref, code):
        return None
    facts = facts_for(ref)
    if facts is None or not doc.mac_matches(current_app.config["AGREEMENT_MAC_KEY"], facts.ref,
                                            doc.content_hash(facts), code):
        return None
    return view(facts)


def view(facts: doc.AgreementFacts) -> dict[str, Any]:
    """Masked parties, key terms, the state and its date — in Chinese, for a phone."""
    student, terms = facts.student, facts.terms
    return {
        "number": facts.number,
        "kind": doc.KIND_TITLES.get(facts.kind, "").strip("（）"),
        "state": facts.state,
        "status": doc.status_label(facts.state),
        "status_note": doc.STATUS_NOTES.get(facts.state, "本协议书当前未生效。"),
        "status_date_label": doc.STATUS_DATE_LABELS.get(facts.state, "日期"),
        "status_date": doc.cn_date(facts.state_at),
        "valid": facts.state == doc.VERIFIED_EFFECTIVE,
        "employer": facts.employer.get("name") or "—",
        "student": mask_name(student.get("name")),
        "id_number": mask_id_number(student.get("id_number")),
        "school": facts.school_name,
        "education": student.get("education") or "—",
        "major": student.get("major") or "—",
        "position": terms.get("position") or "—",
        "work_place": facts.labels.get("work_region") or "—",
        "report_deadline": doc.cn_date(terms.get("report_deadline")),
        "effective_date": doc.cn_date(doc.effective_date(facts)),
        "content_hash": doc.content_hash(facts),
        "checked_at": to_china(utcnow()).strftime("%Y-%m-%d %H:%M"),
    }
