"""The event table: each campaign's append-only history, chained by hash (see :mod:`storage.audit`)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, Index, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

import storage.models  # noqa: F401  (registers the campaign and section tables its foreign keys name)
from storage.columns import _ts


class Event(SQLModel, table=True):
    """One append-only history row, chained to the previous event of its campaign."""

    __tablename__ = "event"
    __table_args__ = (
        UniqueConstraint("campaign_id", "seq"),
        Index("ix_event_section", "section_id", "seq"),
    )

    id: int = Field(default=None, primary_key=True)  # None until inserted; typed as the stored value
    campaign_id: int = Field(foreign_key="campaign.id")
    seq: int
    at: datetime = _ts(nullable=False)
    actor: str
    section_id: int | None = Field(default=None, foreign_key="section.id")
    office: str | None = None
    action: str
    from_state: str | None = None
    to_state: str | None = None
    reason: str | None = None
    detail: str = Field(sa_column=Column(Text, nullable=False))  # canonical JSON object
    prev_hash: str
    hash: str
