"""Streaming reads of the event chain, for verification and export.

Events are read in ``seq`` order through the ``(campaign_id, seq)`` unique
index with ``yield_per`` (a server-side cursor on PostgreSQL), so walking a
chain of millions of events holds only one batch in memory.
"""

from __future__ import annotations

from collections.abc import Generator, Iterator
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session
from sqlmodel import col

from storage.audit import StoredEvent
from storage.event_models import Event
from storage.extension_models import Extension
from storage.ledger_models import Inspection, RectificationItem
from storage.models import Filing, Record, Section
from storage.reminders_models import Deadline
from storage.score_models import ScoreEntry
from storage.sender_models import OfficeSender

BATCH = 2000

_COLUMNS = (
    Event.seq,
    Event.at,
    Event.actor,
    Event.office,
    Event.action,
    Event.from_state,
    Event.to_state,
    Event.reason,
    Event.detail,
    Event.prev_hash,
    Event.hash,
    Event.section_id,
)


def iter_events(s: Session, campaign_id: int) -> Generator[StoredEvent, None, None]:
    """The campaign's events in seq order; use with ``contextlib.closing`` if you may stop early."""
    q = (
        select(*_COLUMNS)
        .where(Event.campaign_id == campaign_id)
        .order_by(Event.seq)
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


def head(s: Session, campaign_id: int) -> StoredEvent | None:
    """The campaign's last event (highest seq), or None for an empty chain."""
    q = select(*_COLUMNS).where(Event.campaign_id == campaign_id).order_by(col(Event.seq).desc()).limit(1)
    row = s.execute(q).first()
    return StoredEvent(*row) if row else None


def record_states(s: Session, campaign_id: int) -> dict[int, str]:
    """``{section_id: state}`` as the record table has it."""
    q = select(Record.section_id, Record.state).where(Record.campaign_id == campaign_id)
    return dict(s.execute(q).all())


def filing_counts(s: Session, campaign_id: int) -> dict[tuple[int | None, str], int]:
    q = (
        select(Filing.section_id, Filing.requirement, func.count())
        .where(Filing.campaign_id == campaign_id)
        .group_by(Filing.section_id, Filing.requirement)
    )
    return {(sid, req): n for sid, req, n in s.execute(q)}


# -- the rows decisions rest on, as stored (for audit verify's re-derivation) ----------
def _stream(s: Session, q: Any) -> Iterator[tuple[Any, ...]]:
    result = s.execute(q.execution_options(yield_per=BATCH))
    try:
        for row in result:
            yield tuple(row)
    finally:
        result.close()


def section_rows(s: Session, campaign_id: int) -> Iterator[tuple[Any, ...]]:
    """``(id, name, email, head, tags, retired)`` of every section of the campaign."""
    return _stream(
        s,
        select(
            Section.id,
            Section.name,
            Section.email,
            Section.head,
            Section.tags,
            col(Section.retired_at).is_not(None),
        )
        .where(Section.campaign_id == campaign_id)
        .order_by(Section.id),
    )


def filing_rows(
    s: Session, campaign_id: int, key: tuple[Any, ...] | None = None
) -> Iterator[tuple[Any, ...]]:
    """``(id, section_id, requirement, sha256, filename, size, note, actor, at)``."""
    q = select(
        Filing.id,
        Filing.section_id,
        Filing.requirement,
        Filing.sha256,
        Filing.filename,
        Filing.size,
        Filing.note,
        Filing.actor,
        Filing.at,
    ).where(Filing.campaign_id == campaign_id)
    if key is not None:
        sid, req = key
        q = q.where(
            col(Filing.section_id).is_(None) if sid is None else Filing.section_id == sid,
            Filing.requirement == req,
        )
    return _stream(s, q.order_by(Filing.id))


def score_rows(s: Session, campaign_id: int, key: tuple[Any, ...] | None = None) -> Iterator[tuple[Any, ...]]:
    """``(id, section_id, grp, scorer, hundredths, vote, count, actor, at)``."""
    q = select(
        ScoreEntry.id,
        ScoreEntry.section_id,
        ScoreEntry.grp,
        ScoreEntry.scorer,
        ScoreEntry.hundredths,
        ScoreEntry.vote,
        ScoreEntry.count,
        ScoreEntry.actor,
        ScoreEntry.at,
    ).where(ScoreEntry.campaign_id == campaign_id)
    if key is not None:
        q = q.where(ScoreEntry.section_id == key[0], ScoreEntry.grp == key[1])
    return _stream(s, q.order_by(ScoreEntry.id))


def extension_rows(
    s: Session, campaign_id: int, key: tuple[Any, ...] | None = None
) -> Iterator[tuple[Any, ...]]:
    """``(id, section_id, requirement, from_due, to_due, reason, actor, at)``."""
    q = select(
        Extension.id,
        Extension.section_id,
        Extension.requirement,
        Extension.from_due,
        Extension.to_due,
        Extension.reason,
        Extension.actor,
        Extension.at,
    ).where(Extension.campaign_id == campaign_id)
    if key is not None:
        q = q.where(Extension.section_id == key[0], Extension.requirement == key[1])
    return _stream(s, q.order_by(Extension.id))


def inspection_rows(
    s: Session, campaign_id: int, key: tuple[Any, ...] | None = None
) -> Iterator[tuple[Any, ...]]:
    """``(id, section_id, id, kind, on, finding, actor, at)`` (keyed by section)."""
    q = select(
        Inspection.id,
        Inspection.section_id,
        Inspection.id,
        Inspection.kind,
        Inspection.on,
        Inspection.finding,
        Inspection.actor,
        Inspection.at,
    ).where(Inspection.campaign_id == campaign_id)
    if key is not None:
        q = q.where(Inspection.section_id == key[0])
    return _stream(s, q.order_by(Inspection.id))


ITEM_FIELDS = (
    "section_id",
    "source",
    "text",
    "due",
    "status",
    "inspection_id",
    "evidence_sha256",
    "evidence_filename",
    "note",
    "return_reason",
    "created_by",
    "created_at",
    "updated_by",
    "updated_at",
    "done_at",
    "confirmed_at",
)


def item_rows(s: Session, campaign_id: int) -> Iterator[tuple[Any, ...]]:
    """``(id, *ITEM_FIELDS)`` of every rectification item of the campaign."""
    cols = [getattr(RectificationItem, f) for f in ITEM_FIELDS]
    return _stream(
        s,
        select(RectificationItem.id, *cols)
        .where(RectificationItem.campaign_id == campaign_id)
        .order_by(RectificationItem.id),
    )


def section_events(
    s: Session, campaign_id: int, section_id: int | None, actions: tuple[str, ...]
) -> Iterator[StoredEvent]:
    """One section's events of the given kinds (the leading group's when ``section_id`` is None)."""
    q = select(*_COLUMNS).where(Event.campaign_id == campaign_id, col(Event.action).in_(actions))
    q = q.where(col(Event.section_id).is_(None) if section_id is None else Event.section_id == section_id)
    for row in _stream(s, q.order_by(Event.seq)):
        yield StoredEvent(*row)


def deadline_rows(s: Session, campaign_id: int) -> Iterator[tuple[Any, ...]]:
    """``(id, section_id, requirement, due, original_due)`` of every deadline of the campaign."""
    return _stream(
        s,
        select(Deadline.id, Deadline.section_id, Deadline.requirement, Deadline.due, Deadline.original_due)
        .where(Deadline.campaign_id == campaign_id)
        .order_by(Deadline.id),
    )


def sender_rows(
    s: Session, campaign_id: int, key: tuple[Any, ...] | None = None
) -> Iterator[tuple[Any, ...]]:
    """``(id, section_id, address, actor, at)``: the addresses an office's mail is also taken from."""
    q = select(
        OfficeSender.id, OfficeSender.section_id, OfficeSender.address, OfficeSender.actor, OfficeSender.at
    ).where(OfficeSender.campaign_id == campaign_id)
    if key is not None:
        q = q.where(OfficeSender.section_id == key[0])
    return _stream(s, q.order_by(OfficeSender.id))
