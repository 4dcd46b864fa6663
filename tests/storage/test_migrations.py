"""Schema migrations: a database written by the first released schema (0001), with data in
it, upgrades in place to this code's head with nothing lost and its audit chain intact;
a database newer than the code is refused with a clear message.

``data/schema-0001.json`` holds the rows and documents that manyi at commit ba33cbe
(schema 0001) wrote for a small campaign: three offices, filings, a normal, a blocked and
a forced advance.
"""

from __future__ import annotations

import json
import os
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import MetaData, insert, select

from storage.db import MIGRATIONS, SCHEMA_HEAD, Database
from tests.backends import Target, execute
from tests.conftest import Run

DATA = json.loads((Path(__file__).parent / "data" / "schema-0001.json").read_text("utf-8"))
TABLES = list(DATA["tables"])
TIMES = {"created_at", "updated_at", "at"}


def _value(col: str, v: Any) -> Any:
    if v is not None and col in TIMES:
        return datetime.fromisoformat(v).replace(tzinfo=UTC)
    if v is not None and col == "start_date":
        return date.fromisoformat(v)
    return v


def make_old_database(target: Target) -> None:
    """Schema 0001 through its own migration, then the rows and documents 0001 code wrote."""
    db = Database(str(target))
    try:
        cfg = Config()
        cfg.set_main_option("script_location", str(MIGRATIONS))
        with db.engine.execution_options(manyi_write=True).begin() as conn:
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, "0001")
            meta = MetaData()
            meta.reflect(conn, only=TABLES)
            for table in TABLES:
                spec = DATA["tables"][table]
                rows = [
                    {c: _value(c, v) for c, v in zip(spec["columns"], r, strict=True)} for r in spec["rows"]
                ]
                conn.execute(insert(meta.tables[table]), rows)
        # Where manyi before 0011 kept them: beside a SQLite file; for PostgreSQL in
        # $MANYI_HOME/manyi-blobs (0011 moves those into the database).
        root = db.blob_root or Path(os.environ["MANYI_HOME"]) / "manyi-blobs"
        for sha, text in DATA["documents"].items():
            path = root / sha[:2] / sha
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
    finally:
        db.dispose()
    if str(target).startswith("postgresql"):  # ids were given explicitly: move the sequences on
        for table in TABLES:
            execute(
                target,
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))",
            )


def rows_of(target: Target) -> dict[str, list[tuple]]:
    db = Database(str(target))
    try:
        meta = MetaData()
        with db.engine.connect() as conn:
            meta.reflect(conn, only=TABLES)
            out = {}
            for table in TABLES:
                t = meta.tables[table]
                cols = [t.c[c] for c in DATA["tables"][table]["columns"]]  # the 0001 columns
                out[table] = [tuple(r) for r in conn.execute(select(*cols).order_by(t.c.id))]
            return out
    finally:
        db.dispose()


def test_old_database_upgrades_with_nothing_lost(run: Run, db_path: Target, tmp_path: Path) -> None:
    make_old_database(db_path)
    before = rows_of(db_path)
    assert {t: len(r) for t, r in before.items()} == {
        "campaign": 1,
        "section": 3,
        "record": 3,
        "filing": 4,
        "event": 11,
    }

    stale = run("status")
    assert stale.exit_code == 1
    assert stale.stderr == (
        f"Error: database schema 0001 is older than this manyi ({SCHEMA_HEAD}); run `manyi init`\n"
    )
    result = run("init")
    assert result.exit_code == 0, result.output
    where = db_path if isinstance(db_path, Path) else str(db_path)
    first = "" if isinstance(db_path, Path) else "First supervisor: tester (database login postgres).\n"
    assert result.stdout == f"Upgraded database {where} from schema 0001 to {SCHEMA_HEAD}.\n{first}"
    assert rows_of(db_path) == before

    verified = run("audit", "verify")
    assert verified.exit_code == 0, verified.output
    assert "11 events, chain intact" in verified.stdout and "4 documents checked" in verified.stdout
    states = {r["office"]: (r["state"], r["blockers"]) for r in json.loads(run("status", "--json").stdout)}
    assert states == {
        "市法制办公室": ("review", ["rectification-report"]),
        "秘书科": ("implementation", ["research-report"]),
        "信息科": ("mobilization", ["implementation-opinion", "study-plan"]),
    }
    history = json.loads(run("history", "秘书科", "--json").stdout)
    assert [(h["action"], h["actor"], h["reason"]) for h in history] == [
        ("office-add", "人秘科", None),
        ("force-advance", "督查室", "已口头汇报"),
    ]

    # The upgraded database keeps working, and its chain keeps growing from the old head.
    # It is a real database, not a rehearsal: a pretended time (MANYI_NOW) no longer writes.
    doc = tmp_path / "r.txt"
    doc.write_text("调研报告", encoding="utf-8")
    pretended = run("file", "秘书科", "research-report", str(doc))
    assert pretended.exit_code == 1
    assert pretended.stderr.startswith("Error: MANYI_NOW: this database is not a rehearsal")
    assert rows_of(db_path) == before
    real = {"MANYI_NOW": None}
    assert run("file", "秘书科", "research-report", str(doc), env=real).exit_code == 0
    assert run("advance", "秘书科", "--from", "implementation", env=real).exit_code == 0
    verified = run("audit", "verify")
    assert verified.exit_code == 0 and "13 events, chain intact" in verified.stdout
    assert run("init").stdout.endswith(f"is up to date (schema {SCHEMA_HEAD}).\n")


def test_newer_database_is_refused(run: Run, db_path: Target) -> None:
    assert (
        run("campaign", "start", "people-satisfied-unit", "--name", "2026", "--start", "2026-03-01").exit_code
        == 0
    )
    execute(db_path, "UPDATE alembic_version SET version_num = '0099_future'")
    for args in (["init"], ["status"], ["audit", "verify"]):
        result = run(*args)
        assert result.exit_code == 1, args
        assert result.stderr == (
            f"Error: database schema 0099_future is unknown to this manyi (its newest "
            f"is {SCHEMA_HEAD}): it was written by another version; use that "
            "version or upgrade manyi\n"
        )
    assert execute(db_path, "SELECT version_num FROM alembic_version") == [("0099_future",)]


def test_the_schema_head_is_alembics() -> None:
    from alembic.script import ScriptDirectory

    assert SCHEMA_HEAD == ScriptDirectory(str(MIGRATIONS)).get_current_head()


def test_no_migration_imports_the_live_models() -> None:
    """A revision describes the schema as it was then: importing today's models (or
    modules that import them) would silently change what an old revision creates."""
    import ast

    for path in sorted((MIGRATIONS / "versions").glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            names = (
                [a.name for a in node.names]
                if isinstance(node, ast.Import)
                else [f"{node.module}.{a.name}" for a in node.names]
                if isinstance(node, ast.ImportFrom) and node.module
                else []
            )
            for name in names:
                assert not name.startswith("sqlmodel"), (path.name, name)
                assert not name.startswith("storage.") or name == "storage.audit", (path.name, name)


def test_every_revision_from_empty_gives_the_models_schema(db_path: Target) -> None:
    """Upgrade an empty database through every revision, one at a time, then compare the
    result with the models (tables, columns, types, nullability, indexes) as Alembic's
    autogenerate would: no difference."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext
    from alembic.script import ScriptDirectory

    from storage import schema

    db = Database(str(db_path))
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    revisions = [r.revision for r in reversed(list(ScriptDirectory(str(MIGRATIONS)).walk_revisions()))]
    assert revisions[0] == "0001" and revisions[-1] == SCHEMA_HEAD
    try:
        for rev in revisions:
            with db.engine.begin() as conn:
                cfg.attributes["connection"] = conn
                command.upgrade(cfg, rev)
        with db.engine.connect() as conn:
            ctx = MigrationContext.configure(conn, opts={"compare_type": True})
            diff = [
                d
                for d in compare_metadata(ctx, schema.metadata())
                if not (isinstance(d, tuple) and d[0] == "remove_table" and d[1].name == "alembic_version")
            ]
    finally:
        db.engine.dispose()
    assert diff == []
