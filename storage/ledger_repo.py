"""Bulk queries over the rectification ledger and inspections (scores: :mod:`storage.scores_repo`).

Like :mod:`storage.repo`: one query per kind of fact, never one per section.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import func, insert, select, update
from sqlalchemy.orm import Session
from sqlmodel import col

from storage.ledger_models import Inspection, RectificationItem
from storage.models import Section
from workflow.errors import NotFoundError


def open_item_counts(
    s: Session, campaign_id: int, section_ids: Sequence[int] | None = None
) -> dict[int, int]:
    """Items not yet confirmed, per section id, in one grouped query."""
    q = (
        select(RectificationItem.section_id, func.count())
        .where(RectificationItem.campaign_id == campaign_id, RectificationItem.status != "confirmed")
        .group_by(RectificationItem.section_id)
    )
    if section_ids is not None and len(section_ids) <= 500:
        q = q.where(col(RectificationItem.section_id).in_(section_ids))
    return {sid: n for sid, n in s.execute(q)}


def status_counts(s: Session, campaign_id: int) -> dict[int, dict[str, int]]:
    """Items per section id and status, in one grouped query."""
    q = (
        select(RectificationItem.section_id, RectificationItem.status, func.count())
        .where(RectificationItem.campaign_id == campaign_id)
        .group_by(RectificationItem.section_id, RectificationItem.status)
    )
    out: dict[int, dict[str, int]] = defaultdict(dict)
    for sid, status, n in s.execute(q):
        out[sid][status] = n
    return out


def items(
    s: Session, campaign_id: int, section_id: int | None = None, open_only: bool = False
) -> list[tuple[RectificationItem, str]]:
    q = (
        select(RectificationItem, Section.name)
        .join(Section, Section.id == RectificationItem.section_id)
        .where(RectificationItem.campaign_id == campaign_id)
        .order_by(RectificationItem.id)
    )
    if section_id is not None:
        q = q.where(RectificationItem.section_id == section_id)
    if open_only:
        q = q.where(RectificationItem.status != "confirmed")
    return [(item, name) for item, name in s.execute(q)]


def find_item(s: Session, campaign_id: int, item_id: int) -> tuple[RectificationItem, str]:
    q = (
        select(RectificationItem, Section.name)
        .join(Section, Section.id == RectificationItem.section_id)
        .where(RectificationItem.campaign_id == campaign_id, RectificationItem.id == item_id)
    )
    row = s.execute(q).first()
    if row is None:
        raise NotFoundError("rectification item", str(item_id))
    return row[0], row[1]


def add_items(s: Session, rows: Sequence[dict[str, Any]]) -> list[int]:
    """Insert items in bulk; return their ids in order."""
    ids = []
    for row in rows:  # RETURNING in bulk differs per backend; items come in tens, not thousands
        ids.append(_inserted_id(s.execute(insert(RectificationItem).values(**row))))
    return ids


def add_inspection(s: Session, row: dict[str, Any]) -> int:
    return _inserted_id(s.execute(insert(Inspection).values(**row)))


def _inserted_id(result: Any) -> int:
    """The new row's id from the CursorResult of a single-row Core insert."""
    return int(result.inserted_primary_key[0])


def inspections(s: Session, campaign_id: int) -> list[tuple[Inspection, str]]:
    q = (
        select(Inspection, Section.name)
        .join(Section, Section.id == Inspection.section_id)
        .where(Inspection.campaign_id == campaign_id)
        .order_by(Inspection.on, Inspection.id)
    )
    return [(i, name) for i, name in s.execute(q)]


def open_item_dates(
    s: Session, campaign_id: int, section_ids: Sequence[int] | None = None
) -> list[tuple[int, Any]]:
    """``(section id, created_at)`` of every item not yet confirmed (to place it in a phase)."""
    q = select(RectificationItem.section_id, RectificationItem.created_at).where(
        RectificationItem.campaign_id == campaign_id, RectificationItem.status != "confirmed"
    )
    if section_ids is not None and len(section_ids) <= 500:
        q = q.where(col(RectificationItem.section_id).in_(section_ids))
    return [(sid, at) for sid, at in s.execute(q)]


def set_item_if(s: Session, item_id: int, expected: str, values: dict[str, Any]) -> bool:
    """Change an item only if its status is still ``expected``; False when it was not."""
    result = s.execute(
        update(RectificationItem)
        .where(col(RectificationItem.id) == item_id, col(RectificationItem.status) == expected)
        .values(**values)
    )
    return bool(result.rowcount == 1)  # type: ignore[attr-defined]  # an UPDATE returns a CursorResult


def item_changed_by(s: Session, item_id: int) -> tuple[str, datetime]:
    """Who last changed an item, and when (a fresh read)."""
    by, at = s.execute(
        select(col(RectificationItem.updated_by), col(RectificationItem.updated_at)).where(
            col(RectificationItem.id) == item_id
        )
    ).one()
    return by, at
