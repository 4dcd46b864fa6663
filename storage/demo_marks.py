"""The demo's own database file: a mark in its SQLite header and a fingerprint of what
the finished tour left, so a later ``manyi demo`` replaces it only while nobody has used it."""

from __future__ import annotations

import sqlite3
import zlib
from contextlib import closing
from pathlib import Path

# Written into the SQLite header (``PRAGMA application_id``) when the demo creates its
# database: "mnyd". A file without it was not made by the demo and is never touched.
DEMO_MARK = 0x6D6E7964


def _fingerprint(conn: sqlite3.Connection) -> int:
    """What the database holds, in 31 bits: its events and its mail (both only ever grow)."""
    events = conn.execute("SELECT count(*), coalesce(max(id), 0) FROM event").fetchone()
    last = conn.execute("SELECT hash FROM event ORDER BY id DESC LIMIT 1").fetchone()
    mail = conn.execute("SELECT count(*), coalesce(max(id), 0) FROM mail").fetchone()
    text = f"{events[0]}:{events[1]}:{last[0] if last else ''}:{mail[0]}:{mail[1]}"
    return zlib.crc32(text.encode()) & 0x7FFFFFFF


def untouched(db_path: Path) -> bool:
    """True when ``db_path`` was created by ``manyi demo`` and nobody has used it since.

    Opened as ``immutable``: no lock, no ``-wal``/``-shm`` created, nothing written. A
    write-ahead log with content means someone is using (or crashed in) it: not ours to
    delete. A tour that stopped half-way (no fingerprint yet) counts as the demo's own.
    """
    if db_path.is_symlink() or not db_path.is_file():
        return False
    wal = Path(str(db_path) + "-wal")
    if wal.exists() and wal.stat().st_size > 0:
        return False
    try:
        with closing(sqlite3.connect(f"{db_path.as_uri()}?immutable=1", uri=True)) as conn:
            if conn.execute("PRAGMA application_id").fetchone()[0] != DEMO_MARK:
                return False
            stamp = conn.execute("PRAGMA user_version").fetchone()[0]
            return bool(stamp == 0 or stamp == _fingerprint(conn))
    except sqlite3.Error:
        return False


def mark_new(db_path: Path) -> None:
    """Create the demo's empty database file carrying its mark."""
    with closing(sqlite3.connect(db_path)) as conn:
        conn.execute(f"PRAGMA application_id = {DEMO_MARK}")
        conn.commit()


def stamp(db_path: Path) -> None:
    """Record what the finished tour left, so a later demo replaces it only if still unused."""
    with closing(sqlite3.connect(db_path)) as conn:
        conn.execute(f"PRAGMA user_version = {_fingerprint(conn)}")
        conn.commit()
