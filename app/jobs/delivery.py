"""RQ jobs that push the outbox to WeChat; the work is app/services/delivery.py.

``deliver_batch(ids)`` is what the outbox enqueues (a batch of rows per job: one claim commit,
the sends over the kept-alive WeChat session, one record commit); ``deliver(id)`` serves jobs
enqueued one row at a time; ``relay_outbox`` is the scheduler's every-30-s relay.
"""
from __future__ import annotations

from app.jobs import in_app_context


@in_app_context
def deliver_batch(outbox_ids: list[int]) -> dict[int, str]:
    """Push a batch of outbox rows; safe to run any number of times, concurrently."""
    from app.services.delivery import deliver_batch as run

    return run(outbox_ids)


@in_app_context
def deliver(outbox_id: int) -> str:
    """Push one outbox row (a job enqueued before batches, or by hand)."""
    from app.services.delivery import deliver_batch as run

    return run([outbox_id])[outbox_id]


@in_app_context
def relay_outbox() -> int:
    """Enqueue every outbox row that is due and not owned by a live job (see services/outbox)."""
    from app.services.outbox import relay_due

    return relay_due()


# (function, seconds between runs) for `flask scheduler`, next to app.jobs.sweeps.SCHEDULE.
DELIVERY_SCHEDULE = [(relay_outbox, 30)]
