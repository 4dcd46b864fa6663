"""Operators: who may do what (see workflow/engine/permissions.py for the policy)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column
from sqlmodel import Field, SQLModel

from storage.columns import UTCDateTime


class Operator(SQLModel, table=True):
    """A configured operator. No rows at all means single-user mode."""

    __tablename__ = "operator"

    id: int = Field(default=None, primary_key=True)  # None until inserted; typed as the stored value
    name: str = Field(unique=True)
    role: str  # supervisor | clerk | leader | observer
    office: str | None = None  # a clerk's own office
    created_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    created_by: str
    db_login: str | None = Field(default=None, unique=True)  # PostgreSQL: the login that is this operator
    disabled_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime(), nullable=True))
