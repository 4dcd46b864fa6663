"""Bulk queries over the raw scores and votes: read them all, add many in one statement."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlmodel import col

from storage.bulk import bind_value, executemany
from storage.models import Section
from storage.score_models import ScoreEntry


def score_entries(s: Session, campaign_id: int) -> list[tuple[ScoreEntry, str]]:
    q = (
        select(ScoreEntry, Section.name)
        .join(Section, Section.id == ScoreEntry.section_id)
        .where(ScoreEntry.campaign_id == campaign_id)
        .order_by(ScoreEntry.id)
    )
    return [(e, name) for e, name in s.execute(q)]


def scorer_keys(s: Session, campaign_id: int) -> set[tuple[int, str, str]]:
    """``(section_id, group, scorer)`` of every named score already stored."""
    q = select(ScoreEntry.section_id, ScoreEntry.grp, ScoreEntry.scorer).where(
        ScoreEntry.campaign_id == campaign_id, col(ScoreEntry.scorer).is_not(None)
    )
    return {(sid, g, sc) for sid, g, sc in s.execute(q)}


def add_scores(s: Session, rows: Sequence[dict[str, Any]]) -> None:
    """Insert score and vote rows in one ``executemany`` (values converted once, not per row)."""
    if not rows:
        return
    ats = {at: bind_value(s, ScoreEntry, "at", at) for at in {r["at"] for r in rows}}
    executemany(
        s,
        "INSERT INTO score_entry (campaign_id, section_id, grp, scorer, hundredths, vote, count, actor, at) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            (
                r["campaign_id"],
                r["section_id"],
                r["grp"],
                r.get("scorer"),
                r.get("hundredths"),
                r.get("vote"),
                r.get("count", 1),
                r["actor"],
                ats[r["at"]],
            )
            for r in rows
        ],
    )


def scored_groups(s: Session, campaign_id: int) -> dict[int, frozenset[str]]:
    """The evaluator groups that gave each section at least one score or vote."""
    q = (
        select(ScoreEntry.section_id, ScoreEntry.grp)
        .where(ScoreEntry.campaign_id == campaign_id)
        .group_by(ScoreEntry.section_id, ScoreEntry.grp)
    )
    out: dict[int, set[str]] = defaultdict(set)
    for sid, grp in s.execute(q):
        out[sid].add(grp)
    return {sid: frozenset(g) for sid, g in out.items()}
