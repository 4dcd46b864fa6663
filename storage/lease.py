"""Leadership among processes sharing one database: one active, the others standing by.

Used so that several ``manyi scheduler run`` processes (one per host) keep
exactly one sweeping: the active one holds the lease; a standby polls
``try_acquire()`` every sweep interval and takes over as soon as the active
process is gone.

* PostgreSQL: a session-level advisory lock held on a dedicated connection.
  When the holder dies (even SIGKILL, or its host loses power) its
  connection closes and the server frees the lock; TCP keepalives bound the
  time the server takes to notice a silent host. The key is derived from
  the schema and the lease name, so schemas sharing a database do not
  contend.
* SQLite: an exclusive ``flock`` on ``<database>.<name>.lock`` beside the
  file; the kernel frees it when the process dies.

The lease is a performance and tidiness measure, not the only guard: the
work it protects must stay idempotent (the reminder sweep's idempotency keys
remain the last line of defence against a double send).
"""

from __future__ import annotations

import os
from typing import Any

from storage.db import Database

# Seconds before the server probes a silent peer, between probes, and how many may fail.
KEEPALIVE = {"keepalives": 1, "keepalives_idle": 5, "keepalives_interval": 2, "keepalives_count": 3}


class Lease:
    """An exclusive, crash-released lease named ``name`` on database ``db``."""

    def __init__(self, db: Database, name: str = "scheduler"):
        self.db = db
        self.name = name
        self._conn: Any = None  # PostgreSQL: the connection holding the advisory lock
        self._fd: int | None = None  # SQLite: the locked file
        self._key = 0
        self._holding = False  # PostgreSQL: the advisory lock was granted on self._conn

    # -- public API --------------------------------------------------------
    def try_acquire(self) -> bool:
        """Take the lease if nobody holds it; True when this process holds it now."""
        if self.held():
            return True
        return self._acquire_pg() if not self.db.is_sqlite else self._acquire_file()

    def held(self) -> bool:
        """Whether this process still holds the lease (checks the connection on PostgreSQL)."""
        if self.db.is_sqlite:
            return self._fd is not None
        if self._conn is None or not self._holding:
            return False
        try:
            self._conn.execute("SELECT 1")
            return True
        except Exception:  # the connection died: the server has released the lock
            self._drop_conn()
            return False

    def release(self) -> None:
        if self._fd is not None:
            import fcntl

            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None
        if self._conn is not None:
            try:
                self._conn.execute("SELECT pg_advisory_unlock(%s)", (self._key,))
            except Exception:
                pass
            self._drop_conn()

    def __enter__(self) -> Lease:
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()

    # -- PostgreSQL --------------------------------------------------------
    def _acquire_pg(self) -> bool:
        import psycopg

        url = self.db.engine.url
        if self._conn is None:
            params: dict[str, Any] = url.translate_connect_args(username="user", database="dbname")
            params.update(url.query)  # e.g. options=-csearch_path=...
            try:
                self._conn = psycopg.connect(autocommit=True, connect_timeout=10, **KEEPALIVE, **params)
            except psycopg.OperationalError:
                self._conn = None
                return False
            # The server's side of the same probes (its defaults wait two hours): a holder whose
            # host vanished without closing the connection loses the lock within ~11 s.
            for setting, value in (
                ("tcp_keepalives_idle", 5),
                ("tcp_keepalives_interval", 2),
                ("tcp_keepalives_count", 3),
            ):
                self._conn.execute(f"SET {setting} = {value}")
            # One 64-bit key per (schema, lease name): hashtextextended is stable across sessions.
            self._key = self._conn.execute(
                "SELECT hashtextextended(current_schema() || ':' || %s, 0)", (f"manyi:{self.name}",)
            ).fetchone()[0]
        try:
            got = self._conn.execute("SELECT pg_try_advisory_lock(%s)", (self._key,)).fetchone()[0]
        except psycopg.Error:
            self._drop_conn()
            return False
        self._holding = bool(got)
        return self._holding

    def _drop_conn(self) -> None:
        try:
            if self._conn is not None:
                self._conn.close()
        except Exception:
            pass
        self._conn = None
        self._holding = False

    # -- SQLite ------------------------------------------------------------
    def _acquire_file(self) -> bool:
        import fcntl

        assert self.db.path is not None
        path = f"{self.db.path}.{self.name}.lock"
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return False
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        self._fd = fd
        return True
