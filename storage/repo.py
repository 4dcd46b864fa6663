"""Queries and writes over one session, shaped for bulk use.

Hot paths (status, bulk advance) use Core statements returning tuples, one
query per kind of fact, never one per section.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import func, select
from sqlalchemy.orm import Session
from sqlmodel import col

from storage.bulk import bind_value, executemany
from storage.columns import table_of
from storage.models import Campaign, Filing, Record, Section
from workflow.errors import ConflictError, InputError, NotFoundError, StorageError
from workflow.i18n import _


# -- campaigns ---------------------------------------------------------------
def find_campaign(s: Session, name: str | None) -> Campaign:
    """The named campaign, or the only active one when ``name`` is None."""
    if name:
        found = s.scalars(select(Campaign).where(Campaign.name == name)).first()
        if found is None:
            raise NotFoundError("campaign", name, _hint_campaigns(s))
        return found
    rows = list(s.scalars(select(Campaign).where(Campaign.status == "active")))
    if len(rows) == 1:
        return rows[0]
    if not rows:
        raise StorageError(
            _(
                "no active campaign; start one with `manyi campaign start DEFINITION "
                "--name NAME --start YYYY-MM-DD`"
            )
        )
    raise StorageError(
        _("several campaigns are active ({names}); choose one with --campaign").format(
            names=", ".join(r.name for r in rows)
        )
    )


def require_open(campaign: Campaign) -> None:
    """Refuse a change to a closed campaign (its history stays readable)."""
    if campaign.status == "closed":
        raise InputError(
            _("campaign '{name}' is closed; it accepts no more changes (its history stays readable)").format(
                name=campaign.name
            )
        )


def _hint_campaigns(s: Session) -> str:
    names = list(s.scalars(select(Campaign.name)))
    return _("known: {names}").format(names=", ".join(names) or "-")


def list_campaigns(s: Session) -> list[Campaign]:
    return list(s.scalars(select(Campaign).order_by(Campaign.id)))


# -- sections ----------------------------------------------------------------
def sections(s: Session, campaign_id: int) -> list[Section]:
    q = select(Section).where(Section.campaign_id == campaign_id).order_by(Section.id)
    return list(s.scalars(q))


def section_ids(s: Session, campaign_id: int) -> dict[str, int]:
    """Each section's id by name (retired ones too), in section order, without loading rows."""
    q = select(Section.name, Section.id).where(Section.campaign_id == campaign_id).order_by(Section.id)
    return dict(_plain_rows(s, q))


def section_names(s: Session, campaign_id: int) -> set[str]:
    return set(section_ids(s, campaign_id))


def find_section(s: Session, campaign_id: int, name: str) -> Section:
    q = select(Section).where(Section.campaign_id == campaign_id, Section.name == name)
    row = s.scalars(q).first()
    if row is None:
        q = select(Section.name).where(Section.campaign_id == campaign_id).order_by(Section.id)
        known = list(s.scalars(q.limit(9)))
        shown = ", ".join(known[:8]) + (" …" if len(known) > 8 else "")
        raise NotFoundError("office", name, _("known: {names}").format(names=shown or "-"))
    return row


@dataclass
class NewSection:
    name: str
    email: str | None = None
    head: str | None = None
    tags: tuple[str, ...] = ()


def tags_json(tags: Iterable[str]) -> str:
    """How a section's tags are stored: a JSON array, sorted and unique."""
    return json.dumps(sorted(set(tags)), ensure_ascii=False)


def tags_of(stored: str | None) -> frozenset[str]:
    return frozenset(json.loads(stored)) if stored and stored != "[]" else frozenset()


def section_tags(s: Session, campaign_id: int) -> dict[int, frozenset[str]]:
    """``{section_id: tags}`` of the sections that carry any (the rest carry none)."""
    q = select(Section.id, Section.tags).where(Section.campaign_id == campaign_id, Section.tags != "[]")
    return {sid: tags_of(t) for sid, t in s.connection().execute(q)}


def retired_names(s: Session, campaign_id: int) -> list[str]:
    """Names of the campaign's retired sections, in section order."""
    q = (
        select(Section.name)
        .where(Section.campaign_id == campaign_id, col(Section.retired_at).is_not(None))
        .order_by(Section.id)
    )
    return list(s.scalars(q))


def add_sections(
    s: Session, campaign_id: int, rows: Sequence[NewSection], state: str, actor: str, at: datetime
) -> list[tuple[int, str]]:
    """Insert sections and their records in bulk; return ``[(section_id, name)]``."""
    if not rows:
        return []
    at_value = bind_value(s, Section, "created_at", at)
    executemany(
        s,
        "INSERT INTO section (campaign_id, name, email, head, tags, created_at) VALUES (?, ?, ?, ?, ?, ?)",
        [(campaign_id, r.name, r.email, r.head, tags_json(r.tags), at_value) for r in rows],
    )
    # The new ids from the campaign's (name, id) pairs, one query. Asking for the new names in
    # chunks of 500 took 200 queries at 100,000 offices (4.4 s of a 12 s `campaign start` on
    # PostgreSQL); adding offices already reads every name of the campaign (duplicates).
    every = section_ids(s, campaign_id)
    ids = {r.name: every[r.name] for r in rows}
    at_value = bind_value(s, Record, "updated_at", at)
    executemany(
        s,
        "INSERT INTO record (campaign_id, section_id, state, version, updated_at, updated_by) "
        "VALUES (?, ?, ?, 1, ?, ?)",
        [(campaign_id, ids[n], state, at_value, actor) for n in ids],
    )
    return [(ids[n], n) for n in ids]


# -- records -----------------------------------------------------------------
@dataclass(frozen=True)
class RecordRow:
    record_id: int
    section_id: int
    office: str
    state: str
    version: int
    updated_at: datetime
    updated_by: str
    email: str | None = None
    head: str | None = None
    retired_at: datetime | None = None


def records(
    s: Session, campaign_id: int, names: Iterable[str] | None = None, *, retired: bool = False
) -> list[RecordRow]:
    """The records of ``names`` (any, retired or not), or of every section taking part
    (with ``retired``: every section)."""
    q = (
        select(
            Record.id,
            Section.id,
            Section.name,
            Record.state,
            Record.version,
            Record.updated_at,
            Record.updated_by,
            Section.email,
            Section.head,
            Section.retired_at,
        )
        .join(Section, Section.id == Record.section_id)
        .where(Record.campaign_id == campaign_id)
        .order_by(Section.id)
    )
    if names is None:
        if not retired:  # retired sections are seen when named or asked for
            q = q.where(col(Section.retired_at).is_(None))
        # Core rows, not the ORM's loading layer: a third of the time at 100,000 records.
        return [RecordRow(*row) for row in s.connection().execute(q)]
    wanted = list(dict.fromkeys(names))
    found: dict[str, RecordRow] = {}
    for chunk in _chunks(wanted, 500):
        for row in s.execute(q.where(col(Section.name).in_(chunk))):
            found[row[2]] = RecordRow(*row)
    missing = [n for n in wanted if n not in found]
    if missing:
        find_section(s, campaign_id, missing[0])  # raises NotFoundError with hints
    return [found[n] for n in wanted]


class StateRow(NamedTuple):
    record_id: int
    section_id: int
    office: str
    state: str
    version: int


def states(s: Session, campaign_id: int) -> list[StateRow]:
    """Every section taking part (not retired), in section order, with what the board and a
    bulk advance need: no timestamps to parse (a conflict asks :func:`last_change`)."""
    q = (
        select(Record.id, Section.id, Section.name, Record.state, Record.version)
        .join(Section, Section.id == Record.section_id)
        .where(Record.campaign_id == campaign_id, col(Section.retired_at).is_(None))
        .order_by(Section.id)
    )
    return [StateRow(*row) for row in _plain_rows(s, q)]


def last_change(s: Session, record_id: int) -> tuple[str, datetime]:
    """Who changed a record last, and when."""
    row = s.execute(select(Record.updated_by, Record.updated_at).where(Record.id == record_id)).one()
    return row[0], row[1]


def versions(s: Session, campaign_id: int, state: str | None = None) -> dict[int, int]:
    """``{record_id: version}`` of every record of the campaign's sections taking part
    (only those in ``state`` when given)."""
    q = (
        select(Record.id, Record.version)
        .join(Section, Section.id == Record.section_id)
        .where(Record.campaign_id == campaign_id, col(Section.retired_at).is_(None))
    )
    if state is not None:
        q = q.where(Record.state == state)
    return dict(s.connection().execute(q).all())


def _plain_rows(s: Session, q: Any) -> list[tuple[Any, ...]]:
    """All rows of ``q`` as the driver's own tuples, in one ``fetchall``.

    For columns that need no result processing (integers and text): iterating a
    SQLAlchemy result fetches and wraps one row at a time, which was a third of
    ``status`` at 100,000 sections.
    """
    result = s.connection().execute(q)
    try:
        return list(result.cursor.fetchall())
    finally:
        result.close()


@dataclass(frozen=True, slots=True)
class StateChange:
    record_id: int
    office: str
    version: int
    new_state: str


def apply_changes(
    s: Session, changes: Sequence[StateChange], actor: str, at: datetime, tz: str = "Asia/Shanghai"
) -> None:
    """Move records, each only if nobody changed it since it was read (version check).

    ``tz``: the campaign's time zone, for the time in a conflict message.
    """
    if not changes:
        return
    ids = [c.record_id for c in changes]
    if s.get_bind().dialect.name != "sqlite":
        # Lock the rows (in id order, so two bulk advances cannot deadlock) and check
        # their versions under the lock: whoever got here first is named exactly.
        current = {}
        for chunk in _chunks(sorted(ids), 1000):
            q = (
                select(Record.id, Record.version, Record.updated_by, Record.updated_at)
                .where(col(Record.id).in_(chunk))
                .order_by(Record.id)
                .with_for_update()
            )
            current.update({rid: (ver, by, when) for rid, ver, by, when in s.execute(q)})
        for c in changes:
            ver, by, when = current[c.record_id]
            if ver != c.version:
                raise ConflictError(c.office, by, when, tz)
    at_utc = table_of(Record).c.updated_at.type.process_bind_param(at, None)  # type: ignore[attr-defined]  # the column type is UTCDateTime
    result = executemany(
        s,
        "UPDATE record SET state = ?, version = version + 1, updated_at = ?, updated_by = ? "
        "WHERE id = ? AND version = ?",
        [(c.new_state, at_utc, actor, c.record_id, c.version) for c in changes],
    )
    if result.rowcount == len(changes):
        return
    # Someone else moved at least one of them: name the first, roll everything back.
    current = {
        rid: (ver, by, when)
        for rid, ver, by, when in s.execute(
            select(Record.id, Record.version, Record.updated_by, Record.updated_at).where(
                col(Record.id).in_(ids[:1000])
            )
        )
    }
    for c in changes:
        ver, by, when = current.get(c.record_id, (None, "?", None))
        if ver is not None and ver != c.version + 1 or by != actor:
            raise ConflictError(c.office, by, when, tz)
    raise ConflictError(changes[0].office, "?", None)


# -- filings -----------------------------------------------------------------
@dataclass
class FilingCounts:
    by_section: dict[int, dict[str, int]] = field(default_factory=lambda: defaultdict(dict))
    campaign: dict[str, int] = field(default_factory=dict)


def filing_counts(s: Session, campaign_id: int, section_ids: Sequence[int] | None = None) -> FilingCounts:
    """Number of filings per (section, requirement), in one grouped query."""
    q = (
        select(Filing.section_id, Filing.requirement, func.count())
        .where(Filing.campaign_id == campaign_id)
        .group_by(Filing.section_id, Filing.requirement)
    )
    if section_ids is not None and len(section_ids) <= 500:
        q = q.where((col(Filing.section_id).in_(section_ids)) | (col(Filing.section_id).is_(None)))
    out = FilingCounts()
    for sid, req, n in _plain_rows(s, q):
        if sid is None:
            out.campaign[req] = n
        else:
            out.by_section[sid][req] = n
    return out


def add_filing(s: Session, filing: Filing) -> None:
    s.add(filing)
    s.flush()


def campaign_filings(s: Session, campaign_id: int) -> list[Filing]:
    """Every filing of the campaign, in the order they were made."""
    return list(s.scalars(select(Filing).where(Filing.campaign_id == campaign_id).order_by(Filing.id)))


def _chunks(items: Sequence[Any], size: int) -> Iterable[Sequence[Any]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]
