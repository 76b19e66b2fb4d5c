"""The landing page after log-in, per role."""
from __future__ import annotations

from flask import redirect, url_for

from app.services import paper_review, review_destinations, review_queue
from app.web.base import STAFF, current_actor, render, role_required, web


@web.get("/")
@role_required(*STAFF)
def home():
    """Reviewers: what waits for me and what is past the service level; admins: shortcuts."""
    actor = current_actor()
    if actor.role in review_queue.REVIEWER_ROLES:
        return render("home/reviewer.html", counts=review_queue.home_counts(actor),
                      destinations_waiting=review_destinations.waiting_count(actor),
                      paper=paper_review.home_counts(actor))
    return render("home/admin.html", employers_pending=review_queue.pending_verifications_count())


@web.get("/home")
def home_alias():
    """Old bookmarks."""
    return redirect(url_for("web.home"))
