"""The table of raw scores and votes: kept as given, so any total can be recomputed.

Every score is also appended to the campaign's event chain (see :mod:`storage.audit`).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index
from sqlmodel import Field, SQLModel

import storage.models  # noqa: F401  (registers the campaign and section tables its foreign keys name)
from storage.columns import _ts


class ScoreEntry(SQLModel, table=True):
    """A raw score or a batch of votes, kept as given so any total can be recomputed.

    Exactly one of ``hundredths`` (the score × 100, so 92.5 is 9250) and
    ``vote`` is set; ``count`` is how many identical votes the row stands for.
    """

    __tablename__ = "score_entry"
    __table_args__ = (Index("ix_score_campaign_section", "campaign_id", "section_id", "grp"),)

    id: int = Field(default=None, primary_key=True)  # None until inserted; typed as the stored value
    campaign_id: int = Field(foreign_key="campaign.id")
    section_id: int = Field(foreign_key="section.id")
    grp: str
    scorer: str | None = None
    hundredths: int | None = None
    vote: str | None = None
    count: int = 1
    actor: str
    at: datetime = _ts(nullable=False)
