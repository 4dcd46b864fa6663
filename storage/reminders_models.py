"""Tables of deadlines, reminders and outgoing mail.

``deadline`` holds one row per (campaign, section, requirement) with the next
instant a reminder slot falls due (``next_at``, indexed): a sweep reads only
the rows whose moment has come, so an idle sweep over any number of sections
is a few index probes. ``reminder.key`` is the idempotency key (campaign,
section, requirement, slot), unique, so a reminder exists once however many
sweeps or processes find it due. ``mail`` is the outbox: one row per message,
claimed before sending and marked sent after.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Column, Index, Text
from sqlmodel import Field, SQLModel

import storage.models  # noqa: F401  (registers the campaign and section tables its foreign keys name)
from storage.columns import _ts


class Deadline(SQLModel, table=True):
    __tablename__ = "deadline"
    __table_args__ = (
        Index("ix_deadline_next", "next_at"),
        Index("ix_deadline_lookup", "campaign_id", "section_id", "requirement"),
    )

    id: int = Field(default=None, primary_key=True)  # None until inserted; typed as the stored value
    key: str = Field(unique=True)  # "campaign:section|lg:requirement"
    campaign_id: int = Field(foreign_key="campaign.id")
    section_id: int | None = Field(default=None, foreign_key="section.id")
    requirement: str
    due: date
    original_due: date  # before any extension
    last_at: datetime | None = _ts(nullable=True)  # slots up to here are done
    next_at: datetime | None = _ts(nullable=True)  # None: closed


class DeadlinePlan(SQLModel, table=True):
    """How far a campaign's deadlines are laid out (sections added later get theirs next sweep)."""

    __tablename__ = "deadline_plan"

    campaign_id: int = Field(primary_key=True, foreign_key="campaign.id")
    through_section_id: int = 0


class Reminder(SQLModel, table=True):
    __tablename__ = "reminder"
    __table_args__ = (
        Index("ix_reminder_status", "status"),
        Index("ix_reminder_lookup", "campaign_id", "section_id", "requirement"),
    )

    id: int = Field(default=None, primary_key=True)  # None until inserted; typed as the stored value
    key: str = Field(unique=True)  # "campaign:section|lg:requirement:slot"
    campaign_id: int = Field(foreign_key="campaign.id")
    section_id: int | None = Field(default=None, foreign_key="section.id")
    requirement: str
    slot: str
    kind: str
    days: int
    due: date
    recipients: str = Field(sa_column=Column(Text, nullable=False))  # JSON list of addresses
    status: str  # pending | queued | cancelled | unaddressed
    created_at: datetime = _ts(nullable=False)


class Mail(SQLModel, table=True):
    __tablename__ = "mail"
    __table_args__ = (Index("ix_mail_status", "status", "next_attempt_at", "id"),)

    id: int = Field(default=None, primary_key=True)  # None until inserted; typed as the stored value
    campaign_id: int = Field(foreign_key="campaign.id")
    recipient: str
    subject: str
    message_id: str = Field(unique=True)
    raw: str = Field(sa_column=Column(Text, nullable=False))  # the whole RFC 5322 message
    items: str = Field(sa_column=Column(Text, nullable=False))  # JSON list of reminder ids
    status: str  # pending | sending | sent | failed | cancelled
    attempts: int = 0
    next_attempt_at: datetime = _ts(nullable=False)
    last_error: str | None = None
    claimed_by: str | None = None
    claimed_at: datetime | None = _ts(nullable=True)
    sent_at: datetime | None = _ts(nullable=True)
    sent_via: str | None = None
    created_at: datetime = _ts(nullable=False)
