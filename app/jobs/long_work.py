"""The RQ job of long work: run one LongJob row (app/services/long_work.py)."""
from __future__ import annotations

from app.jobs import in_app_context


@in_app_context
def run_long_job(job_id: int) -> None:
    from app.services.long_work import run

    run(job_id)
