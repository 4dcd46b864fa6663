"""The extra senders of offices: who besides the roster's address may answer for an office."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlmodel import col

from storage.sender_models import OfficeSender


def extra_senders(s: Session, campaign_ids: Sequence[int]) -> list[OfficeSender]:
    return list(s.scalars(select(OfficeSender).where(col(OfficeSender.campaign_id).in_(campaign_ids))))


def sender_exists(s: Session, section_id: int, address: str) -> bool:
    q = select(OfficeSender.id).where(OfficeSender.section_id == section_id, OfficeSender.address == address)
    return s.scalars(q).first() is not None
