"""One shape for every workflow: a table of transitions, checked the same way everywhere.

A row says which verb callers use (``approve``), the states it leaves from, where it goes (a
state, or SAME / FIRST_REVIEW resolved per subject), which roles may take it — account roles,
or relational roles such as ``other_party`` that the service grants per subject —, what the
flow log calls it, whether a reason is needed, the event it emits, and its guards: predicates
over the subject's facts that answer why not (a DomainError) or None.

One verb may have several rows, one per source state (``approve`` in college review is the
college's, in school review the school's). Signing, termination and employer verification are
tables here; the paper and other-destination flows will be tables too. The one executor is
``app.services.workflow``.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from app.domain.errors import Conflict, DomainError, Forbidden, InvalidInput

NEW = "<new>"  # the source of a row that creates its subject
SAME = "<same>"  # the target of a row that changes terms, not state
FIRST_REVIEW = "<first-review>"  # college review with two review levels, else school review

Guard = Callable[[Any], DomainError | None]


@dataclass(frozen=True)
class Transition:
    action: str
    sources: frozenset[str]
    target: str
    roles: frozenset[str]
    label: str  # what the flow log says happened
    name: str  # the flow log's action code
    reason_required: bool = False
    event: str | None = None  # the notification emitted after the change
    guards: tuple[Guard, ...] = ()
    offered: bool = True  # False: taken by the system on behalf of another step, never a button


def transition(action: str, sources: Iterable[str], target: str, roles: Iterable[str], label: str, *,
               name: str | None = None, reason_required: bool = False, event: str | None = None,
               guards: Iterable[Guard] = (), offered: bool = True) -> Transition:
    return Transition(action, frozenset(sources), target, frozenset(roles), label, name or action,
                      reason_required, event, tuple(guards), offered)


def _wrong_state(workflow: "Workflow", state: str, row: Transition) -> DomainError:
    return Conflict("INVALID_STATE",
                    f"当前状态为“{workflow.labels.get(state, state)}”，不能执行“{row.label}”")


class Workflow:
    """A state machine as data: its states, their labels and its transition rows."""

    extra_targets: frozenset[str] = frozenset()  # sentinels a subclass resolves in target()

    def __init__(self, subject: str, states: Iterable[str], labels: dict[str, str],
                 final: Iterable[str], rows: Iterable[Transition],
                 wrong_state: Callable[["Workflow", str, Transition], DomainError] = _wrong_state) -> None:
        self.subject = subject
        self.states = tuple(states)
        self.labels = labels
        self.final = frozenset(final)
        self.rows = tuple(rows)
        self.wrong_state = wrong_state
        self.by_action: dict[str, list[Transition]] = {}
        for row in self.rows:
            self.by_action.setdefault(row.action, []).append(row)
        self._check_table()

    def _check_table(self) -> None:
        known = set(self.states)
        seen: set[tuple[str, str]] = set()
        for row in self.rows:
            assert row.sources <= known | {NEW}, (row.name, row.sources - known)
            assert row.target in known | {SAME, FIRST_REVIEW} | self.extra_targets, (row.name, row.target)
            assert not row.sources & self.final, (row.name, "leaves a final state")
            for source in row.sources:
                assert (row.action, source) not in seen, (row.action, source)
                seen.add((row.action, source))

    @property
    def action_labels(self) -> dict[str, str]:
        """Flow-log action code → what it says."""
        return {row.name: row.label for row in self.rows}

    def row(self, action: str, state: str) -> Transition | None:
        return next((r for r in self.by_action.get(action, ()) if state in r.sources), None)

    def target(self, row: Transition, state: str, two_levels: bool | Callable[[], bool]) -> str:
        """two_levels may be a callable: it is asked only by a row that enters the first review
        (the school's setting is a read a sweep of 500 expiries need not make)."""
        if row.target == SAME:
            return state
        if row.target == FIRST_REVIEW:
            levels = two_levels() if callable(two_levels) else two_levels
            return "college_review" if levels else "school_review"
        return row.target

    def check(self, action: str, state: str, roles: set[str], facts: Any,
              reason: str | None = None) -> Transition:
        """The row this actor may take now, or the refusal a user understands."""
        rows = self.by_action.get(action)
        if not rows:
            raise KeyError(f"{self.subject} has no action {action!r}")
        if not any(r.roles & roles for r in rows):
            raise Forbidden("ACTION_NOT_ALLOWED", "你无权执行此操作")
        row = self.row(action, state)
        if row is None:
            raise self.wrong_state(self, state, rows[0])
        if not row.roles & roles:
            raise Forbidden("ACTION_NOT_ALLOWED", "你无权执行此操作")
        if row.reason_required and not (reason or "").strip():
            raise InvalidInput("REASON_REQUIRED", "请填写原因", {"reason": "请填写原因"})
        for guard in row.guards:
            refusal = guard(facts)
            if refusal is not None:
                raise refusal
        return row

    def allowed(self, state: str, roles: set[str], facts: Any) -> list[str]:
        """The verbs this actor may take now: what a client shows as buttons."""
        return [r.action for r in self.rows
                if r.offered and state in r.sources and r.roles & roles
                and all(g(facts) is None for g in r.guards)]
