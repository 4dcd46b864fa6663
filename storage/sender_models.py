"""The table of extra senders: addresses besides the roster's from which an office's mail is
taken in (``manyi inbox allow``)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel

import storage.models  # noqa: F401  (registers the campaign and section tables its foreign keys name)
from storage.columns import _ts


class OfficeSender(SQLModel, table=True):
    """An address besides the roster's from which an office's mail is taken in."""

    __tablename__ = "office_sender"
    __table_args__ = (UniqueConstraint("section_id", "address"),)

    id: int = Field(default=None, primary_key=True)  # None until inserted; typed as the stored value
    campaign_id: int = Field(foreign_key="campaign.id")
    section_id: int = Field(foreign_key="section.id")
    address: str  # lower case
    actor: str
    at: datetime = _ts(nullable=False)
