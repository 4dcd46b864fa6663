"""Build a benchmark campaign fast, with exactly the rows the engine would write.

A campaign of the seed definition with N sections is started through the real
use case; then its history is replayed in bulk through the storage layer
(``repo.add_sections``, ``events_repo.append_events``, ``repo.apply_changes``), one
batch per step of the campaign, so the records, filings and the hash chain are
the ones the CLI would have produced, only without one transaction per office.

The sections are spread over the four phases (40/30/20/10 %), each with the
filings its current phase needs to exit, so a bulk advance moves every one of
them. The leading group has filed its own documents of every phase.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import insert

from benchmarks.common import ACTOR, CAMPAIGN, DEFINITION, HOME, NOW, START, T0  # noqa: E402,F401
from storage import events_repo, repo
from storage.db import Database
from storage.models import Campaign, Filing
from workflow.usecases import campaigns
from workflow.usecases.context import Context, definition_of

#: Where :func:`set_aside` moved outbox folders (one beside each), for :func:`empty_trash`.
TRASH: set[Path] = set()


def set_aside(folder: Path) -> None:
    """Move a run's outbox folder out of the next run's way, to be deleted after the suite
    (:func:`empty_trash`). Deleting 100,000 files is written back (and, on a disk mounted with
    ``discard``, trimmed) for many seconds after ``rmtree`` returns: inside the next run's timing
    it doubled a 50,000-mail delivery."""
    if folder.exists():
        trash = folder.parent / "trash"
        trash.mkdir(exist_ok=True)
        folder.rename(trash / f"{folder.name}-{os.getpid()}-{time.monotonic_ns()}")
        TRASH.add(trash)


def empty_trash() -> None:
    for trash in TRASH:
        shutil.rmtree(trash, ignore_errors=True)
    TRASH.clear()


SHARE = (40, 30, 20, 10)  # % of sections per phase, in phase order
CHUNK = 20_000


@dataclass(frozen=True)
class Built:
    url: str
    sections: int
    events: int
    filings: int
    by_state: dict[str, int]
    probe_office: str  # a section with the longest history


def office_name(i: int) -> str:
    return f"第{i:06d}科"


def phase_index(i: int, n: int) -> int:
    """Which phase section ``i`` of ``n`` is in (deterministic, spread evenly)."""
    slot = (i * 100) // n if n >= 100 else i % 100
    bound = 0
    for k, share in enumerate(SHARE):
        bound += share
        if slot < bound:
            return k
    return len(SHARE) - 1


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def build(url: str, n: int) -> Built:
    """Create the campaign in an empty database at ``url``."""
    db = Database(url)
    clock = [T0]
    ctx = Context(db, ACTOR, lambda: clock[0])
    campaigns.start_campaign(ctx, DEFINITION, CAMPAIGN, START, rehearsal=True)  # a pretended clock
    with db.read() as s:
        campaign = repo.find_campaign(s, CAMPAIGN)
        definition = definition_of(campaign)
    states = definition.states
    exit_reqs = {
        p.key: [r.key for r in p.requirements if r.exit and r.filer == "section"]
        for p in definition.spec.phases
    }
    group_reqs = [
        (p.key, r.key, definition.count_of(r))
        for p in definition.spec.phases
        for r in p.requirements
        if r.filer == "leading-group"
    ]
    where = [phase_index(i, n) for i in range(n)]
    names = [office_name(i) for i in range(n)]
    counts = {"events": 1, "filings": 0}

    def tick(days: float) -> datetime:
        clock[0] = clock[0] + timedelta(days=days)
        return clock[0]

    with db.write() as s:
        campaign = repo.find_campaign(s, CAMPAIGN)
        at = tick(1)
        ids: dict[str, int] = {}
        for lo in range(0, n, CHUNK):
            chunk = [
                repo.NewSection(names[i], f"office{i}@example.gov.cn", f"负责人{i}")
                for i in range(lo, min(n, lo + CHUNK))
            ]
            added = repo.add_sections(s, campaign.id, chunk, states[0], ACTOR, at)  # type: ignore[arg-type]
            ids.update({name: sid for sid, name in added})
            _events(
                s,
                campaign,
                [
                    events_repo.NewEvent(
                        "office-add",
                        section_id=ids[e.name],
                        office=e.name,
                        to_state=states[0],
                        detail={"email": e.email, "head": e.head},
                    )
                    for e in chunk
                ],
                at,
                counts,
            )
        version = [1] * n
        record_ids = {r.section_id: r.record_id for r in repo.records(s, campaign.id)}  # type: ignore[arg-type]
        for k, phase in enumerate(states[:-1]):
            at = tick(10)
            _group_filings(s, campaign, [g for g in group_reqs if g[0] == phase], at, counts)
            movers = [i for i in range(n) if where[i] >= k]
            for req in exit_reqs[phase]:
                at = tick(3)
                _section_filings(s, campaign, req, [(ids[names[i]], names[i]) for i in movers], at, counts)
            leaving = [i for i in movers if where[i] > k]
            if not leaving:
                continue
            at = tick(20)
            for lo in range(0, len(leaving), CHUNK):
                part = leaving[lo : lo + CHUNK]
                repo.apply_changes(
                    s,
                    [
                        repo.StateChange(record_ids[ids[names[i]]], names[i], version[i], states[k + 1])
                        for i in part
                    ],
                    ACTOR,
                    at,
                )
                _events(
                    s,
                    campaign,
                    [
                        events_repo.NewEvent(
                            "advance",
                            section_id=ids[names[i]],
                            office=names[i],
                            from_state=phase,
                            to_state=states[k + 1],
                        )
                        for i in part
                    ],
                    at,
                    counts,
                )
                for i in part:
                    version[i] += 1
    db.dispose()
    by_state = {st: sum(1 for w in where if states[w] == st) for st in states[:-1]}
    probe = max(range(n), key=lambda i: (where[i], -i))
    return Built(db.url, n, counts["events"], counts["filings"], by_state, names[probe])


def _events(s, campaign: Campaign, events: list[events_repo.NewEvent], at: datetime, counts) -> None:  # type: ignore[no-untyped-def]
    events_repo.append_events(s, campaign, events, ACTOR, at)
    counts["events"] += len(events)


def _group_filings(s, campaign: Campaign, reqs, at: datetime, counts) -> None:  # type: ignore[no-untyped-def]
    group = "领导小组"
    for _phase, req, count in reqs:
        for j in range(count):
            name = f"{req}-{j + 1}.pdf"
            sha = _sha(f"{CAMPAIGN}/{group}/{name}")
            repo.add_filing(
                s,
                Filing(
                    campaign_id=campaign.id,
                    section_id=None,
                    requirement=req,
                    sha256=sha,  # type: ignore[arg-type]
                    filename=name,
                    size=40_000,
                    note=None,
                    actor=ACTOR,
                    at=at,
                ),
            )
            _events(
                s,
                campaign,
                [
                    events_repo.NewEvent(
                        "file",
                        section_id=None,
                        office=group,
                        detail={"requirement": req, "sha256": sha, "filename": name, "size": 40_000},
                    )
                ],
                at,
                counts,
            )
            counts["filings"] += 1


def _section_filings(
    s,
    campaign: Campaign,
    req: str,
    who: list[tuple[int, str]],
    at: datetime,  # type: ignore[no-untyped-def]
    counts,
) -> None:
    for lo in range(0, len(who), CHUNK):
        part = who[lo : lo + CHUNK]
        rows, events = [], []
        for sid, office in part:
            name = f"{req}.docx"
            sha = _sha(f"{CAMPAIGN}/{office}/{name}")
            size = 20_000 + sid % 9_000
            rows.append(
                {
                    "campaign_id": campaign.id,
                    "section_id": sid,
                    "requirement": req,
                    "sha256": sha,
                    "filename": name,
                    "size": size,
                    "note": None,
                    "actor": ACTOR,
                    "at": at,
                }
            )
            events.append(
                events_repo.NewEvent(
                    "file",
                    section_id=sid,
                    office=office,
                    detail={"requirement": req, "sha256": sha, "filename": name, "size": size},
                )
            )
        s.execute(insert(Filing), rows)
        _events(s, campaign, events, at, counts)
        counts["filings"] += len(rows)


# -- where the campaigns live ------------------------------------------------
class SqliteStore:
    """One built file per size; each mutating run works on a fresh copy."""

    kind = "sqlite"

    def __init__(self, folder: Path):
        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True)

    def master(self, n: int | str) -> str:
        return "sqlite:///" + str((self.folder / f"campaign-{n}.db").resolve())

    def exists(self, n: int | str) -> bool:
        return (self.folder / f"campaign-{n}.db").exists()

    def reset(self, n: int | str) -> None:
        for suffix in ("", "-wal", "-shm"):
            p = self.folder / f"campaign-{n}.db{suffix}"
            if p.exists():
                p.unlink()

    def seal(self, n: int | str) -> None:
        import sqlite3

        with sqlite3.connect(self.folder / f"campaign-{n}.db") as conn:
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            conn.execute("ANALYZE")

    def clone(self, n: int | str, to: str) -> str:
        """A second built campaign ``to``, a copy of ``n`` (to be changed, then sealed)."""
        self.reset(to)
        shutil.copyfile(self.folder / f"campaign-{n}.db", self.folder / f"campaign-{to}.db")
        return self.master(to)

    @contextmanager
    def copy(self, n: int | str) -> Iterator[str]:
        src = self.folder / f"campaign-{n}.db"
        dst = self.folder / f"work-{n}.db"
        outbox = Path(str(dst) + ".outbox")  # what a run mailed belongs to its copy only
        for suffix in ("-wal", "-shm"):
            Path(str(dst) + suffix).unlink(missing_ok=True)
        set_aside(outbox)
        shutil.copyfile(src, dst)
        try:
            yield "sqlite:///" + str(dst.resolve())
        finally:
            for suffix in ("", "-wal", "-shm"):
                Path(str(dst) + suffix).unlink(missing_ok=True)
            set_aside(outbox)


class PostgresStore:
    """One database per size (``manyi_bench_<n>``); runs work on a TEMPLATE copy."""

    kind = "postgresql"

    def __init__(self, url: str):
        from sqlalchemy.engine import make_url

        self.base = make_url(url)
        self.prefix = "manyi_bench"

    def _admin(self):  # type: ignore[no-untyped-def]
        import psycopg

        u = self.base
        return psycopg.connect(
            host=u.host,
            port=u.port or 5432,
            user=u.username,
            password=u.password,
            dbname=u.database,
            autocommit=True,
        )

    def _url(self, name: str) -> str:
        return self.base.set(database=name).render_as_string(hide_password=False)

    def master(self, n: int | str) -> str:
        return self._url(f"{self.prefix}_{n}")

    def exists(self, n: int | str) -> bool:
        with self._admin() as c:
            row = c.execute(
                "SELECT 1 FROM pg_database WHERE datname = %s", (f"{self.prefix}_{n}",)
            ).fetchone()
            return row is not None

    def reset(self, n: int | str) -> None:
        with self._admin() as c:
            c.execute(f'DROP DATABASE IF EXISTS "{self.prefix}_{n}" WITH (FORCE)')
            c.execute(f'CREATE DATABASE "{self.prefix}_{n}"')

    def seal(self, n: int | str) -> None:
        import psycopg

        u = self.base
        with psycopg.connect(
            host=u.host,
            port=u.port or 5432,
            user=u.username,
            password=u.password,
            dbname=f"{self.prefix}_{n}",
            autocommit=True,
        ) as c:
            c.execute("VACUUM ANALYZE")

    def clone(self, n: int | str, to: str) -> str:
        with self._admin() as c:
            c.execute(f'DROP DATABASE IF EXISTS "{self.prefix}_{to}" WITH (FORCE)')
            c.execute(f'CREATE DATABASE "{self.prefix}_{to}" TEMPLATE "{self.prefix}_{n}"')
        return self.master(to)

    @contextmanager
    def copy(self, n: int | str) -> Iterator[str]:
        from storage.db import server_label

        work = f"{self.prefix}_work_{os.getpid()}"
        url = self._url(work)
        # What a run mailed belongs to its copy only (the runs spawn with MANYI_HOME=benchmarks/work):
        # files left by an earlier run would make the next one overwrite instead of create.
        outbox = HOME / (server_label(url) + ".outbox")
        with self._admin() as c:
            c.execute(f'DROP DATABASE IF EXISTS "{work}" WITH (FORCE)')
            c.execute(f'CREATE DATABASE "{work}" TEMPLATE "{self.prefix}_{n}"')
        set_aside(outbox)
        try:
            yield url
        finally:
            with self._admin() as c:
                c.execute(f'DROP DATABASE IF EXISTS "{work}" WITH (FORCE)')
            set_aside(outbox)


def lengthen(url: str, rounds: int, batch: int = 10) -> int:
    """Give every section ``rounds`` more filings (and file events); return the event count.

    Used for the long-chain check: a campaign of N sections plus this reaches a
    million events without a million sections.
    """
    from sqlalchemy import func, select

    from storage.event_models import Event

    db = Database(url)
    counts = {"events": 0, "filings": 0}
    at = NOW - timedelta(days=30)
    with db.read() as s:
        who = [(sec.id, sec.name) for sec in repo.sections(s, repo.find_campaign(s, CAMPAIGN).id)]  # type: ignore[arg-type]
    for lo in range(0, rounds, batch):
        with db.write() as s:
            campaign = repo.find_campaign(s, CAMPAIGN)
            for _ in range(lo, min(rounds, lo + batch)):
                at += timedelta(minutes=5)
                _section_filings(s, campaign, "study-plan", who, at, counts)
    with db.read() as s:
        total = s.execute(select(func.count()).select_from(Event)).scalar_one()
    db.dispose()
    return int(total)
