"""Queries over the deadline, reminder and mail tables, shaped for bulk sweeps.

Every sweep query starts from an index: ``deadline.next_at``, ``reminder.status``,
``mail(status, next_attempt_at)``; a sweep with nothing due reads no section rows.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date
from typing import Any, NamedTuple

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session
from sqlmodel import col

from storage.bulk import among, for_ids, insert_rows
from storage.columns import table_of
from storage.ledger_models import RectificationItem
from storage.models import Filing, Record, Section
from storage.reminders_models import Deadline, Reminder

ITEM_PREFIX = "item:"  # a rectification item's deadline stands where a requirement key would


def item_requirement(item_id: int) -> str:
    return f"{ITEM_PREFIX}{item_id}"


def item_of(requirement: str) -> int | None:
    """The item id of an item deadline's ``requirement``; None for a real requirement."""
    return int(requirement[len(ITEM_PREFIX) :]) if requirement.startswith(ITEM_PREFIX) else None


class ItemState(NamedTuple):
    """What a reminder needs of a rectification item."""

    status: str
    text: str


def items_by_id(s: Session, ids: Iterable[int]) -> dict[int, ItemState]:
    wanted = set(ids)
    if not wanted:
        return {}
    q = select(RectificationItem.id, RectificationItem.status, RectificationItem.text).where(
        among(s, RectificationItem.id, wanted)
    )
    return {iid: ItemState(st, text) for iid, st, text in s.execute(q)}


def deadline_key(campaign_id: int, section_id: int | None, requirement: str) -> str:
    return f"{campaign_id}:{section_id if section_id is not None else 'lg'}:{requirement}"


def _is_pg(s: Session) -> bool:
    return s.get_bind().dialect.name != "sqlite"


def insert_ignoring_duplicates(s: Session, table: Any, rows: Sequence[dict[str, Any]]) -> int:
    """Insert rows whose unique key is new; return how many were inserted."""
    if not rows:
        return 0
    new = insert_rows(s, table, rows, skip_existing=True)
    if new is not None:
        return new
    # The dialect modules are imported here, not at the top: the PostgreSQL one
    # (with asyncio) is 30 ms of every SQLite command's start-up otherwise.
    if _is_pg(s):
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        ins: Any = pg_insert(table).on_conflict_do_nothing()
    else:
        from sqlalchemy.dialects.sqlite import insert as sqlite_insert

        ins = sqlite_insert(table).on_conflict_do_nothing()
    # Counted through RETURNING: SQLAlchemy's rowcount of an ON CONFLICT DO NOTHING insert
    # is not portable (psycopg under SQLAlchemy 2.1 reports -1 through insertmanyvalues).
    key = next(iter(table.primary_key.columns))
    return len(s.connection().execute(ins.returning(key), list(rows)).all())


class SectionContact(NamedTuple):
    """Whom a section's reminders go to, and where the section stands."""

    name: str
    email: str | None
    head: str | None  # "Name <addr>" of the office's head, copied on escalations
    state: str
    tags: str = "[]"  # the stored JSON array of its roster tags
    retired: bool = False  # retired from the campaign: no reminders


def section_info(s: Session, ids: Iterable[int]) -> dict[int, SectionContact]:
    wanted = set(ids)
    if not wanted:
        return {}
    q = (
        select(
            Section.id,
            Section.name,
            Section.email,
            Section.head,
            Record.state,
            Section.tags,
            col(Section.retired_at).is_not(None),
        )
        .join(Record, Record.section_id == Section.id)
        .where(among(s, Section.id, wanted))
    )
    return {sid: SectionContact(n, e, h, st, t, bool(r)) for sid, n, e, h, st, t, r in s.execute(q)}


def filed_counts(
    s: Session, campaign_id: int, section_ids: Sequence[int | None], requirements: Sequence[str]
) -> dict[tuple[int | None, str], int]:
    q = (
        select(Filing.section_id, Filing.requirement, func.count())
        .where(Filing.campaign_id == campaign_id, col(Filing.requirement).in_(set(requirements)))
        .group_by(Filing.section_id, Filing.requirement)
    )
    real = [x for x in set(section_ids) if x is not None]
    cond: Any = among(s, Filing.section_id, real)
    if None in section_ids:
        cond = cond | col(Filing.section_id).is_(None)
    q = q.where(cond)
    return {(sid, req): n for sid, req, n in s.execute(q)}


def add_reminders(s: Session, rows: Sequence[dict[str, Any]]) -> int:
    """Insert reminder rows whose key is new; return how many were new."""
    return insert_ignoring_duplicates(s, table_of(Reminder), rows)


class PendingReminder(NamedTuple):
    """A fired reminder not yet in a mail: what its digest line needs."""

    id: int
    campaign_id: int
    section_id: int | None
    requirement: str
    kind: str
    due: date
    recipients: str  # the stored JSON list of addresses


def pending_reminders(s: Session) -> list[PendingReminder]:
    q = (
        select(
            Reminder.id,
            Reminder.campaign_id,
            Reminder.section_id,
            Reminder.requirement,
            Reminder.kind,
            Reminder.due,
            Reminder.recipients,
        )
        .where(Reminder.status == "pending")
        .order_by(Reminder.id)
    )
    return [PendingReminder(*row) for row in s.execute(q)]


def mark_queued(s: Session, ids: Sequence[int]) -> None:
    """These reminders are in a mail now (one statement for them all)."""
    for_ids(s, "UPDATE reminder SET status = 'queued' WHERE id", (), ids)


def close_deadline(s: Session, campaign_id: int, section_id: int | None, requirement: str) -> None:
    """Filed: no more reminders for it; the ones not yet mailed are cancelled."""
    s.execute(
        update(Deadline)
        .where(Deadline.key == deadline_key(campaign_id, section_id, requirement))
        .values(next_at=None)
    )
    cancel_reminders(s, campaign_id, section_id, requirement)


def cancel_reminders(s: Session, campaign_id: int, section_id: int | None, requirement: str) -> None:
    cond = col(Reminder.section_id).is_(None) if section_id is None else Reminder.section_id == section_id
    s.execute(
        update(Reminder)
        .where(
            Reminder.campaign_id == campaign_id,
            cond,
            Reminder.requirement == requirement,
            col(Reminder.status).in_(("pending", "queued")),
        )
        .values(status="cancelled")
    )


def find_deadline(s: Session, campaign_id: int, section_id: int | None, requirement: str) -> Deadline | None:
    key = deadline_key(campaign_id, section_id, requirement)
    return s.scalars(select(Deadline).where(Deadline.key == key)).first()
