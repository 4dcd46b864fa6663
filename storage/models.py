"""Tables. Every instant is stored in UTC and read back zone-aware.

The schema itself is managed by Alembic (``storage/migrations``); these
classes are the ORM view of it. Event rows are append-only and chained by
hash (see :mod:`storage.audit`).
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Column,
    DateTime,
    Index,
    LargeBinary,
    Table,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlmodel import Field, SQLModel


class UTCDateTime(TypeDecorator[datetime]):
    """A timestamp that is always UTC on the way in and zone-aware on the way out."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: object) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: object) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def _ts(**kw: Any) -> Any:
    # Any: a Field() stands in for the column's Python value, as sqlmodel's own Field() does.
    return Field(sa_column=Column(UTCDateTime(), **kw))


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


class Blob(SQLModel, table=True):
    """A filed document in the database (PostgreSQL), content-addressed; never changed."""

    __tablename__ = "blob"

    sha256: str = Field(primary_key=True)
    size: int = Field(sa_column=Column(BigInteger, nullable=False))
    content: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    created_at: datetime = _ts(nullable=False)


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


def table_of(model: type[SQLModel]) -> Table:
    """The Core ``Table`` of a table model (sqlmodel sets ``__table__`` in its metaclass,
    where a type checker cannot see it)."""
    return model.__table__  # type: ignore[attr-defined]  # set by SQLModel's metaclass


# The other table modules register their tables on import; they import this module first.
from storage import clock  # noqa: E402,F401,I001  (the database_info table)
from storage import inbox_models  # noqa: E402,F401  (inbound mail, submissions, extra senders)
from storage import ledger_models  # noqa: E402,F401  (rectification ledger, inspections, scores)
from storage import operator_models  # noqa: E402,F401  (the operator table)
from storage import reminders_models  # noqa: E402,F401  (deadline, reminder, mail tables)
