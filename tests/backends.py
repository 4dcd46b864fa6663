"""The databases the suite runs against: a SQLite file, or a fresh PostgreSQL schema.

Every PostgreSQL test gets its own schema in database ``test`` on 127.0.0.1
(the URL's ``options=-csearch_path=...`` points the connection at it), so
runs started in parallel by several people never see each other. The schema
is dropped when the test ends.

``MANYI_TEST_PG`` overrides the server URL; ``MANYI_TEST_BACKENDS=sqlite``
(or ``postgresql``) narrows a local run to one backend. When ``CI`` is set, an
unreachable PostgreSQL fails the tests that need it instead of skipping them.
"""

from __future__ import annotations

import os
import sqlite3
import uuid
from pathlib import Path
from typing import Any

import pytest

PG_SERVER = os.environ.get("MANYI_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
BACKENDS = [
    b
    for b in ("sqlite", "postgresql")
    if b in os.environ.get("MANYI_TEST_BACKENDS", "sqlite,postgresql").split(",")
]


def _libpq(url: str) -> str:
    return url.replace("postgresql+psycopg://", "postgresql://", 1)


def pg_available_or_fail() -> None:
    """Skip (locally) or fail (when CI is set) if the PostgreSQL server is not reachable."""
    import psycopg

    try:
        psycopg.connect(_libpq(PG_SERVER), connect_timeout=3).close()
    except psycopg.OperationalError as exc:
        msg = f"PostgreSQL at {PG_SERVER} is not reachable: {str(exc).strip().splitlines()[0]}"
        if os.environ.get("CI"):
            pytest.fail(msg + " (CI is set: PostgreSQL tests must not be skipped)")
        pytest.skip(msg)


class PgSchema:
    """A PostgreSQL schema standing in for a SQLite file in the tests.

    ``str()`` is the database URL to pass as ``--db``; ``exists()`` says
    whether anything was created in it (like ``Path.exists`` for a file).
    """

    def __init__(self, name: str | None = None):
        self.schema = name or f"t_{os.getpid()}_{uuid.uuid4().hex[:10]}"
        self.url = f"{PG_SERVER}?options=-csearch_path%3D{self.schema}"

    def __str__(self) -> str:
        return self.url

    def __repr__(self) -> str:
        return f"PgSchema({self.schema})"

    def connect(self) -> Any:
        import psycopg

        return psycopg.connect(_libpq(PG_SERVER), autocommit=True, options=f"-csearch_path={self.schema}")

    def create(self) -> PgSchema:
        with self.connect() as conn:
            conn.execute(f'CREATE SCHEMA "{self.schema}"')
        return self

    def drop(self) -> None:
        with self.connect() as conn:
            conn.execute("SET lock_timeout = '20s'")
            conn.execute(f'DROP SCHEMA IF EXISTS "{self.schema}" CASCADE')

    def exists(self) -> bool:
        with self.connect() as conn:
            n = conn.execute(
                "SELECT count(*) FROM information_schema.tables WHERE table_schema = %s",
                (self.schema,),
            ).fetchone()
        return bool(n and n[0])

    def table_columns(self, conn: Any = None) -> list[tuple[str, int]]:
        """Every table of the schema with its column count, by name: one catalogue query
        (``information_schema`` takes tens of milliseconds per query on a fresh connection)."""
        if conn is None:
            with self.connect() as own:
                return self.table_columns(own)
        return list(
            conn.execute(
                "SELECT c.relname, count(a.attnum) FROM pg_class c "
                "JOIN pg_namespace n ON n.oid = c.relnamespace "
                "JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped "
                "WHERE n.nspname = %s AND c.relkind IN ('r', 'p') "
                "GROUP BY c.relname ORDER BY c.relname",
                (self.schema,),
            )
        )

    def tables(self) -> list[str]:
        return [name for name, _cols in self.table_columns()]


Target = Path | PgSchema


def url_of(target: Target) -> str:
    return str(target)


def dump(target: Target) -> str:
    """Every table's rows in a stable order (plus, on SQLite, the schema SQL).

    Backend-independent enough for "nothing changed" comparisons: two dumps
    of one database are equal exactly when no row was inserted, changed or
    deleted.
    """
    out: list[str] = []
    if isinstance(target, PgSchema):
        with target.connect() as conn:
            for table, cols in target.table_columns(conn):
                order = ", ".join(str(i) for i in range(1, cols + 1))
                out.append(f"-- {table}")
                for row in conn.execute(f'SELECT * FROM "{table}" ORDER BY {order}'):
                    out.append(repr(tuple(row)))
        return "\n".join(out)
    with sqlite3.connect(target) as conn:
        tables = conn.execute(
            "SELECT name, sql FROM sqlite_master WHERE type = 'table' ORDER BY name"
        ).fetchall()
        for name, sql in tables:
            out.append(sql or "")
            for row in conn.execute(f'SELECT * FROM "{name}" ORDER BY rowid'):
                out.append(repr(row))
        for (sql,) in conn.execute(
            "SELECT sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL ORDER BY name"
        ):
            out.append(sql)
    return "\n".join(out)


def execute(target: Target, sql: str, params: dict[str, Any] | None = None) -> list[tuple]:
    """Run raw SQL against the test database, bypassing manyi (to tamper with it)."""
    from sqlalchemy import create_engine, text

    url = str(target) if isinstance(target, PgSchema) else f"sqlite:///{target}"
    engine = create_engine(url)
    try:
        with engine.begin() as conn:
            result = conn.execute(text(sql), params or {})
            return [tuple(r) for r in result] if result.returns_rows else []
    finally:
        engine.dispose()


def blob_root(target: Target) -> Path | None:
    """The folder holding this test database's documents (beside a SQLite file, or
    MANYI_BLOBS); None when they are in the database itself (PostgreSQL's default)."""
    from storage.db import Database

    db = Database(str(target))
    try:
        return db.blob_root
    finally:
        db.dispose()


def stored_document(target: Target, sha: str) -> bytes | None:
    """A filed document's bytes as manyi stored them (folder or table ``blob``); None if absent."""
    root = blob_root(target)
    if root is not None:
        path = root / sha[:2] / sha
        return path.read_bytes() if path.is_file() else None
    rows = execute(target, "SELECT content FROM blob WHERE sha256 = :s", {"s": sha})
    return bytes(rows[0][0]) if rows else None


def stored_documents(target: Target) -> list[str]:
    """The sha256 of every stored document, sorted."""
    root = blob_root(target)
    if root is not None:
        return sorted(p.name for p in root.rglob("*") if p.is_file()) if root.exists() else []
    return sorted(r[0] for r in execute(target, "SELECT sha256 FROM blob"))


def tamper_document(target: Target, sha: str, data: bytes | None) -> None:
    """What an attacker with file or SQL access does: replace a stored document (None: delete it)."""
    root = blob_root(target)
    if root is not None:
        path = root / sha[:2] / sha
        if data is None:
            path.unlink()
        else:
            path.write_bytes(data)
    elif data is None:
        execute(target, "DELETE FROM blob WHERE sha256 = :s", {"s": sha})
    else:
        execute(target, "UPDATE blob SET content = :c WHERE sha256 = :s", {"c": data, "s": sha})


def outbox_in(folder: Path) -> Path:
    """The one database outbox (``<db>.outbox``) in ``folder``: beside the test's SQLite file,
    or, for PostgreSQL, in MANYI_HOME (the test's tmp_path)."""
    found = sorted(folder.glob("*.outbox"))
    assert len(found) == 1, found
    return found[0]
