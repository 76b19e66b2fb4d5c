"""RQ jobs of the e-agreement: render one document; relay the owed ones (app/services/documents.py)."""
from __future__ import annotations

import logging

from app.jobs import in_app_context

log = logging.getLogger("wq.jobs")


@in_app_context
def render_document(document_id: int) -> bool:
    from app.services.documents import render

    return render(document_id)


@in_app_context
def relay_documents() -> int:
    """Enqueue every rendering owed whose lease has passed (Redis was down, a worker died)."""
    from app.services.documents import relay_due

    return relay_due()


# (function, seconds between runs) — read by `flask scheduler`.
DOCUMENT_SCHEDULE = [(relay_documents, 30)]
