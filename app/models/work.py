"""Long work 长任务: a roster import, a large export or a batch approval run as a job, with the
progress the person who started it watches and a result they can come back to."""
from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from app.clock import utcnow
from app.extensions import db
from app.models.base import MYSQL_TABLE_ARGS, str_enum


class WorkState(str, enum.Enum):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


class LongJob(db.Model):
    __tablename__ = "long_jobs"
    __table_args__ = (
        CheckConstraint("state <> 'failed' OR error IS NOT NULL", name="failure_has_error"),
        CheckConstraint("state NOT IN ('done', 'failed') OR finished_at IS NOT NULL",
                        name="finished_has_time"),
        CheckConstraint("progress_done >= 0 AND (progress_total IS NULL OR progress_total >= 0)",
                        name="progress_nonneg"),
        CheckConstraint("(result_file IS NULL) = (result_filename IS NULL)", name="file_has_name"),
        Index("ix_long_jobs_owner", "created_by_id", "id"),
        MYSQL_TABLE_ARGS,
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(40))
    params: Mapped[dict[str, Any]] = mapped_column(JSON)
    state: Mapped[WorkState] = mapped_column(str_enum(WorkState, "work_state"), default=WorkState.QUEUED)
    progress_done: Mapped[int] = mapped_column(default=0)
    progress_total: Mapped[int | None] = mapped_column()
    message: Mapped[str | None] = mapped_column(String(200))  # the current step, for people
    result: Mapped[dict[str, Any] | None] = mapped_column(JSON)  # a summary, per-item outcomes
    result_file: Mapped[str | None] = mapped_column(String(80))  # storage key, never a user's name
    result_filename: Mapped[str | None] = mapped_column(String(120))  # the download's name
    error: Mapped[str | None] = mapped_column(String(500))
    created_by_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column()
    finished_at: Mapped[datetime | None] = mapped_column()
