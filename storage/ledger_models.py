"""Tables of the rectification ledger and inspections (scores: :mod:`storage.score_models`).

Items and inspections are plain rows; every change to them is
also appended to the campaign's event chain, so the ledger is auditable the
same way phase changes are (an item's evidence document is bound into the
chain by its sha256, like a filing).
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Column, Index, Text
from sqlmodel import Field, SQLModel

import storage.models  # noqa: F401  (registers the campaign and section tables its foreign keys name)
from storage.columns import _ts


class RectificationItem(SQLModel, table=True):
    """One rectification item (整改事项) of a section.

    ``status`` is ``published`` → ``done`` → ``confirmed``, or ``returned``
    (open again) from ``done``. Only ``confirmed`` counts as closed.
    """

    __tablename__ = "rectification_item"
    __table_args__ = (Index("ix_item_campaign_section", "campaign_id", "section_id", "status"),)

    id: int = Field(default=None, primary_key=True)  # None until inserted; typed as the stored value
    campaign_id: int = Field(foreign_key="campaign.id")
    section_id: int = Field(foreign_key="section.id")
    source: str
    text: str = Field(sa_column=Column(Text, nullable=False))
    due: date | None = None
    status: str = "published"
    inspection_id: int | None = Field(default=None, foreign_key="inspection.id")
    evidence_sha256: str | None = None
    evidence_filename: str | None = None
    note: str | None = None
    return_reason: str | None = None
    created_at: datetime = _ts(nullable=False)
    created_by: str
    updated_at: datetime = _ts(nullable=False)
    updated_by: str
    done_at: datetime | None = _ts(nullable=True)
    confirmed_at: datetime | None = _ts(nullable=True)


class Inspection(SQLModel, table=True):
    """An announced or unannounced inspection (明查暗访) of a section."""

    __tablename__ = "inspection"
    __table_args__ = (Index("ix_inspection_campaign_section", "campaign_id", "section_id"),)

    id: int = Field(default=None, primary_key=True)  # None until inserted; typed as the stored value
    campaign_id: int = Field(foreign_key="campaign.id")
    section_id: int = Field(foreign_key="section.id")
    kind: str  # announced | unannounced
    on: date
    finding: str = Field(sa_column=Column(Text, nullable=False))
    actor: str
    at: datetime = _ts(nullable=False)
