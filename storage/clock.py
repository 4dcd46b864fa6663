"""The database's own clock discipline: real recorded times, monotonic, and rehearsals.

Every event records the real time it was written (``recorded_at``): on
PostgreSQL the server's clock (an operator cannot set it back from a client),
on SQLite the machine's. The last one is kept in the single ``database_info``
row, read under a lock, so a write whose real clock is earlier than the last
recorded event is refused: somebody set the clock back.

A database created as a *rehearsal* (``manyi campaign start --rehearsal``)
may be written at a pretended time (``MANYI_NOW``); any other database
refuses such writes, so nobody can file "on time" after a deadline.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import func, select, text, update
from sqlalchemy.orm import Session

from storage.models import Campaign, DatabaseInfo
from workflow.errors import ClockError, InputError
from workflow.i18n import _


def is_rehearsal(s: Session) -> bool:
    return bool(s.execute(select(DatabaseInfo.rehearsal).where(DatabaseInfo.id == 1)).scalar())


def mark_rehearsal(s: Session) -> None:
    """Make this database a rehearsal; only a database with no campaign yet can become one."""
    if is_rehearsal(s):
        return
    if s.execute(select(func.count()).select_from(Campaign)).scalar_one():
        raise InputError(
            _(
                "--rehearsal: this database already holds real campaigns; "
                "rehearse in a new database (--db FILE)"
            )
        )
    s.execute(update(DatabaseInfo).where(DatabaseInfo.id == 1).values(rehearsal=True))


def real_now(s: Session) -> datetime:
    """The real clock: the server's on PostgreSQL, this machine's on SQLite."""
    if s.get_bind().dialect.name == "sqlite":
        return datetime.now(UTC)
    value = s.execute(text("SELECT clock_timestamp()")).scalar_one()
    return value.astimezone(UTC)


def lock(s: Session) -> None:
    """Take the database's clock lock (PostgreSQL; SQLite writers are serialised already).

    Taken before any campaign row is locked, so writers queue here in one order.
    """
    if s.get_bind().dialect.name != "sqlite":
        s.execute(select(DatabaseInfo.id).where(DatabaseInfo.id == 1).with_for_update())


def record(s: Session) -> datetime:
    """The real time for the events being written now; refused if the clock went back.

    Call under :func:`lock` (``events_repo.append_events`` does).
    """
    now = real_now(s)
    last = s.execute(select(DatabaseInfo.last_recorded_at).where(DatabaseInfo.id == 1)).scalar()
    if last is not None and now < last:
        raise ClockError(now, last)
    s.execute(update(DatabaseInfo).where(DatabaseInfo.id == 1).values(last_recorded_at=now))
    return now


def last_recorded(s: Session) -> datetime | None:
    return s.execute(select(DatabaseInfo.last_recorded_at).where(DatabaseInfo.id == 1)).scalar()
