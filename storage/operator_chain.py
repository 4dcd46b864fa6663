"""The operators' own chain (``operator_event``): every change of an operator (add, role,
disable), hashed exactly like a campaign's events (docs/audit.md) under the chain name
``(operators)``, with ``office`` holding the operator's name."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime
from typing import Any

from sqlalchemy import Column, Text, func, select, text
from sqlalchemy.orm import Session
from sqlmodel import Field, SQLModel, col

from storage import audit
from storage.columns import UTCDateTime
from workflow.errors import OPERATORS_CHAIN

GENESIS = audit.GENESIS
dumps = audit.dumps


class OperatorEvent(SQLModel, table=True):
    """One change of an operator (add, role, disable), chained like a campaign's events."""

    __tablename__ = "operator_event"

    id: int = Field(default=None, primary_key=True)  # None until inserted; typed as the stored value
    seq: int = Field(unique=True)
    at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    actor: str
    name: str  # the operator concerned
    action: str  # user-add | user-role | user-disable
    from_state: str | None = None  # role before
    to_state: str | None = None  # role after
    reason: str | None = None
    detail: str = Field(sa_column=Column(Text, nullable=False))
    prev_hash: str
    hash: str


def event_hash(
    *,
    seq: int,
    at: datetime,
    actor: str,
    name: str,
    action: str,
    from_state: str | None,
    to_state: str | None,
    reason: str | None,
    detail: dict[str, Any],
    prev: str,
) -> str:
    return audit.digest(
        audit.canonical(
            campaign=OPERATORS_CHAIN,
            seq=seq,
            at=at,
            actor=actor,
            office=name,
            action=action,
            from_state=from_state,
            to_state=to_state,
            reason=reason,
            detail=detail,
            prev=prev,
        )
    )


def append_event(
    s: Session,
    *,
    action: str,
    name: str,
    actor: str,
    at: datetime,
    from_state: str | None = None,
    to_state: str | None = None,
    reason: str | None = None,
    detail: dict[str, Any] | None = None,
) -> None:
    """Append to the operators' chain (under the database's clock lock, like every event)."""
    from storage import clock, events_repo

    clock.lock(s)
    detail = {**events_repo.stamp(s, clock.record(s)), **(detail or {})}
    if s.get_bind().dialect.name != "sqlite":
        detail["db_user"] = s.execute(text("SELECT session_user")).scalar()
    head = s.execute(
        select(OperatorEvent.seq, OperatorEvent.hash).order_by(col(OperatorEvent.seq).desc()).limit(1)
    ).first()
    seq, prev = (head[0] + 1, head[1]) if head else (1, GENESIS)
    digest = event_hash(
        seq=seq,
        at=at,
        actor=actor,
        name=name,
        action=action,
        from_state=from_state,
        to_state=to_state,
        reason=reason,
        detail=detail,
        prev=prev,
    )
    s.add(
        OperatorEvent(
            seq=seq,
            at=at,
            actor=actor,
            name=name,
            action=action,
            from_state=from_state,
            to_state=to_state,
            reason=reason,
            detail=dumps(detail),
            prev_hash=prev,
            hash=digest,
        )
    )
    s.flush()


def iter_events(s: Session) -> Iterator[audit.StoredEvent]:
    q = select(
        OperatorEvent.seq,
        OperatorEvent.at,
        OperatorEvent.actor,
        OperatorEvent.name,
        OperatorEvent.action,
        OperatorEvent.from_state,
        OperatorEvent.to_state,
        OperatorEvent.reason,
        OperatorEvent.detail,
        OperatorEvent.prev_hash,
        OperatorEvent.hash,
    ).order_by(OperatorEvent.seq)
    for row in s.execute(q):
        yield audit.StoredEvent(*row)


def event_by_hash(s: Session, digest: str) -> audit.StoredEvent | None:
    for ev in iter_events(s):
        if ev.hash == digest:
            return ev
    return None


def count_events(s: Session) -> int:
    return s.execute(select(func.count()).select_from(OperatorEvent)).scalar_one()


def parse_detail(raw: str) -> dict[str, Any]:
    try:
        value = json.loads(raw) if raw else {}
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}
