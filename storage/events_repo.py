"""The per-campaign event chain: append events (each hashed onto the one before it), stamp the
database's last-recorded time, read an office's history and an event's detail."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.orm import Session
from sqlmodel import col

from storage import audit
from storage.bulk import bind_value, executemany
from storage.event_models import Event
from storage.models import Campaign
from storage.repo import require_open


# -- events ------------------------------------------------------------------
@dataclass(slots=True)  # one per office in a bulk command: no per-instance __dict__
class NewEvent:
    action: str
    section_id: int | None = None
    office: str | None = None
    from_state: str | None = None
    to_state: str | None = None
    reason: str | None = None
    detail: dict[str, Any] = field(default_factory=dict)


def append_events(
    s: Session, campaign: Campaign, events: Sequence[NewEvent], actor: str, at: datetime
) -> None:
    """Append events to the campaign's hash chain, in order, in bulk.

    ``at`` is the effective time (MANYI_NOW in a rehearsal); each event's
    ``detail.recorded_at`` is the real clock, monotonic per database
    (:mod:`storage.clock`).

    The chain head is read under the write lock (SQLite's immediate
    transaction, PostgreSQL's row lock on the campaign), and ``(campaign_id,
    seq)`` is unique, so concurrent writers can never fork the chain.
    """
    if not events:
        return
    if any(ev.action != "campaign-close" for ev in events):
        # Every change to a campaign is an event of its chain: refusing here refuses them all.
        require_open(campaign)
    from storage import clock

    clock.lock(s)  # first: every writer takes the database's clock lock, then a campaign's
    recorded = stamp(s, clock.record(s))
    db_user = None
    if s.get_bind().dialect.name != "sqlite":
        # FOR NO KEY UPDATE: does not conflict with the KEY SHARE locks that inserting
        # rows referencing the campaign takes, so two filers queue here instead of deadlocking.
        s.execute(select(Campaign.id).where(Campaign.id == campaign.id).with_for_update(key_share=True))
        # The server's login, not the --as name, so an operator cannot pass as another unnoticed.
        db_user = s.execute(text("SELECT current_user")).scalar()
    head = s.execute(
        select(Event.seq, Event.hash)
        .where(Event.campaign_id == campaign.id)
        .order_by(col(Event.seq).desc())
        .limit(1)
    ).first()
    seq, prev = (head[0], head[1]) if head else (0, audit.GENESIS)
    at_value = bind_value(s, Event, "at", at)
    # Most events of a bulk command (every advance) carry no detail of their own: they share one
    # detail and one text, not 100,000 equal copies held until the insert.
    bare = {**audit.with_db_user({}, db_user), **recorded}
    bare_text = audit.dumps(bare)
    rows = []
    for ev in events:
        seq += 1
        if ev.detail:
            detail = {**audit.with_db_user(ev.detail, db_user), **recorded}
            detail_text = audit.dumps(detail)
        else:
            detail, detail_text = bare, bare_text
        reason = ev.reason or None  # an empty reason is no reason (keeps CSV exports unambiguous)
        body = audit.canonical(
            campaign=campaign.name,
            seq=seq,
            at=at,
            actor=actor,
            office=ev.office,
            action=ev.action,
            from_state=ev.from_state,
            to_state=ev.to_state,
            reason=reason,
            detail=detail,
            prev=prev,
        )
        digest = audit.digest(body)
        rows.append(
            (
                campaign.id,
                seq,
                at_value,
                actor,
                ev.section_id,
                ev.office,
                ev.action,
                ev.from_state,
                ev.to_state,
                reason,
                detail_text,
                prev,
                digest,
            )
        )
        prev = digest
    executemany(
        s,
        "INSERT INTO event (campaign_id, seq, at, actor, section_id, office, action, from_state, "
        "to_state, reason, detail, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        rows,
    )


def stamp(s: Session, recorded: datetime) -> dict[str, Any]:
    """What every event records beside who acted: the real time and the OS login."""
    out = {"recorded_at": audit.format_at(recorded)}
    os_user = s.info.get("os_user")
    if os_user:
        out["os_user"] = os_user
    return out


def history(s: Session, campaign_id: int, section_id: int | None) -> list[Event]:
    q = select(Event).where(Event.campaign_id == campaign_id)
    q = q.where(col(Event.section_id).is_(None) if section_id is None else Event.section_id == section_id)
    return list(s.scalars(q.order_by(Event.seq)))


def events_of(s: Session, campaign_id: int, action: str) -> list[Event]:
    q = select(Event).where(Event.campaign_id == campaign_id, Event.action == action)
    return list(s.scalars(q.order_by(Event.seq)))


def detail_of(event: Event) -> dict[str, Any]:
    return json.loads(event.detail) if event.detail else {}


def vetoes(s: Session, campaign_id: int) -> dict[int, tuple[str, ...]]:
    """The standing vetoes per section id: ``veto`` events not followed by a ``veto-lift``."""
    q = (
        select(Event.section_id, Event.action, Event.reason)
        .where(Event.campaign_id == campaign_id, col(Event.action).in_(("veto", "veto-lift")))
        .order_by(Event.seq)
    )
    out: dict[int, list[str]] = {}
    for sid, action, reason in s.execute(q):
        if action == "veto":
            out.setdefault(sid, []).append(reason or "")
        else:
            out.pop(sid, None)
    return {sid: tuple(r) for sid, r in out.items()}
