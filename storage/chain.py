"""Streaming reads of the event chain, for verification and export.

Events are read in ``seq`` order through the ``(campaign_id, seq)`` unique
index with ``yield_per`` (a server-side cursor on PostgreSQL), so walking a
chain of millions of events holds only one batch in memory.
"""

from __future__ import annotations

from collections.abc import Iterator

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from storage.audit import StoredEvent
from storage.models import Event, Filing, Record

BATCH = 2000

_COLUMNS = (
    Event.seq, Event.at, Event.actor, Event.office, Event.action, Event.from_state,
    Event.to_state, Event.reason, Event.detail, Event.prev_hash, Event.hash, Event.section_id,
)


def iter_events(s: Session, campaign_id: int) -> Iterator[StoredEvent]:
    """The campaign's events in seq order; use with ``contextlib.closing`` if you may stop early."""
    q = (
        select(*_COLUMNS)
        .where(Event.campaign_id == campaign_id)
        .order_by(Event.seq)  # type: ignore[arg-type]
        .execution_options(yield_per=BATCH)
    )
    result = s.execute(q)
    try:
        for row in result:
            yield StoredEvent(*row)
    finally:  # a server-side cursor must be closed even when the caller stops early
        result.close()


def event_by_hash(s: Session, campaign_id: int, digest: str) -> StoredEvent | None:
    q = select(*_COLUMNS).where(Event.campaign_id == campaign_id, Event.hash == digest).limit(1)
    row = s.execute(q).first()
    return StoredEvent(*row) if row else None


def record_states(s: Session, campaign_id: int) -> dict[int, str]:
    """``{section_id: state}`` as the record table has it."""
    q = select(Record.section_id, Record.state).where(Record.campaign_id == campaign_id)
    return dict(s.execute(q).all())  # type: ignore[arg-type]


def filing_counts(s: Session, campaign_id: int) -> dict[tuple[int | None, str], int]:
    q = (
        select(Filing.section_id, Filing.requirement, func.count())
        .where(Filing.campaign_id == campaign_id)
        .group_by(Filing.section_id, Filing.requirement)
    )
    return {(sid, req): n for sid, req, n in s.execute(q)}
