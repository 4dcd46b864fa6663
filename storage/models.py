"""The core tables: campaigns, their sections, records and filings. Every instant is stored
in UTC and read back zone-aware.

The schema itself is managed by Alembic (``storage/migrations``); these classes are the ORM
view of it. The other tables live in modules of their own (events, documents, reminders,
scores, mail in …), each loaded by the commands that use it: a table class costs 3-5 ms to
create, and ``manyi status`` reads 12 of 20 tables. :mod:`storage.schema` loads them all.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Column, Index, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from storage.columns import UTCDateTime, _ts


class Campaign(SQLModel, table=True):
    __tablename__ = "campaign"

    id: int = Field(default=None, primary_key=True)  # None until inserted; typed as the stored value
    name: str = Field(unique=True)
    definition_key: str
    definition_source: str  # where the definition came from (path or bundled name)
    definition_text: str = Field(sa_column=Column(Text, nullable=False))  # snapshot
    parameters: str = Field(sa_column=Column(Text, nullable=False))  # JSON object
    start_date: date
    timezone: str
    status: str = "active"
    created_at: datetime = _ts(nullable=False)
    created_by: str


class Section(SQLModel, table=True):
    __tablename__ = "section"
    __table_args__ = (UniqueConstraint("campaign_id", "name"),)

    id: int = Field(default=None, primary_key=True)  # None until inserted; typed as the stored value
    campaign_id: int = Field(foreign_key="campaign.id", index=True)
    name: str
    email: str | None = None
    head: str | None = None
    created_at: datetime = _ts(nullable=False)
    #: Roster categories (JSON array, sorted): which ``only:`` requirements apply.
    tags: str = Field(default="[]", sa_column=Column(Text, nullable=False, server_default="[]"))
    #: When the office was retired from the campaign (None: it takes part).
    retired_at: datetime | None = _ts(nullable=True)


class Record(SQLModel, table=True):
    """A section's campaign record: its phase. Changed only by the engine."""

    __tablename__ = "record"
    __table_args__ = (Index("ix_record_campaign_state", "campaign_id", "state"),)

    id: int = Field(default=None, primary_key=True)  # None until inserted; typed as the stored value
    campaign_id: int = Field(foreign_key="campaign.id")
    section_id: int = Field(foreign_key="section.id", unique=True)
    state: str
    version: int = 1
    updated_at: datetime = _ts(nullable=False)
    updated_by: str


class Filing(SQLModel, table=True):
    """A document filed for a requirement; ``section_id`` is None for the leading group."""

    __tablename__ = "filing"
    __table_args__ = (Index("ix_filing_lookup", "campaign_id", "requirement", "section_id"),)

    id: int = Field(default=None, primary_key=True)  # None until inserted; typed as the stored value
    campaign_id: int = Field(foreign_key="campaign.id")
    section_id: int | None = Field(default=None, foreign_key="section.id")
    requirement: str
    sha256: str
    filename: str
    size: int
    note: str | None = None
    actor: str
    at: datetime = _ts(nullable=False)


class DatabaseInfo(SQLModel, table=True):
    """One row (id 1): facts about the database as a whole (see :mod:`storage.clock`)."""

    __tablename__ = "database_info"

    id: int = Field(default=1, primary_key=True)
    rehearsal: bool = False
    last_recorded_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime(), nullable=True))
