"""批量审核通过: approve many signings at once, each its own transaction, with a result per item
(one refusal never undoes another's approval). Large batches run as long work."""
from __future__ import annotations

from dataclasses import asdict, dataclass

from sqlalchemy import select

from app.domain.actors import Actor
from app.domain.errors import DomainError, InvalidInput
from app.extensions import db
from app.models import Invitation, Student
from app.services import long_work, reviews

MAX_BATCH = 500
DIRECT_MAX = 20  # up to this many in the request; more as a long job
API_MAX = 100  # the review API runs a batch in the request: phones send small ones


@dataclass
class ItemResult:
    id: int
    ok: bool
    label: str
    message: str | None = None
    agreement_no: str | None = None


def check_ids(ids: list[int]) -> list[int]:
    unique = list(dict.fromkeys(int(i) for i in ids))
    if not unique:
        raise InvalidInput("NOTHING_SELECTED", "请先勾选要审核的记录", {"ids": "请选择记录"})
    if len(unique) > MAX_BATCH:
        raise InvalidInput("BATCH_TOO_LARGE", f"一次最多批量审核{MAX_BATCH}条", {"ids": f"最多{MAX_BATCH}条"})
    return unique


def _labels(ids: list[int]) -> dict[int, str]:
    """Student number and name per invitation, in one query (only the actor's own are shown)."""
    rows = db.session.execute(select(Invitation.id, Student.student_no, Student.name)
                              .join(Student, Student.id == Invitation.student_id)
                              .where(Invitation.id.in_(ids))).all()
    return {r.id: f"{r.student_no} {r.name}" for r in rows}


def approve_many(actor: Actor, ids: list[int], progress=None) -> list[ItemResult]:
    """Approve each signing at the actor's level; refusals (not yours, wrong state) per item."""
    ids = check_ids(ids)
    labels = _labels(ids)
    results = []
    for done, invitation_id in enumerate(ids):
        try:
            invitation = reviews.approve_signing(actor, invitation_id)
        except DomainError as exc:
            # Outside the reviewer's reach reads like any unknown id: no name leaks.
            label = labels.get(invitation_id, f"#{invitation_id}") if exc.kind != "not_found" \
                else f"#{invitation_id}"
            results.append(ItemResult(invitation_id, False, label, exc.message))
        else:
            effective = invitation.state.value == "effective"
            message = f"已生效，协议书编号 {invitation.agreement_no}" if effective else "审核通过"
            results.append(ItemResult(invitation_id, True, labels.get(invitation_id, f"#{invitation_id}"),
                                      message, invitation.agreement_no))
        if progress is not None:
            progress(done + 1, len(ids))
    return results


def summary(results: list[ItemResult]) -> str:
    ok = sum(r.ok for r in results)
    return f"共{len(results)}条：成功{ok}条，失败{len(results) - ok}条"


@long_work.kind("batch_approve_signings", "批量审核通过", ("college_reviewer", "school_reviewer"))
def _run(ctx: long_work.WorkContext, params: dict) -> dict:
    results = approve_many(ctx.actor, params["ids"],
                           progress=lambda done, total: ctx.progress(done, total, "正在审核"))
    return {"summary": summary(results), "items": [asdict(r) for r in results],
            "back_url": params.get("back_url")}
