"""The table of deadline extensions (延期): each one kept with the date it moved from."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Index
from sqlmodel import Field, SQLModel

import storage.models  # noqa: F401  (registers the campaign and section tables its foreign keys name)
from storage.columns import _ts


class Extension(SQLModel, table=True):
    """A deadline extension (延期) of one section's requirement; the original date stays here."""

    __tablename__ = "deadline_extension"
    __table_args__ = (Index("ix_extension_campaign", "campaign_id"),)

    id: int = Field(default=None, primary_key=True)  # None until inserted; typed as the stored value
    campaign_id: int = Field(foreign_key="campaign.id")
    section_id: int = Field(foreign_key="section.id")
    requirement: str
    from_due: date
    to_due: date
    reason: str
    actor: str
    at: datetime = _ts(nullable=False)
