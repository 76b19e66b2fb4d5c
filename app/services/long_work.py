"""Long work 长任务: work too long for one request (a 20k-row roster, a 100k-row export, a
500-item batch approval) runs as an RQ job with a progress record.

A kind of work is a function registered with ``@kind(name, label, roles)``; it receives a
``WorkContext`` (who started it, ``progress()``, ``output_file()``) and the job's params, and
returns a JSON-able summary (``{"items": [...]}`` is shown as a per-item table). Runs inline
in the embedded default (JOBS_INLINE) and in RQ workers in production; the row is created and
committed before the job is enqueued, so a worker never looks for a row that is not there yet.
Only the person who started a job sees it (404 for anyone else).
"""
from __future__ import annotations

import importlib
import logging
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

from flask import current_app
from sqlalchemy import select, update

from app.clock import utcnow
from app.domain.actors import Actor
from app.domain.errors import DomainError, Forbidden, InvalidInput, NotFound
from app.extensions import db, redis_ext
from app.models import Account, LongJob, WorkState
from app.services.unit import transactional

log = logging.getLogger("wq.work")

# Modules whose import registers kinds of work (a worker imports them before running a job).
# Add yours on a line of its own.
KIND_MODULES: list[str] = [
    "app.services.review_batch",
    "app.services.review_export",
    "app.services.roster_jobs",
]
JOB_TIMEOUT = 3600  # s; a job still "running" after this was lost with its worker
PROGRESS_EVERY = 0.5  # s between committed progress updates
_KEY_CHARS = 32


@dataclass(frozen=True)
class WorkKind:
    name: str
    label: str  # what people call it: 导出签约名单, 批量审核通过, 导入学生名单
    run: Callable[[WorkContext, dict[str, Any]], dict[str, Any] | None]
    roles: frozenset[str]


KINDS: dict[str, WorkKind] = {}


def kind(name: str, label: str, roles: tuple[str, ...]) -> Callable:
    """Register a kind of long work; ``roles`` may start it."""

    def register(fn: Callable) -> Callable:
        KINDS[name] = WorkKind(name, label, fn, frozenset(roles))
        return fn

    return register


def load_kinds() -> None:
    for module in KIND_MODULES:
        importlib.import_module(module)


def label_of(name: str) -> str:
    load_kinds()
    return KINDS[name].label if name in KINDS else name


class WorkContext:
    """What a running kind of work may use: the actor, progress, a file for its result."""

    def __init__(self, job: LongJob, actor: Actor) -> None:
        self.job_id = job.id
        self.actor = actor
        self._last_commit = 0.0
        self.output: tuple[str, str] | None = None  # (storage key, download name)

    def progress(self, done: int, total: int | None = None, message: str | None = None,
                 force: bool = False) -> None:
        """Record how far the work is; committed at most every PROGRESS_EVERY seconds."""
        now = time.monotonic()
        if not force and now - self._last_commit < PROGRESS_EVERY:
            return
        values: dict[str, Any] = {"progress_done": max(0, done)}
        if total is not None:
            values["progress_total"] = max(0, total)
        if message is not None:
            values["message"] = message[:200]
        db.session.execute(update(LongJob).where(LongJob.id == self.job_id).values(**values)
                           .execution_options(synchronize_session=False))
        db.session.commit()
        self._last_commit = now

    def output_file(self, download_name: str, suffix: str) -> Path:
        """A fresh path to write the result file into; it is kept with the job when it succeeds."""
        key = f"{secrets.token_hex(_KEY_CHARS // 2)}{suffix}"
        self.output = (key, download_name)
        directory = result_dir()
        directory.mkdir(parents=True, exist_ok=True)
        return directory / key


def result_dir() -> Path:
    configured = current_app.config["WORK_RESULT_DIR"]
    return Path(configured) if configured else Path(current_app.instance_path) / "work-results"


def result_path(job: LongJob) -> Path:
    if not job.result_file or "/" in job.result_file or job.result_file.startswith("."):
        raise NotFound("WORK_RESULT_NOT_FOUND", "该任务没有可下载的结果")
    return result_dir() / job.result_file


PURGE_BATCH = 500
PURGED_MESSAGE = "结果文件已超过保留期限，已删除"


def purge_results() -> int:
    """Delete the result files of jobs finished more than WORK_RESULT_DAYS ago (exports hold
    students' personal data); the job stays listed, without its file. The row forgets the file
    before the file goes, so a download never finds a row whose file is missing."""
    cutoff = utcnow() - timedelta(days=int(current_app.config["WORK_RESULT_DAYS"]))
    purged = 0
    while True:
        rows = db.session.execute(select(LongJob.id, LongJob.result_file).where(
            LongJob.result_file.is_not(None), LongJob.finished_at < cutoff)
            .order_by(LongJob.id).limit(PURGE_BATCH)).all()
        if not rows:
            return purged
        db.session.execute(update(LongJob).where(LongJob.id.in_([r.id for r in rows])).values(
            result_file=None, result_filename=None, message=PURGED_MESSAGE)
            .execution_options(synchronize_session=False))
        db.session.commit()
        for row in rows:
            (result_dir() / row.result_file).unlink(missing_ok=True)
        purged += len(rows)


# -- starting and reading ---------------------------------------------------------------------

@transactional
def _create(actor: Actor, name: str, params: dict[str, Any]) -> LongJob:
    load_kinds()
    spec = KINDS.get(name)
    if spec is None:
        raise InvalidInput("UNKNOWN_WORK", "不支持的任务类型")
    if actor.role not in spec.roles or actor.account_id is None:
        raise Forbidden("ROLE_NOT_ALLOWED", "当前账号无权执行该任务")
    job = LongJob(kind=name, params=params, state=WorkState.QUEUED, progress_done=0,
                  created_by_id=actor.account_id, message="排队中")
    db.session.add(job)
    db.session.flush()
    return job


def start(actor: Actor, name: str, params: dict[str, Any]) -> LongJob:
    """Create the job (committed), then enqueue it; inline mode runs it before returning."""
    job = _create(actor, name, params)
    job_id = job.id
    queue = redis_ext.queue("default")
    # By name: services do not import the jobs layer; the worker imports it.
    queue.enqueue_call("app.jobs.long_work.run_long_job", args=(job_id,), timeout=JOB_TIMEOUT, result_ttl=0,
                       failure_ttl=7 * 86400, description=f"long job #{job_id} {name}")
    return db.session.get(LongJob, job_id, populate_existing=True)


def job_for(actor: Actor, job_id: int) -> LongJob:
    """The job if this actor started it; 404 otherwise."""
    job = db.session.get(LongJob, job_id, populate_existing=True)
    if job is None or job.created_by_id != actor.account_id:
        raise NotFound("WORK_NOT_FOUND", "任务不存在或无权查看")
    return job


def recent_jobs(actor: Actor, limit: int = 20) -> list[LongJob]:
    return list(db.session.scalars(select(LongJob).where(LongJob.created_by_id == actor.account_id)
                                   .order_by(LongJob.id.desc()).limit(limit)))


def is_lost(job: LongJob) -> bool:
    """Still marked running long after any job may run: its worker died."""
    started = job.started_at or job.created_at
    return job.state in (WorkState.QUEUED, WorkState.RUNNING) and \
        utcnow() - started > timedelta(seconds=JOB_TIMEOUT * 2)


# -- running (the RQ job) ----------------------------------------------------------------------

def run(job_id: int) -> None:
    """Claim a queued job and run its kind; every outcome ends on the row, never only in RQ."""
    load_kinds()
    claimed = db.session.execute(
        update(LongJob).where(LongJob.id == job_id, LongJob.state == WorkState.QUEUED)
        .values(state=WorkState.RUNNING, started_at=utcnow(), message="正在处理")
        .execution_options(synchronize_session=False))
    db.session.commit()
    if claimed.rowcount != 1:
        log.info("long job #%s: not queued any more (run twice?)", job_id)
        return
    job = db.session.get(LongJob, job_id, populate_existing=True)
    spec = KINDS.get(job.kind)
    account = db.session.get(Account, job.created_by_id)
    context = WorkContext(job, Actor.from_account(account))
    params = dict(job.params or {})
    try:
        if spec is None:
            raise InvalidInput("UNKNOWN_WORK", "不支持的任务类型")
        summary = spec.run(context, params)
    except DomainError as exc:
        db.session.rollback()
        _finish(job_id, context, error=exc.message)
    except Exception:  # a bug or an outage: the person sees that it failed, the log has why
        db.session.rollback()
        log.exception("long job #%s (%s) failed", job_id, job.kind)
        _finish(job_id, context, error="任务执行出错，请稍后重试；如仍失败请联系管理员")
    else:
        _finish(job_id, context, summary=summary or {})


def _finish(job_id: int, context: WorkContext, summary: dict | None = None,
            error: str | None = None) -> None:
    values: dict[str, Any] = {"finished_at": utcnow()}
    if error is None:
        values.update(state=WorkState.DONE, result=summary, message="已完成")
        if context.output is not None:
            values.update(result_file=context.output[0], result_filename=context.output[1])
    else:
        values.update(state=WorkState.FAILED, error=error[:500], message="失败")
        if context.output is not None:
            (result_dir() / context.output[0]).unlink(missing_ok=True)
    db.session.execute(update(LongJob).where(LongJob.id == job_id).values(**values)
                       .execution_options(synchronize_session=False))
    if error is None:  # the bar ends full
        db.session.execute(update(LongJob).where(LongJob.id == job_id, LongJob.progress_total.is_not(None))
                           .values(progress_done=LongJob.progress_total)
                           .execution_options(synchronize_session=False))
    db.session.commit()
