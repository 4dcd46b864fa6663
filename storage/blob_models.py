"""The table of filed documents kept in the database (PostgreSQL; SQLite keeps a folder)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Column, LargeBinary
from sqlmodel import Field, SQLModel

from storage.columns import _ts


class Blob(SQLModel, table=True):
    """A filed document in the database (PostgreSQL), content-addressed; never changed."""

    __tablename__ = "blob"

    sha256: str = Field(primary_key=True)
    size: int = Field(sa_column=Column(BigInteger, nullable=False))
    content: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    created_at: datetime = _ts(nullable=False)
