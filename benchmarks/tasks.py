"""The measured operations, each run in its own process by :mod:`benchmarks.run`.

``python -m benchmarks.tasks NAME URL [ARG]`` runs one operation and prints one
JSON line ``{"seconds": ..., ...}`` timing the operation itself (imports and
connecting excluded); the parent takes peak RSS from ``wait4``. Operations
whose whole command is measured (``status --json``, ``history``) print their
output on stdout instead, and the parent times the process.

The baselines use the plain DB-API driver (``sqlite3`` or ``psycopg``): the
same rows read, the same rows updated and the same event rows inserted, hash
chain included, with ``executemany`` in one transaction.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, NamedTuple

CAMPAIGN = "bench"


# -- the engine ----------------------------------------------------------------
def engine_advance(url: str) -> dict[str, Any]:
    from benchmarks.common import ACTOR, NOW
    from storage.db import Database
    from workflow.usecases import advancing
    from workflow.usecases.context import Context

    ctx = Context(Database(url), ACTOR, lambda: NOW)
    t0 = time.perf_counter()
    outcomes = advancing.advance(ctx, CAMPAIGN, None)
    seconds = time.perf_counter() - t0
    return {"seconds": seconds, "moved": sum(1 for o in outcomes if o.dest), "records": len(outcomes)}


def _sweep_ctx(url: str, at: Any) -> Any:
    from benchmarks.common import ACTOR
    from storage.db import Database
    from workflow.usecases.context import Context

    return Context(Database(url), ACTOR, lambda: at)


def sweep_prep(url: str) -> dict[str, Any]:
    """The first sweep, a day into the campaign: lays out every deadline, fires nothing (not timed)."""
    from datetime import timedelta

    from benchmarks.common import T0
    from workflow.usecases import sweep

    at = T0 + timedelta(days=1)
    t0 = time.perf_counter()
    result = sweep.sweep(_sweep_ctx(url, at), at=at)
    return {"seconds": time.perf_counter() - t0, "reminders": result.reminders}


def engine_sweep(url: str, mode: str) -> dict[str, Any]:
    """One sweep with nothing due, or with 10 % of the deadlines due (outbox transport, the default).

    For ``tenth`` the other 90 % are moved past the sweep's time first (not timed), so exactly
    one deadline in ten has a slot due, long overdue, at the campaign's end.
    """
    from datetime import timedelta

    from benchmarks.common import T0
    from benchmarks.sweep_baseline import prepare_tenth
    from workflow.usecases import sweep

    at = T0 + timedelta(days=1, hours=1) if mode == "none" else prepare_tenth(url)
    ctx = _sweep_ctx(url, at)
    t0 = time.perf_counter()
    result = sweep.sweep(ctx, at=at)
    return {"seconds": time.perf_counter() - t0, "reminders": result.reminders, "mails": len(result.mails)}


def engine_backlog(url: str, count: str) -> dict[str, Any]:
    """A backlog of ``count`` failed messages (the mail server was down for a while), then the
    server back: one delivery run sends them all (outbox transport). Queuing the backlog is not
    timed; the run is, from the first claim to the last mark."""
    import base64
    import shutil
    import tempfile
    from datetime import timedelta

    from sqlalchemy import select

    from benchmarks.common import NOW
    from storage import mail_repo
    from storage.models import Campaign
    from workflow.adapters.mailserver import transport_from_env
    from workflow.usecases import delivery

    ctx = _sweep_ctx(url, NOW)
    body = base64.encodebytes(("各科室：请按期报送材料。\n" * 40).encode()).decode().replace("\n", "\r\n")
    failed_at = NOW - timedelta(hours=2)
    with ctx.db.write() as s:
        cid = s.execute(select(Campaign.id).where(Campaign.name == CAMPAIGN)).scalar_one()
        rows = []
        for i in range(int(count)):
            to = f"office{i % 5000}@example.cn"
            mid = f"<backlog.{i}@bench.example.cn>"
            raw = (
                f"From: manyi@example.cn\r\nTo: {to}\r\nSubject: backlog {i}\r\n"
                f"Message-ID: {mid}\r\nMIME-Version: 1.0\r\n"
                f"Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n{body}"
            )
            rows.append(
                {
                    "campaign_id": cid,
                    "recipient": to,
                    "subject": f"backlog {i}",
                    "message_id": mid,
                    "raw": raw,
                    "items": "[]",
                    "status": "failed",
                    "attempts": 3,
                    "next_attempt_at": failed_at + timedelta(seconds=i % 600),
                    "last_error": "421 4.3.2 service not available",
                    "created_at": failed_at,
                }
            )
            if len(rows) == 5000:
                mail_repo.add_mails(s, rows)
                rows = []
        mail_repo.add_mails(s, rows)
    # The outbox folder in memory when the machine has one (/dev/shm): the figure is the
    # delivery's claims, marks and queries. On a disk mounted with ``discard``, an earlier run's
    # 100,000 deleted files were still being trimmed and slowed this run's writes 2-3x.
    shm = Path("/dev/shm")
    folder = Path(tempfile.mkdtemp(dir=shm)) if shm.is_dir() else ctx.db.outbox
    transport = transport_from_env(folder)
    os.sync()  # what earlier runs wrote is flushed before the timing, not inside it
    t0 = time.perf_counter()
    result = delivery.deliver(ctx, transport, now=NOW, budget=3600)
    seconds = time.perf_counter() - t0
    if folder != ctx.db.outbox:
        shutil.rmtree(folder)
    if result.sent != int(count) or result.failed or result.deferred:
        raise RuntimeError(f"backlog of {count}: sent {result.sent}, failed {result.failed}")
    return {"seconds": seconds, "mails": result.sent}


def baseline_sweep(url: str) -> dict[str, Any]:
    from benchmarks.sweep_baseline import baseline_sweep as run

    return run(url)


def build(url: str, n: str) -> dict[str, Any]:
    from dataclasses import asdict

    from benchmarks.build import build as do_build

    t0 = time.perf_counter()
    built = do_build(url, int(n))
    return {"seconds": time.perf_counter() - t0, **asdict(built)}


def lengthen(url: str, rounds: str) -> dict[str, Any]:
    from benchmarks.build import lengthen as do_lengthen

    t0 = time.perf_counter()
    events = do_lengthen(url, int(rounds))
    return {"seconds": time.perf_counter() - t0, "events": events}


# -- plain driver baselines ----------------------------------------------------
def _exit_needs() -> dict[str, list[tuple[str, int]]]:
    """Exit requirements per phase, read from the definition once (not timed)."""
    from benchmarks.common import DEFINITION
    from workflow.adapters import definition_files as defs

    d = defs.load(DEFINITION)
    return {p.key: [(r.key, d.count_of(r)) for r in p.requirements if r.exit] for p in d.spec.phases}


def _states() -> list[str]:
    from benchmarks.common import DEFINITION
    from workflow.adapters import definition_files as defs

    return list(defs.load(DEFINITION).states)


def _canonical(**kw: Any) -> bytes:
    return json.dumps(kw, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


class _Sqlite:
    param = "?"

    def __init__(self, url: str):
        import sqlite3

        self.conn = sqlite3.connect(url.split("///", 1)[1], isolation_level=None)
        self.conn.execute("PRAGMA journal_mode=WAL")
        self.conn.execute("PRAGMA synchronous=NORMAL")

    def begin(self) -> None:
        self.conn.execute("BEGIN IMMEDIATE")

    def lock_campaign(self, cid: int) -> None:
        pass

    def stamp(self, at: datetime) -> Any:
        return at.astimezone(UTC).replace(tzinfo=None).isoformat(sep=" ", timespec="microseconds")

    def record_stamp(self, at: datetime) -> Any:
        # What repo.apply_changes stores through its text() UPDATE.
        return at.astimezone(UTC).isoformat(sep=" ")

    def q(self, sql: str, args: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        return self.conn.execute(sql, args).fetchall()

    def many(self, sql: str, rows: list[tuple[Any, ...]]) -> None:
        self.conn.executemany(sql, rows)

    def commit(self) -> None:
        self.conn.execute("COMMIT")


class _Postgres(_Sqlite):
    param = "%s"

    def __init__(self, url: str):
        from urllib.parse import unquote, urlsplit

        import psycopg

        u = urlsplit(url)  # no sqlalchemy: a whole-process baseline does not import it
        self.conn = psycopg.connect(
            host=u.hostname,
            port=u.port or 5432,
            user=unquote(u.username or ""),
            password=unquote(u.password) if u.password else None,
            dbname=u.path.lstrip("/"),
        )

    def begin(self) -> None:
        pass  # psycopg opens a transaction on the first statement

    def lock_campaign(self, cid: int) -> None:
        self.conn.execute("SELECT id FROM campaign WHERE id = %s FOR UPDATE", (cid,))

    def stamp(self, at: datetime) -> Any:
        return at

    def record_stamp(self, at: datetime) -> Any:
        return at

    def q(self, sql: str, args: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        return self.conn.execute(sql.replace("?", "%s"), args).fetchall()

    def many(self, sql: str, rows: list[tuple[Any, ...]]) -> None:
        with self.conn.cursor() as cur:
            cur.executemany(sql.replace("?", "%s"), rows)

    def commit(self) -> None:
        self.conn.commit()


class _Event(NamedTuple):
    """An event to append to the campaign's chain (what storage.events_repo.NewEvent carries)."""

    section_id: int | None
    office: str | None
    action: str
    from_state: str | None
    to_state: str | None
    detail: dict[str, Any]


def _append_events(db: _Sqlite, cid: int, cname: str, events: list[_Event]) -> None:
    """Insert ``events`` after the head of the campaign's chain, each hashed over the one
    before, in one ``executemany`` (what storage.events_repo.append_events writes)."""
    from benchmarks.common import ACTOR, NOW

    stamp = db.stamp(NOW)
    at = NOW.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    head = db.q("SELECT seq, hash FROM event WHERE campaign_id = ? ORDER BY seq DESC LIMIT 1", (cid,))
    seq, prev = head[0] if head else (0, "0" * 64)
    texts: dict[int, str] = {}  # a detail shared by many events is serialised once
    rows = []
    for e in events:
        seq += 1
        digest = hashlib.sha256(
            _canonical(
                action=e.action,
                actor=ACTOR,
                at=at,
                campaign=cname,
                detail=e.detail,
                office=e.office,
                prev=prev,
                reason=None,
                seq=seq,
                to=e.to_state,
                **{"from": e.from_state},
            )
        ).hexdigest()
        text = texts.get(id(e.detail))
        if text is None:
            text = texts[id(e.detail)] = json.dumps(e.detail, ensure_ascii=False, separators=(",", ":"))
        rows.append(
            (cid, seq, stamp, ACTOR, e.section_id, e.office, e.action, e.from_state, e.to_state, None)
            + (text, prev, digest)
        )
        prev = digest
    db.many(
        "INSERT INTO event (campaign_id, seq, at, actor, section_id, office, action, from_state, "
        "to_state, reason, detail, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        rows,
    )


def _driver(url: str) -> _Sqlite:
    return _Sqlite(url) if url.startswith("sqlite") else _Postgres(url)


def _move(
    db: _Sqlite,
    cid: int,
    cname: str,
    moves: list[tuple[int, int, str, str, int]],
    nxt: dict[str, str],
) -> None:
    """Advance ``moves`` (record id, section id, office, state, version): the guarded record
    updates, the database's clock, one chained ``advance`` event each."""
    from benchmarks.common import ACTOR, NOW

    db.many(
        "UPDATE record SET state = ?, version = version + 1, updated_at = ?, updated_by = ? "
        "WHERE id = ? AND version = ?",
        [(nxt[state], db.record_stamp(NOW), ACTOR, rid, version) for rid, _s, _o, state, version in moves],
    )
    # The database's real clock for the events (storage.clock), as the engine records it.
    recorded = datetime.now(UTC)
    db.many("UPDATE database_info SET last_recorded_at = ? WHERE id = 1", [(db.stamp(recorded),)])
    detail = {"recorded_at": recorded.strftime("%Y-%m-%dT%H:%M:%S.%fZ")}
    _append_events(
        db,
        cid,
        cname,
        [_Event(sid, office, "advance", state, nxt[state], detail) for _r, sid, office, state, _v in moves],
    )


def baseline_advance(url: str) -> dict[str, Any]:

    needs, states = _exit_needs(), _states()
    nxt = dict(zip(states, states[1:], strict=False))
    db = _driver(url)
    t0 = time.perf_counter()
    db.begin()
    cid, cname = db.q("SELECT id, name FROM campaign WHERE name = ?", (CAMPAIGN,))[0]
    db.lock_campaign(cid)
    rows = db.q(
        "SELECT r.id, s.id, s.name, r.state, r.version FROM record r "
        "JOIN section s ON s.id = r.section_id WHERE r.campaign_id = ? ORDER BY s.id",
        (cid,),
    )
    counts: dict[int | None, dict[str, int]] = {}
    for sid, req, k in db.q(
        "SELECT section_id, requirement, count(*) FROM filing WHERE campaign_id = ? "
        "GROUP BY section_id, requirement",
        (cid,),
    ):
        counts.setdefault(sid, {})[req] = k
    moves = []
    for rid, sid, office, state, version in rows:
        if state not in nxt:
            continue
        have = counts.get(sid, {})
        if all(have.get(req, 0) >= need for req, need in needs[state]):
            moves.append((rid, sid, office, state, version))
    _move(db, cid, cname, moves, nxt)
    db.commit()
    return {"seconds": time.perf_counter() - t0, "moved": len(moves), "records": len(rows)}


def _phases_from_yaml() -> list[tuple[str, str, list[tuple[str, str]]]]:
    """(key, English title, [(exit requirement key, English title)]) per state, read with PyYAML
    alone: a whole-process baseline does not pay for the engine's imports."""
    from benchmarks.common import definition_spec

    spec = definition_spec()
    out = [
        (
            p["key"],
            p["title"]["en"],
            [
                (r["key"], r["title"]["en"])
                for r in p.get("requirements", [])
                if r.get("exit") and r.get("filer", "section") == "section"
            ],
        )
        for p in spec["phases"]
    ]
    return [*out, (spec["final"]["key"], spec["final"]["title"]["en"], [])]


def baseline_advance_cli(url: str, *flags: str) -> None:
    """``manyi advance --all`` done with the driver, whole process: the same row work as
    :func:`baseline_advance` (reads, guarded updates, chained events, one transaction) and
    the same lines on stdout, written once."""

    phases = _phases_from_yaml()
    titles = {k: t for k, t, _r in phases}
    needs = {k: reqs for k, _t, reqs in phases}
    states = [k for k, _t, _r in phases]
    nxt = dict(zip(states, states[1:], strict=False))
    db = _driver(url)
    db.begin()
    cid, cname = db.q("SELECT id, name FROM campaign WHERE name = ?", (CAMPAIGN,))[0]
    db.lock_campaign(cid)
    rows = db.q(
        "SELECT r.id, s.id, s.name, r.state, r.version FROM record r "
        "JOIN section s ON s.id = r.section_id WHERE r.campaign_id = ? ORDER BY s.id",
        (cid,),
    )
    counts: dict[int | None, dict[str, int]] = {}
    for sid, req, k in db.q(
        "SELECT section_id, requirement, count(*) FROM filing WHERE campaign_id = ? "
        "GROUP BY section_id, requirement",
        (cid,),
    ):
        counts.setdefault(sid, {})[req] = k
    moves, lines, blocked = [], [], 0
    for rid, sid, office, state, version in rows:
        if state not in nxt:  # --all leaves completed offices out
            continue
        have = counts.get(sid, {})
        missing = [(k, t) for k, t in needs[state] if have.get(k, 0) < 1]
        if missing:
            blocked += 1
            lines.append(
                f"{office}: blocked in {titles[state]}, missing "
                + "; ".join(f"{k} ({t})" for k, t in missing)
            )
            continue
        moves.append((rid, sid, office, state, version))
        lines.append(f"{office}: {titles[state]} → {titles[nxt[state]]}")
    _move(db, cid, cname, moves, nxt)
    db.commit()
    lines.append(f"{len(moves)} advanced, {blocked} blocked.")
    sys.stdout.write("\n".join(lines) + "\n")


def baseline_start(url: str, roster: str, name: str) -> None:
    """``campaign start`` with a roster, by the driver: read the CSV (UTF-8 or GBK), check each
    name and address (the engine's own address check: the same work, including its shortcut for
    a plain address, which skips email_validator and its import), insert the campaign, its
    sections and records and the chained events (campaign-start, one office-add per section) in
    one transaction, and print the summary line (whole process)."""
    import getpass

    from benchmarks.common import ACTOR, DEFINITION, NOW
    from workflow.engine.text import email as checked_email

    head_row, *body = _read_csv(roster)
    col = {h.strip(): i for i, h in enumerate(head_row)}
    entries, seen = [], set()
    for row in body:
        office = row[col["科室"]].strip()
        if not office or not office.isprintable() or office in seen:
            raise SystemExit(f"bad office name {office!r}")
        seen.add(office)
        entries.append((office, checked_email(row[col["邮箱"]], "邮箱"), row[col["负责人"]].strip() or None))
    text = Path(DEFINITION).read_text(encoding="utf-8")
    db = _driver(url)
    db.begin()
    if db.q("SELECT id FROM campaign WHERE name = ?", (name,)):
        raise SystemExit(f"campaign {name} exists")
    stamp = db.stamp(NOW)
    db.many(
        "INSERT INTO campaign (name, definition_key, definition_source, definition_text, parameters, "
        "start_date, timezone, status, created_at, created_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            (
                name,
                "people-satisfied-unit",
                DEFINITION,
                text,
                "{}",
                "2026-03-01",
                "Asia/Shanghai",
                "active",
                stamp,
                ACTOR,
            )
        ],
    )
    (cid,) = db.q("SELECT id FROM campaign WHERE name = ?", (name,))[0]
    db.many(
        "INSERT INTO section (campaign_id, name, email, head, created_at, tags) VALUES (?, ?, ?, ?, ?, '[]')",
        [(cid, office, email, head, stamp) for office, email, head in entries],
    )
    ids = dict(db.q("SELECT name, id FROM section WHERE campaign_id = ?", (cid,)))
    db.many(
        "INSERT INTO record (campaign_id, section_id, state, version, updated_at, updated_by) "
        "VALUES (?, ?, 'mobilization', 1, ?, ?)",
        [(cid, ids[office], stamp, ACTOR) for office, _e, _h in entries],
    )
    recorded = datetime.now(UTC)
    db.many("UPDATE database_info SET last_recorded_at = ? WHERE id = 1", [(db.stamp(recorded),)])
    rec = recorded.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    user = getpass.getuser()
    started = {"definition": "people-satisfied-unit", "os_user": user, "recorded_at": rec}
    _append_events(
        db,
        cid,
        name,
        [_Event(None, None, "campaign-start", None, None, started)]
        + [
            _Event(
                ids[office],
                office,
                "office-add",
                None,
                "mobilization",
                {"email": email, "head": head, "os_user": user, "recorded_at": rec},
            )
            for office, email, head in entries
        ],
    )
    db.commit()
    print(f"Campaign '{name}' started ({len(entries)} offices).")


def _read_csv(path: str) -> list[list[str]]:
    """A roster or score sheet as Excel writes it: UTF-8 (with or without BOM) or GBK."""
    import csv
    import io

    data = Path(path).read_bytes()
    try:
        return list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    except UnicodeDecodeError:
        return list(csv.reader(io.StringIO(data.decode("gb18030"))))


def baseline_score_import(url: str, sheet: str) -> None:
    """``score import`` by the driver: read the CSV (UTF-8 or GBK), check every row against the
    sections and the definition's groups (score groups, 0-100 with two decimals, no scorer twice),
    insert the score rows and one chained ``score`` event each in one transaction, and print the
    summary line (whole process)."""
    import getpass
    from decimal import Decimal, InvalidOperation

    from benchmarks.common import ACTOR, NOW, definition_spec

    head_row, *body = _read_csv(sheet)
    col = {h.strip(): i for i, h in enumerate(head_row)}
    spec = definition_spec()["scoring"]
    groups = {}
    for g in spec["groups"]:
        for title in (g["key"], *g["title"].values()):
            groups[title.casefold()] = (g["key"], "score" in g.get("accepts", ["score", "vote"]))
    db = _driver(url)
    db.begin()
    cid, cname = db.q("SELECT id, name FROM campaign WHERE name = ?", (CAMPAIGN,))[0]
    db.lock_campaign(cid)
    sections = {
        name: (sid, retired)
        for sid, name, retired in db.q(
            "SELECT id, name, retired_at FROM section WHERE campaign_id = ?", (cid,)
        )
    }
    stored = set(
        db.q(
            "SELECT section_id, grp, scorer FROM score_entry WHERE campaign_id = ? AND scorer IS NOT NULL",
            (cid,),
        )
    )
    rows, seen = [], set()
    for line, row in enumerate(body, start=2):
        office, group = row[col["科室"]].strip(), row[col["评价主体"]].strip()
        scorer, score = row[col["评分人"]].strip() or None, row[col["分数"]].strip()
        if office not in sections or sections[office][1] is not None:
            raise SystemExit(f"row {line}: unknown office {office!r}")
        key, takes_scores = groups.get(group.casefold(), (None, False))
        if key is None or not takes_scores:
            raise SystemExit(f"row {line}: group {group!r} takes no scores")
        try:
            value = Decimal(score)
        except InvalidOperation:
            raise SystemExit(f"row {line}: {score!r} is not a number") from None
        if not value.is_finite() or not 0 <= value <= spec["scale"] or value != round(value, 2):
            raise SystemExit(f"row {line}: score {score} is outside 0-100")
        sid = sections[office][0]
        if scorer is not None and ((sid, key, scorer) in stored or (sid, key, scorer) in seen):
            raise SystemExit(f"row {line}: duplicate score")
        seen.add((sid, key, scorer))
        rows.append((sid, office, key, scorer, int(value * 100), str(value)))
    stamp = db.stamp(NOW)
    db.many(
        "INSERT INTO score_entry (campaign_id, section_id, grp, scorer, hundredths, vote, count, actor, at) "
        "VALUES (?, ?, ?, ?, ?, NULL, 1, ?, ?)",
        [(cid, sid, key, scorer, hundredths, ACTOR, stamp) for sid, _o, key, scorer, hundredths, _s in rows],
    )
    recorded = datetime.now(UTC)
    db.many("UPDATE database_info SET last_recorded_at = ? WHERE id = 1", [(db.stamp(recorded),)])
    rec = recorded.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    user = getpass.getuser()
    _append_events(
        db,
        cid,
        cname,
        [
            _Event(
                sid,
                office,
                "score",
                None,
                None,
                {
                    "count": 1,
                    "group": key,
                    "os_user": user,
                    "recorded_at": rec,
                    "score": text,
                    "scorer": scorer,
                },
            )
            for sid, office, key, scorer, _h, text in rows
        ],
    )
    db.commit()
    print(f"Imported {len(rows)} score rows into campaign '{cname}'.")


def status_constants(url: str, out: str) -> None:
    """What ``status --json`` derives once per campaign from its definition, written to ``out``
    for :func:`baseline_status` (run before the timing, not timed): the display titles, each
    phase's exit requirements, the section requirements with their due dates after the
    working-day rule, and today. Per-campaign constants, not row work: computing them needs
    the engine's calendar, which a whole-process baseline would otherwise import.

    Refuses a definition with conditions other than filings, or requirements that recur or
    apply to tagged sections only: the baseline would not do their work."""
    from cli.language import detect_language
    from storage import repo
    from storage.db import Database
    from workflow.calendar import deadlines, schedule
    from workflow.engine.conditions.filings import RequirementFiled
    from workflow.engine.conditions.items import ItemsConfirmed
    from workflow.i18n import pick, set_language
    from workflow.usecases.board import _owed_rules
    from workflow.usecases.context import definition_of

    set_language(detect_language())
    raw_now = os.environ.get("MANYI_NOW")
    if not raw_now:  # manyi's today comes from it in the measured runs: the baseline's must too
        raise SystemExit("status-constants needs MANYI_NOW, the clock of the measured commands")
    now = datetime.fromisoformat(raw_now)
    db = Database(url)
    with db.read() as s:
        campaign = repo.find_campaign(s, CAMPAIGN)
    d = definition_of(campaign)
    params = json.loads(campaign.parameters)
    plan = schedule.resolve(d, campaign.start_date, params)
    dues = deadlines.due_dates(d, plan)
    exits: dict[str, list[tuple[str, str, str, int]]] = {}  # (key, title, what is counted, needed)
    for state, conditions in d.exit_conditions.items():
        for cond in conditions:
            if cond.only:
                raise SystemExit(f"baseline-status does not cover conditions for tagged offices ({state})")
            if isinstance(cond, ItemsConfirmed) and cond.scope == "campaign":
                title = cond.describe(d, state)
                exits.setdefault(state, []).append(("rectification-items", title, "items", 0))
                continue
            if not isinstance(cond, RequirementFiled):
                raise SystemExit(f"baseline-status does not cover {type(cond).__name__}")
            req = d.requirement(cond.requirement)
            counted = "central" if d.is_central(req) else "section"
            exits.setdefault(state, []).append(
                (req.key, pick(req.title.as_dict()), counted, d.count_of(req, params))
            )
    reqs = []
    for i, phase in enumerate(d.spec.phases):
        for r in phase.requirements:
            if r.filer != "section":
                continue
            if r.only or r.recurring:
                raise SystemExit(f"baseline-status does not cover {r.key}: tagged or recurring")
            reqs.append((i, r.key, d.count_of(r, params), dues[r.key].due.isoformat()))
    owed = {
        state: [(o.key, o.title, o.needed) for o in rules] for state, rules in _owed_rules(d, params).items()
    }
    constants = {
        "today": deadlines.local_day(now, campaign.timezone).isoformat(),
        "warn": d.spec.reminders.warning_days,
        "titles": {st: pick(d.title_of(st).as_dict()) for st in d.states},
        "order": {p.key: i for i, p in enumerate(d.spec.phases)},
        "exits": exits,
        "reqs": reqs,
        "owed": owed,
    }
    Path(out).write_text(json.dumps(constants, ensure_ascii=False), encoding="utf-8")


_LIGHT_RANK = {"green": 0, "yellow": 1, "red": 2}


def baseline_status(url: str, constants: str) -> None:
    """``manyi status --json`` done with the driver, whole process: the same rows read (offices
    taking part, filing counts, open rectification items, deadline extensions), each office's
    blockers, next due date, light and owed filings decided row by row, and the same bytes
    printed. The per-campaign constants come from :func:`status_constants`."""
    from datetime import date

    k = json.loads(Path(constants).read_text(encoding="utf-8"))
    today, warn, titles, order = date.fromisoformat(k["today"]), k["warn"], k["titles"], k["order"]
    reqs = [(i, key, needed, date.fromisoformat(due)) for i, key, needed, due in k["reqs"]]
    db = _driver(url)
    cid = db.q("SELECT id FROM campaign WHERE name = ?", (CAMPAIGN,))[0][0]
    counts: dict[int | None, dict[str, int]] = {}
    for sid, req, n in db.q(
        "SELECT section_id, requirement, count(*) FROM filing WHERE campaign_id = ? "
        "GROUP BY section_id, requirement",
        (cid,),
    ):
        counts.setdefault(sid, {})[req] = n
    central = counts.get(None, {})
    items = dict(
        db.q(
            "SELECT section_id, count(*) FROM rectification_item WHERE campaign_id = ? "
            "AND status <> 'confirmed' GROUP BY section_id",
            (cid,),
        )
    )
    ext: dict[int, dict[str, date]] = {}
    for sid, req, to_due in db.q(
        "SELECT section_id, requirement, to_due FROM deadline_extension WHERE campaign_id = ? ORDER BY id",
        (cid,),
    ):
        ext.setdefault(sid, {})[req] = to_due if isinstance(to_due, date) else date.fromisoformat(to_due)
    encode = json.JSONEncoder(ensure_ascii=False).encode
    lines = []
    for sid, office, state in db.q(
        "SELECT s.id, s.name, r.state FROM record r JOIN section s ON s.id = r.section_id "
        "WHERE r.campaign_id = ? AND s.retired_at IS NULL ORDER BY s.id",
        (cid,),
    ):
        have, open_items = counts.get(sid, {}), items.get(sid, 0)
        blockers = [
            (key, title)
            for key, title, counted, needed in k["exits"].get(state, ())
            if (
                open_items > needed
                if counted == "items"
                else (central if counted == "central" else have).get(key, 0) < needed
            )
        ]
        light = due = due_req = None
        if state in order:
            here, mine, found = order[state], ext.get(sid, {}), []
            for i, key, needed, planned in reqs:
                if i <= here and have.get(key, 0) < needed:
                    day = mine.get(key) or planned
                    lit = "red" if today > day else "yellow" if (day - today).days <= warn else "green"
                    found.append((day, key, lit))
            found.sort()
            light = max((f[2] for f in found), key=_LIGHT_RANK.__getitem__) if found else "green"
            if found:
                due, due_req = found[0][0].isoformat(), found[0][1]
        owed = [(key, title) for key, title, needed in k["owed"][state] if have.get(key, 0) < needed]
        lines.append(
            encode(
                {
                    "office": office,
                    "state": state,
                    "state_title": titles[state],
                    "blockers": [b[0] for b in blockers],
                    "blocker_titles": [b[1] for b in blockers],
                    "next_due": due,
                    "next_due_requirement": due_req,
                    "open_items": open_items,
                    "light": light,
                    "owed": [o[0] for o in owed],
                    "owed_titles": [o[1] for o in owed],
                }
            )
        )
    text = "[\n  " + ",\n  ".join(lines) + "\n]" if lines else "[]"
    if not text.replace("\n", "").isprintable():  # manyi escapes bidi and control characters
        raise SystemExit("baseline-status: a name needs escaping, which it does not do")
    sys.stdout.write(text + "\n")


def baseline_history(url: str, office: str) -> None:
    db = _driver(url)
    rows = db.q(
        "SELECT e.seq, e.at, e.actor, e.action, e.from_state, e.to_state, e.reason, e.detail "
        "FROM event e JOIN section s ON s.id = e.section_id JOIN campaign c ON c.id = e.campaign_id "
        "WHERE c.name = ? AND s.name = ? ORDER BY e.seq",
        (CAMPAIGN, office),
    )
    out = [
        {
            "seq": r[0],
            "at": str(r[1]),
            "actor": r[2],
            "action": r[3],
            "from": r[4],
            "to": r[5],
            "reason": r[6],
            "detail": json.loads(r[7]),
        }
        for r in rows
    ]
    sys.stdout.write(json.dumps(out, ensure_ascii=False) + "\n")


def baseline_verify(url: str) -> None:
    """Stream the chain in seq order, recompute every hash, check every link."""
    from storage.audit import format_at

    db = _driver(url)
    cid, cname = db.q("SELECT id, name FROM campaign WHERE name = ?", (CAMPAIGN,))[0]
    cur = db.conn.cursor()
    sql = (
        "SELECT seq, at, actor, office, action, from_state, to_state, reason, detail, "
        "prev_hash, hash FROM event WHERE campaign_id = ? ORDER BY seq"
    )
    cur.execute(sql if db.param == "?" else sql.replace("?", "%s"), (cid,))
    prev, n = "0" * 64, 0
    while rows := cur.fetchmany(2000):
        for seq, at, actor, office, action, frm, to, reason, detail, prev_hash, digest in rows:
            if isinstance(at, str):
                at = datetime.fromisoformat(at).replace(tzinfo=UTC)
            body = _canonical(
                action=action,
                actor=actor,
                at=format_at(at),
                campaign=cname,
                detail=json.loads(detail),
                office=office,
                prev=prev,
                reason=reason,
                seq=seq,
                to=to,
                **{"from": frm},
            )
            if prev_hash != prev or hashlib.sha256(body).hexdigest() != digest:
                raise SystemExit(f"chain broken at #{seq}")
            prev, n = digest, n + 1
    print(json.dumps({"events": n}))


TASKS = {
    "engine-advance": engine_advance,
    "baseline-advance": baseline_advance,
    "status-constants": status_constants,
    "baseline-status": baseline_status,
    "baseline-start": baseline_start,
    "baseline-advance-cli": baseline_advance_cli,
    "baseline-history": baseline_history,
    "baseline-verify": baseline_verify,
    "sweep-prep": sweep_prep,
    "engine-sweep": engine_sweep,
    "baseline-sweep": baseline_sweep,
    "engine-backlog": engine_backlog,
    "baseline-score-import": baseline_score_import,
    "build": build,
    "lengthen": lengthen,
}


def main(argv: list[str]) -> None:
    name, *args = argv
    result = TASKS[name](*args)
    if result is not None:
        print(json.dumps(result, ensure_ascii=False, default=str))


if __name__ == "__main__":
    main(sys.argv[1:])
