"""长任务 pages: a job's progress (polled with htmx), its result, the list of my recent jobs."""
from __future__ import annotations

from flask import Blueprint, send_file

from app.models import WorkState
from app.services import long_work
from app.web.base import STAFF, current_actor, render, role_required

bp = Blueprint("work", __name__, url_prefix="/work")


@bp.get("")
@role_required(*STAFF)
def jobs():
    """My recent long jobs, newest first."""
    items = long_work.recent_jobs(current_actor())
    return render("work/list.html", jobs=items, label_of=long_work.label_of, lost=long_work.is_lost)


@bp.get("/<int:job_id>")
@role_required(*STAFF)
def job(job_id: int):
    """One job: a progress bar while it runs (the block "progress" is what htmx polls), then
    its result."""
    item = long_work.job_for(current_actor(), job_id)
    running = item.state in (WorkState.QUEUED, WorkState.RUNNING) and not long_work.is_lost(item)
    return render("work/job.html", fragment="progress", job=item, running=running,
                  label=long_work.label_of(item.kind), lost=long_work.is_lost(item))


@bp.get("/<int:job_id>/download")
@role_required(*STAFF)
def download(job_id: int):
    """The job's result file, for the person who started it."""
    item = long_work.job_for(current_actor(), job_id)
    path = long_work.result_path(item)
    if item.state != WorkState.DONE or not path.is_file():
        from app.domain.errors import NotFound

        raise NotFound("WORK_RESULT_NOT_FOUND", "该任务没有可下载的结果")
    return send_file(path, as_attachment=True, download_name=item.result_filename,
                     max_age=0, conditional=False)
