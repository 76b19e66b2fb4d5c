"""The one executor of every workflow table (app/domain/workflow.py).

``load`` finds the subject within the actor's reach and locks its row; ``run`` checks the row
of the table (role, state, reason, guards), sets the state and the fields tied to it, appends
to the flow log, lets the database refuse what it must, and emits the event — all in the
caller's transaction, which the service commits. A workflow meets its model by subclassing
Runner and filling in the hooks.
"""
from __future__ import annotations

from abc import ABC, abstractmethod
from datetime import datetime
from typing import Any

from sqlalchemy import inspect, select

from app.clock import utcnow
from app.domain.actors import Actor
from app.domain.errors import NotFound
from app.domain.workflow import NEW, Transition, Workflow
from app.extensions import db
from app.models import FlowEntry
from app.services.bulk import update_alike
from app.services.constraints import flush_or_conflict
from app.services.flow import record_flow, record_flows


class Row:
    """A sweep's subject: the columns of its row as attributes, and what the hooks set since."""

    def __init__(self, values: Any) -> None:
        self.__dict__.update(values)
        self.__dict__["changes"] = {}

    def __setattr__(self, key: str, value: Any) -> None:
        self.changes[key] = value
        self.__dict__[key] = value


class Runner(ABC):
    workflow: Workflow
    model: Any
    not_found: tuple[str, str]  # the 404 for what the actor may not see, or what does not exist
    state_attr = "state"  # the model's column that holds the workflow's state

    def load(self, actor: Actor, subject_id: int, *, lock: bool = False) -> Any:
        """The subject if the actor may see it — locked for the transaction when asked; 404 otherwise."""
        query = select(self.model).where(self.model.id == subject_id)
        if lock:  # and read again under the lock, whatever this session saw before
            query = query.with_for_update().execution_options(populate_existing=True)
        subject = db.session.scalar(query)
        if subject is None or not self.owns(actor, subject):
            raise NotFound(*self.not_found)
        return subject

    def run(self, subject: Any, action: str, actor: Actor, reason: str | None = None, *,
            now: datetime | None = None) -> FlowEntry:
        now = now or utcnow()
        before = self.state_of(subject)
        row = self.workflow.check(action, before, self.roles(actor, subject),
                                  self.facts(subject, actor, now), reason)
        target = self.workflow.target(row, before, lambda s=subject: self.two_levels(s))
        setattr(subject, self.state_attr, self._member(target))
        self.enter(subject, row, before, target, now, reason)
        if before == NEW:
            db.session.add(subject)
        flush_or_conflict()
        flow_type, flow_id = self.flow_subject(subject)
        entry = record_flow(flow_type, flow_id, row.name, actor, None if before == NEW else before,
                            target, reason)
        flush_or_conflict()
        if row.event:
            self.emit(subject, row, entry.seq, reason)
        return entry

    def rows(self, query: Any) -> list[Row]:
        """A sweep's subjects read as rows (Core, no ORM objects): the query selects the model's
        columns, locked by the caller's FOR UPDATE, plus whatever the events name."""
        result = db.session.execute(query)
        keys = list(result.keys())
        return [Row(zip(keys, values, strict=True)) for values in result]

    def run_many(self, subjects: list[Row], action: str, actor: Actor, reason: str | None = None, *,
                 now: datetime | None = None) -> int:
        """run() for many subjects at once (a sweep), read by rows() and locked: the same table
        check and hooks per subject, then the rows that changed alike written by one UPDATE, the
        flow entries by one INSERT and the events by emit_many."""
        now = now or utcnow()
        done = []
        for subject in subjects:
            before = self.state_of(subject)
            row = self.workflow.check(action, before, self.roles(actor, subject),
                                      self.facts(subject, actor, now), reason)
            target = self.workflow.target(row, before, lambda s=subject: self.two_levels(s))
            setattr(subject, self.state_attr, self._member(target))
            self.enter(subject, row, before, target, now, reason)
            done.append((subject, row, before, target))
        self._update_alike([subject for subject, *_ in done], now)
        flush_or_conflict()  # whatever the hooks added (locks released, documents owed)
        seqs = record_flows(self.workflow.subject, [(self.flow_subject(s)[1], row.name, before, target)
                                                    for s, row, before, target in done], actor, reason)
        self.emit_many([(s, row, seqs[self.flow_subject(s)[1]]) for s, row, _, _ in done if row.event],
                       reason)
        return len(done)

    def _update_alike(self, subjects: list[Row], now: datetime) -> None:
        """The subjects' changed columns, alike ones by one UPDATE. The rows are locked by the
        caller, so the version column is bumped, not compared."""
        mapper = inspect(self.model)
        table = self.model.__table__
        also: dict[str, Any] = {"updated_at": now} if "updated_at" in mapper.columns else {}
        if mapper.version_id_col is not None:
            also[mapper.version_id_col.key] = table.c[mapper.version_id_col.key] + 1
        columns = set(mapper.columns.keys())
        update_alike(table, [(s.id, {k: v for k, v in s.changes.items() if k in columns})
                             for s in subjects], also)

    def allowed_actions(self, subject: Any, actor: Actor, now: datetime | None = None) -> list[str]:
        """What this actor may do with the subject now: the buttons a client shows."""
        if not self.owns(actor, subject):
            return []
        return self.workflow.allowed(self.state_of(subject), self.roles(actor, subject),
                                     self.facts(subject, actor, now or utcnow()))

    def _member(self, state: str) -> Any:
        """The model's enum member for a state of the table (the column's own type knows it)."""
        enum_class = getattr(inspect(self.model).columns[self.state_attr].type, "enum_class", None)
        return enum_class(state) if enum_class else state

    # Hooks --------------------------------------------------------------------------------

    @abstractmethod
    def owns(self, actor: Actor, subject: Any) -> bool:
        """Is the subject within the actor's reach at all?"""

    def state_of(self, subject: Any) -> str:
        state = getattr(subject, self.state_attr)
        return NEW if state is None else getattr(state, "value", state)

    def roles(self, actor: Actor, subject: Any) -> set[str]:
        """The account role, plus any relational role the actor holds on this subject."""
        return {actor.role}

    def facts(self, subject: Any, actor: Actor, now: datetime) -> Any:
        """What the guards read (computed lazily: only the guards of the row in play ask)."""
        return None

    def two_levels(self, subject: Any) -> bool:
        return False

    def enter(self, subject: Any, row: Transition, before: str, target: str, now: datetime,  # noqa: B027
              reason: str | None) -> None:  # an optional hook: a no-op unless a flow overrides it
        """Set the fields that depend on the state (the CHECK constraints tie them together)."""

    def flow_subject(self, subject: Any) -> tuple[str, int]:
        return self.workflow.subject, subject.id

    def emit_many(self, emitted: list[tuple[Any, Transition, int]], reason: str | None) -> None:
        """emit() for each (subject, row, occurrence) of run_many; flows override it to batch."""
        for subject, row, occurrence in emitted:
            self.emit(subject, row, occurrence, reason)

    def emit(self, subject: Any, row: Transition, occurrence: int, reason: str | None) -> None:  # noqa: B027
        """Tell whoever waits on this step (inbox + outbox, same transaction)."""
