"""The roster upload as long work: check an uploaded roster (per-row report), then on the
reviewer's confirmation import it — each an RQ job with a progress bar (app/services/long_work.py).

The file waits in Redis between the two (roster.stage_upload); the import checks every row again
(the school's data may have changed meanwhile) and is still all or nothing.
"""
from __future__ import annotations

from typing import Any

from app.domain.actors import Actor
from app.domain.errors import Conflict
from app.models import LongJob, WorkState
from app.services import long_work, roster

CHECK, IMPORT = "roster_check", "roster_import"
ROLES = ("school_reviewer",)
MAX_SHOWN = 1000  # problems kept with the job; the count says how many there were


def _problems(report: roster.RosterReport) -> list[dict[str, Any]]:
    return [{"row": p.row, "column": p.column, "message": p.message} for p in report.problems[:MAX_SHOWN]]


def _progress(ctx: long_work.WorkContext):
    labels = {"校验": "正在校验", "写入": "正在写入数据库"}

    def report(done: int, total: int, what: str) -> None:
        ctx.progress(done, total, labels.get(what, what), force=what == "写入")

    return report


@long_work.kind(CHECK, "校验学生花名册", ROLES)
def run_check(ctx: long_work.WorkContext, params: dict[str, Any]) -> dict[str, Any]:
    staged = roster.staged_upload(ctx.actor, params["token"])
    try:
        report = roster.import_roster(staged.school_code, staged.content, staged.filename, check_only=True,
                                      progress=_progress(ctx))
    except roster.RosterError as exc:
        return {"summary": exc.message, "token": staged.token, "filename": staged.filename, "ready": 0,
                "problem_count": 0, "problems": [], "file_error": exc.message,
                "back_url": params.get("page")}
    if report.problems:
        summary = f"校验未通过：{len(report.problems)} 处错误，请修改后重新上传"
    else:
        summary = f"校验通过：共 {report.ready} 名学生，请确认导入"
    return {"summary": summary, "token": staged.token, "filename": staged.filename, "ready": report.ready,
            "problem_count": len(report.problems), "problems": _problems(report),
            "back_url": params.get("page")}


@long_work.kind(IMPORT, "导入学生花名册", ROLES)
def run_import(ctx: long_work.WorkContext, params: dict[str, Any]) -> dict[str, Any]:
    staged = roster.staged_upload(ctx.actor, params["token"])
    try:
        report = roster.import_roster(staged.school_code, staged.content, staged.filename,
                                      progress=_progress(ctx))
    except roster.RosterError as exc:
        raise Conflict("ROSTER_IMPORT_FAILED", exc.message) from exc
    if report.problems:
        return {"summary": f"导入失败：{len(report.problems)} 处错误，未导入任何学生",
                "imported": 0, "problem_count": len(report.problems), "problems": _problems(report),
                "filename": staged.filename, "back_url": params.get("page")}
    roster.discard_upload(staged.token)
    return {"summary": f"导入成功：{report.imported} 名学生", "imported": report.imported,
            "problem_count": 0, "problems": [], "filename": staged.filename, "back_url": params.get("page")}


def start_check(actor: Actor, school_id: int, content: bytes, filename: str, page: str) -> LongJob:
    """Keep the upload and start its check; ``page`` is where the result is read."""
    staged = roster.stage_upload(actor, school_id, content, filename)
    return long_work.start(actor, CHECK, {"token": staged.token, "school_id": school_id, "page": page,
                                          "filename": staged.filename})


def start_import(actor: Actor, check_job_id: int, page: str) -> LongJob:
    """Import what a passed check checked (the check job names the upload)."""
    check = long_work.job_for(actor, check_job_id)
    result = check.result or {}
    if check.kind != CHECK or check.state != WorkState.DONE or result.get("problem_count") \
            or not result.get("ready"):
        raise Conflict("ROSTER_NOT_CHECKED", "该花名册尚未通过校验，不能导入")
    staged = roster.staged_upload(actor, result["token"])  # expired or already imported: 404
    return long_work.start(actor, IMPORT, {"token": staged.token, "school_id": staged.school_id,
                                           "check_job": check.id, "page": page, "filename": staged.filename})


def roster_jobs(actor: Actor, limit: int = 10) -> list[LongJob]:
    return [job for job in long_work.recent_jobs(actor, 50) if job.kind in (CHECK, IMPORT)][:limit]
