"""流程追踪: append a hash-chained entry per transition; verify the chains.

Each entry carries an HMAC (key: FLOW_LOG_KEY) of its content and of the previous entry's
hash: whoever can write to the database but does not hold the key cannot change an entry and
re-chain the rest unnoticed.
"""
from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass
from types import SimpleNamespace

from flask import current_app
from sqlalchemy import func, select

from app.clock import utcnow
from app.domain.actors import Actor
from app.extensions import db
from app.models import FlowEntry

GENESIS = "0" * 64


def _payload(entry: FlowEntry) -> str:
    return json.dumps({
        "subject": [entry.subject_type, entry.subject_id, entry.seq],
        "action": entry.action, "from": entry.from_state, "to": entry.to_state,
        "actor": [entry.actor_id, entry.actor_name, entry.actor_role],
        "remark": entry.remark, "at": entry.created_at.isoformat(timespec="seconds"),
        "prev": entry.prev_hash,
    }, ensure_ascii=False, sort_keys=True)


def _digest(entry: FlowEntry) -> str:
    key = current_app.config["FLOW_LOG_KEY"].encode()
    return hmac.new(key, _payload(entry).encode(), hashlib.sha256).hexdigest()


def record_flow(subject_type: str, subject_id: int, action: str, actor: Actor,
                from_state: str | None = None, to_state: str | None = None,
                remark: str | None = None) -> FlowEntry:
    """Append to the subject's chain in the caller's transaction (the subject row is locked)."""
    last = db.session.execute(
        select(FlowEntry.seq, FlowEntry.hash)
        .where(FlowEntry.subject_type == subject_type, FlowEntry.subject_id == subject_id)
        .order_by(FlowEntry.seq.desc()).limit(1)).first()
    entry = FlowEntry(
        subject_type=subject_type, subject_id=subject_id, seq=(last.seq + 1) if last else 1,
        action=action, from_state=from_state, to_state=to_state, actor_id=actor.account_id,
        actor_name=actor.display_name, actor_role=actor.role, remark=remark,
        # whole seconds: MySQL DATETIME keeps no fraction, and the hash must survive storage
        created_at=utcnow().replace(microsecond=0), prev_hash=last.hash if last else GENESIS)
    entry.hash = _digest(entry)
    db.session.add(entry)
    return entry


def record_flows(subject_type: str, steps: list[tuple[int, str, str | None, str | None]],
                 actor: Actor, remark: str | None = None) -> dict[int, int]:
    """record_flow for many subjects (locked by the caller), one step each: steps are (subject
    id, action, from state, to state). One read of the chains' heads, one INSERT; returns
    subject id → the new entry's seq."""
    if not steps:
        return {}
    ids = [subject_id for subject_id, *_ in steps]
    latest = (select(FlowEntry.subject_id, func.max(FlowEntry.seq).label("seq"))
              .where(FlowEntry.subject_type == subject_type, FlowEntry.subject_id.in_(ids))
              .group_by(FlowEntry.subject_id).subquery())
    heads = {row.subject_id: (row.seq, row.hash) for row in db.session.execute(
        select(FlowEntry.subject_id, FlowEntry.seq, FlowEntry.hash).join(
            latest, (FlowEntry.subject_id == latest.c.subject_id) & (FlowEntry.seq == latest.c.seq))
        .where(FlowEntry.subject_type == subject_type))}
    at = utcnow().replace(microsecond=0)
    rows = []
    for subject_id, action, from_state, to_state in steps:
        seq, prev = heads.get(subject_id, (0, GENESIS))
        entry = SimpleNamespace(
            subject_type=subject_type, subject_id=subject_id, seq=seq + 1, action=action,
            from_state=from_state, to_state=to_state, actor_id=actor.account_id,
            actor_name=actor.display_name, actor_role=actor.role, remark=remark, created_at=at,
            prev_hash=prev)
        entry.hash = _digest(entry)
        rows.append(vars(entry))
    db.session.execute(FlowEntry.__table__.insert(), rows)  # Core: a sweep's thousands of rows
    return {row["subject_id"]: row["seq"] for row in rows}


def first_flow_row(subject_type: str, subject_id: int, action: str, actor: Actor,
                   to_state: str | None = None, remark: str | None = None) -> dict:
    """The column values of a subject's first entry, hash included (for a bulk INSERT)."""
    entry = SimpleNamespace(
        subject_type=subject_type, subject_id=subject_id, seq=1, action=action, from_state=None,
        to_state=to_state, actor_id=actor.account_id, actor_name=actor.display_name,
        actor_role=actor.role, remark=remark, created_at=utcnow().replace(microsecond=0),
        prev_hash=GENESIS)
    entry.hash = _digest(entry)
    return vars(entry)


def record_first_flow(subject_type: str, subject_id: int, action: str, actor: Actor,
                      to_state: str | None = None, remark: str | None = None) -> FlowEntry:
    """The first entry of a subject just created in this transaction: no chain to look up."""
    entry = FlowEntry(
        subject_type=subject_type, subject_id=subject_id, seq=1, action=action, from_state=None,
        to_state=to_state, actor_id=actor.account_id, actor_name=actor.display_name,
        actor_role=actor.role, remark=remark, created_at=utcnow().replace(microsecond=0),
        prev_hash=GENESIS)
    entry.hash = _digest(entry)
    db.session.add(entry)
    return entry


def flow_of(subject_type: str, subject_id: int) -> list[FlowEntry]:
    return list(db.session.scalars(
        select(FlowEntry).where(FlowEntry.subject_type == subject_type,
                                FlowEntry.subject_id == subject_id).order_by(FlowEntry.seq)))


@dataclass
class ChainBreak:
    subject_type: str
    subject_id: int
    seq: int
    problem: str


def verify_flow_log(batch: int = 5000) -> tuple[int, list[ChainBreak]]:
    """Walk every chain in (subject, seq) order; report each entry whose hash or link is wrong."""
    breaks: list[ChainBreak] = []
    checked = 0
    previous: FlowEntry | None = None
    last_key = (None, None, None)
    while True:
        query = select(FlowEntry).order_by(FlowEntry.subject_type, FlowEntry.subject_id,
                                           FlowEntry.seq).limit(batch)
        if last_key[0] is not None:
            t, s, q = last_key
            query = query.where(
                (FlowEntry.subject_type > t)
                | ((FlowEntry.subject_type == t) & (FlowEntry.subject_id > s))
                | ((FlowEntry.subject_type == t) & (FlowEntry.subject_id == s) & (FlowEntry.seq > q)))
        rows = db.session.scalars(query).all()
        if not rows:
            return checked, breaks
        for entry in rows:
            same_chain = previous is not None and (previous.subject_type, previous.subject_id) == (
                entry.subject_type, entry.subject_id)
            expected_prev = previous.hash if same_chain else GENESIS
            expected_seq = previous.seq + 1 if same_chain else 1
            where = (entry.subject_type, entry.subject_id, entry.seq)
            if entry.seq != expected_seq:
                breaks.append(ChainBreak(*where, f"序号不连续（应为 {expected_seq}）"))
            if entry.prev_hash != expected_prev:
                breaks.append(ChainBreak(*where, "前一条记录的哈希不匹配（记录被删除或改动）"))
            if not hmac.compare_digest(_digest(entry), entry.hash):
                breaks.append(ChainBreak(*where, "记录内容与哈希不符（记录被篡改）"))
            previous = entry
            checked += 1
        last_key = (rows[-1].subject_type, rows[-1].subject_id, rows[-1].seq)
        db.session.expunge_all()


def entry_hash(entry: FlowEntry) -> str:
    """What an entry's hash must be, for checking one chain (the reviewer's detail page)."""
    return _digest(entry)
