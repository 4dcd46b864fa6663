"""Column types shared by the table modules: UTC timestamps, and a model's Core table.

A leaf of ``storage``: the table modules import it, and :mod:`storage.models` imports
the table modules to register them, so nothing imports back into a cycle.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Column, DateTime, Table, TypeDecorator
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


def ts(**kw: Any) -> Any:
    # Any: a Field() stands in for the column's Python value, as sqlmodel's own Field() does.
    return Field(sa_column=Column(UTCDateTime(), **kw))


def table_of(model: type[SQLModel]) -> Table:
    """The Core ``Table`` of a table model (sqlmodel sets ``__table__`` in its metaclass,
    where a type checker cannot see it)."""
    return model.__table__  # type: ignore[attr-defined]  # set by SQLModel's metaclass


_ts = ts  # the name the table modules were written with
