"""Tables of mail that came in: messages and the submissions their attachments became.

``inbound_message.message_id`` is unique: a message is taken in once however
often (or from however many processes) the mailbox is read. Its raw bytes are
kept in the blob store (``raw_sha256``), so nothing that arrived is lost even
when it is quarantined or refused. A ``submission`` is one attachment of a
matched message; it counts for nothing until a person accepts it (it then
becomes an ordinary filing, ``filing_id``).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, Index, Text
from sqlmodel import Field, SQLModel

import storage.models  # noqa: F401  (registers the campaign and section tables its foreign keys name)
from storage.columns import _ts


class InboundMessage(SQLModel, table=True):
    __tablename__ = "inbound_message"
    __table_args__ = (Index("ix_inbound_status", "status"),)

    id: int = Field(default=None, primary_key=True)  # None until inserted; typed as the stored value
    message_id: str = Field(unique=True)
    campaign_id: int | None = Field(default=None, foreign_key="campaign.id")
    section_id: int | None = Field(default=None, foreign_key="section.id")
    requirement: str | None = None
    sender: str  # the From address
    sender_name: str | None = None
    subject: str = Field(sa_column=Column(Text, nullable=False))
    sent_at: datetime | None = _ts(nullable=True)  # its Date header
    fetched_at: datetime = _ts(nullable=False)
    source: str  # maildir:/path or imap://host/folder
    # matched | unmatched | quarantined | refused
    status: str
    reason: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    notes: str = Field(sa_column=Column(Text, nullable=False))  # JSON list of what was set aside and why
    raw_sha256: str
    size: int


class Submission(SQLModel, table=True):
    __tablename__ = "submission"
    __table_args__ = (Index("ix_submission_status", "campaign_id", "status"),)

    id: int = Field(default=None, primary_key=True)  # None until inserted; typed as the stored value
    message_row_id: int = Field(foreign_key="inbound_message.id")
    campaign_id: int = Field(foreign_key="campaign.id")
    section_id: int = Field(foreign_key="section.id")
    requirement: str | None = None  # None: the mail did not say which (accept --requirement)
    sha256: str
    filename: str
    size: int
    content_type: str
    sender: str
    received_at: datetime = _ts(nullable=False)
    status: str  # received | accepted | rejected
    decided_by: str | None = None
    decided_at: datetime | None = _ts(nullable=True)
    reason: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    filing_id: int | None = Field(default=None, foreign_key="filing.id")
