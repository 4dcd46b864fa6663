"""Queries over the inbound mail tables used outside the inbox commands (board, report)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session
from sqlmodel import col

from storage.inbox_models import InboundMessage, Submission
from storage.models import Section


def waiting(s: Session, campaign_id: int) -> dict[str, int]:
    """Office name -> submissions received by mail and not yet accepted or rejected."""
    q = (
        select(Section.name, func.count())
        .join(Submission, Submission.section_id == Section.id)
        .where(Submission.campaign_id == campaign_id, Submission.status == "received")
        .group_by(Section.name)
    )
    return {name: n for name, n in s.execute(q)}


def pending(s: Session, campaign_id: int, tz: str) -> list[tuple[str, str | None, str, str, str]]:
    """(office, requirement, file, sender, received local time) of submissions waiting, oldest first."""
    from zoneinfo import ZoneInfo

    zone = ZoneInfo(tz)
    q = (
        select(
            Section.name,
            Submission.requirement,
            Submission.filename,
            Submission.sender,
            Submission.received_at,
        )
        .join(Section, Section.id == Submission.section_id)
        .where(Submission.campaign_id == campaign_id, Submission.status == "received")
        .order_by(Submission.id)
    )
    return [
        (o, r, f, snd, at.astimezone(zone).strftime("%Y-%m-%d %H:%M")) for o, r, f, snd, at in s.execute(q)
    ]


def sections_of(s: Session, campaign_ids: Sequence[int]) -> list[Section]:
    return list(s.scalars(select(Section).where(col(Section.campaign_id).in_(campaign_ids))))


def section_named(s: Session, campaign_id: int, name: str) -> Section | None:
    return s.scalars(select(Section).where(Section.campaign_id == campaign_id, Section.name == name)).first()


def message_row_id(s: Session, message_id: str) -> int | None:
    """The row id of the message taken in with this Message-ID, if any."""
    return s.scalars(select(InboundMessage.id).where(InboundMessage.message_id == message_id)).first()


def known_message_ids(s: Session, message_ids: Sequence[str]) -> set[str]:
    """Which of these Message-IDs were taken in already."""
    known: set[str] = set()
    for i in range(0, len(message_ids), 500):
        chunk = message_ids[i : i + 500]
        known.update(
            s.scalars(select(InboundMessage.message_id).where(col(InboundMessage.message_id).in_(chunk)))
        )
    return known


def everything(s: Session) -> tuple[dict[int, str], dict[int, InboundMessage], list[Submission]]:
    """Section names by id, messages by id and submissions, in the order they came."""
    sections = {sec.id: sec.name for sec in s.scalars(select(Section))}
    msgs = {m.id: m for m in s.scalars(select(InboundMessage).order_by(InboundMessage.id))}
    subs = list(s.scalars(select(Submission).order_by(Submission.id)))
    return sections, msgs, subs


def decide(s: Session, sub_id: int, **values: Any) -> bool:
    """Decide a submission still ``received`` (accepted or rejected); False when it no longer was."""
    result = s.execute(
        update(Submission)
        .where(col(Submission.id) == sub_id, col(Submission.status) == "received")
        .values(**values)
    )
    return bool(result.rowcount == 1)  # type: ignore[attr-defined]  # an UPDATE gives a CursorResult


def link_filing(s: Session, sub_id: int, filing_id: int | None) -> None:
    s.execute(update(Submission).where(col(Submission.id) == sub_id).values(filing_id=filing_id))
