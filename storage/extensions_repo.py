"""Deadline extensions (延期): the latest per office and requirement, the log, a new one."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from storage.extension_models import Extension
from storage.models import Section


def extensions(s: Session, campaign_id: int) -> dict[tuple[int, str], Extension]:
    """The latest extension of each (section, requirement)."""
    q = select(Extension).where(Extension.campaign_id == campaign_id).order_by(Extension.id)
    return {(e.section_id, e.requirement): e for e in s.scalars(q)}


def extension_log(s: Session, campaign_id: int) -> list[tuple[Extension, str]]:
    """Every extension of the campaign with its office's name, oldest first."""
    q = (
        select(Extension, Section.name)
        .join(Section, Section.id == Extension.section_id)
        .where(Extension.campaign_id == campaign_id)
        .order_by(Extension.id)
    )
    return [(e, name) for e, name in s.execute(q)]


def add_extension(
    s: Session,
    *,
    campaign_id: int,
    section_id: int,
    requirement: str,
    from_due: date,
    to_due: date,
    reason: str,
    actor: str,
    at: datetime,
) -> None:
    s.add(
        Extension(
            campaign_id=campaign_id,
            section_id=section_id,
            requirement=requirement,
            from_due=from_due,
            to_due=to_due,
            reason=reason,
            actor=actor,
            at=at,
        )
    )
