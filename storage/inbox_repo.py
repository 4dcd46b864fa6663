"""Queries over the inbound mail tables used outside the inbox commands (board, report)."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from storage.inbox_models import Submission
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
