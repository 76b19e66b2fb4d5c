"""What each flow-log entry says, for every workflow that writes one (one table per workflow)."""
from __future__ import annotations

from app.domain import destinations, paper, signing, termination, verification

ACTION_LABELS = {**verification.VERIFICATION.action_labels, **signing.SIGNING.action_labels,
                 **termination.TERMINATION.action_labels, **destinations.DESTINATION.action_labels,
                 **paper.PAPER.action_labels, **paper.PAPER_TERMINATION.action_labels}


def state_label(action: str, state: str | None) -> str:
    """The label of the state an entry led to, in the words of the workflow that wrote it."""
    if not state:
        return ""
    if action.startswith("destination_"):
        return destinations.STATE_LABELS.get(state, "")
    if action.startswith("paper_termination_"):
        return paper.TERMINATION_STATE_LABELS.get(state, "")
    if action.startswith("paper_"):
        return paper.STATE_LABELS.get(state, "")
    if action.startswith("termination_"):
        return termination.STATE_LABELS.get(state, "")
    if action in verification.VERIFICATION.action_labels:
        return verification.STATE_LABELS.get(state, "")
    return signing.STATE_LABELS.get(state, "")
