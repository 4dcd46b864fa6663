"""The deadline table: laying out each section's deadlines, and the sweep's reads and moves.

A sweep reads only the rows whose next slot has come (``deadline.next_at``, indexed), as
plain rows, and moves each on to its next slot (or closes it) in one statement per batch.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, NamedTuple

from sqlalchemy import func, insert, select, update
from sqlalchemy.orm import Session
from sqlmodel import col

from storage.bulk import bind_value, for_ids
from storage.models import Section
from storage.reminders_models import Deadline, DeadlinePlan


# -- planning ----------------------------------------------------------------
def planned_through(s: Session, campaign_id: int) -> int | None:
    return s.scalar(select(DeadlinePlan.through_section_id).where(DeadlinePlan.campaign_id == campaign_id))


def max_section_id(s: Session, campaign_id: int) -> int:
    return s.scalar(select(func.max(Section.id)).where(Section.campaign_id == campaign_id)) or 0


def new_section_ids(s: Session, campaign_id: int, after: int) -> list[int]:
    q = (
        select(Section.id)
        .where(Section.campaign_id == campaign_id, col(Section.id) > after)
        .order_by(Section.id)
    )
    return list(s.scalars(q))


def set_planned_through(s: Session, campaign_id: int, through: int, first: bool) -> None:
    if first:
        s.execute(insert(DeadlinePlan).values(campaign_id=campaign_id, through_section_id=through))
    else:
        s.execute(
            update(DeadlinePlan)
            .where(DeadlinePlan.campaign_id == campaign_id)
            .values(through_section_id=through)
        )


def add_deadlines(s: Session, rows: list[dict[str, Any]]) -> None:
    for i in range(0, len(rows), 1000):
        s.execute(insert(Deadline), rows[i : i + 1000])


# -- sweeping ----------------------------------------------------------------
class DueDeadline(NamedTuple):
    """A deadline a sweep handles: which requirement of whom, its due date, its last slot."""

    id: int
    key: str
    campaign_id: int
    section_id: int | None
    requirement: str
    due: date
    last_at: datetime | None


def due_deadlines(s: Session, now: datetime, limit: int, campaign_ids: list[int]) -> list[DueDeadline]:
    """Up to ``limit`` deadlines of these campaigns with a slot due by ``now``, earliest first
    (on PostgreSQL locked, skipping rows another sweep holds)."""
    q = (
        select(
            Deadline.id,
            Deadline.key,
            Deadline.campaign_id,
            Deadline.section_id,
            Deadline.requirement,
            Deadline.due,
            Deadline.last_at,
        )
        .where(col(Deadline.next_at) <= now, col(Deadline.campaign_id).in_(campaign_ids))
        .order_by(Deadline.next_at)
        .limit(limit)
    )
    if s.get_bind().dialect.name != "sqlite":
        q = q.with_for_update(skip_locked=True)
    return [DueDeadline(*row) for row in s.execute(q)]


def move_deadlines(s: Session, moves: list[tuple[int, datetime | None, datetime | None]]) -> None:
    """Set each ``(id, last_at, next_at)``: the slots up to ``last_at`` are done, the next is
    due at ``next_at`` (None: closed). One statement for the batch; ``last_at`` None keeps it."""
    same: dict[tuple[datetime | None, datetime | None], list[int]] = {}
    for did, last, nxt in moves:  # one statement per distinct (last_at, next_at): a handful
        same.setdefault((last, nxt), []).append(did)

    def bound(at: datetime | None) -> Any:
        return None if at is None else bind_value(s, Deadline, "next_at", at)

    sql = "UPDATE deadline SET last_at = coalesce(?, last_at), next_at = ? WHERE id"
    for (last, nxt), ids in same.items():
        for_ids(s, sql, (bound(last), bound(nxt)), ids)


def count_due_deadlines(s: Session, now: datetime, campaign_ids: list[int]) -> int:
    q = (
        select(func.count())
        .select_from(Deadline)
        .where(col(Deadline.next_at) <= now, col(Deadline.campaign_id).in_(campaign_ids))
    )
    return int(s.execute(q).scalar_one())
