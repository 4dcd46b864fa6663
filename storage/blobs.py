"""Content-addressed stores for filed documents: a folder, or the database itself.

:class:`BlobStore` keeps a document once under ``<root>/<sha[:2]>/<sha>`` (SQLite: the
folder beside the database file; PostgreSQL with ``MANYI_BLOBS``). Writes go through a
temporary file and an atomic rename, so a crash never leaves a half-written blob under
its final name. :class:`DbBlobStore` keeps it in table ``blob`` (PostgreSQL's default):
every client sees the same documents from any folder, and ``pg_dump`` carries them.
Either way the filing row keeps the hash and the original file name, and the same
checks apply: an empty file is refused unless allowed, a size limit, and a file that
changed while it was read is refused. Both stream: a document is never held in memory
whole, neither when it is filed nor when ``audit verify`` checks it.
"""

from __future__ import annotations

import hashlib
import os
import struct
import tempfile
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import text as sql_text
from sqlalchemy.engine import Connection, Engine

from storage.blob_checks import (
    changed,
    check_fits,
    human_size,
    source_checked,
    unreadable,
    unstorable,
)
from workflow.errors import InputError, StorageError
from workflow.i18n import _

CHUNK = 1 << 16


@dataclass(frozen=True)
class PendingFile:
    """A file :meth:`DbBlobStore.put` read and checked, for :meth:`DbBlobStore.keep` to stream in."""

    path: Path
    size: int
    mtime_ns: int


@dataclass(frozen=True)
class StoredBlob:
    sha256: str
    size: int
    filename: str
    #: The bytes still to be kept by :meth:`DbBlobStore.keep` (None once in a folder).
    data: bytes | None = field(default=None, repr=False, compare=False)
    #: The file still to be streamed in by :meth:`DbBlobStore.keep` (None once in a folder).
    source: PendingFile | None = field(default=None, repr=False, compare=False)


class BlobStore:
    def __init__(self, root: Path):
        self.root = root

    def path_of(self, sha256: str) -> Path:
        return self.root / sha256[:2] / sha256

    def put(self, source: Path, *, allow_empty: bool = False, limit: int | None = None) -> StoredBlob:
        """Copy ``source`` into the store, checking it arrived whole.

        Args:
            allow_empty: accept a 0-byte file (refused otherwise: it satisfies nothing).
            limit: the largest size accepted (default ``MANYI_MAX_DOCUMENT``).

        Raises:
            InputError: the file is missing, a directory, unreadable, empty, too large, or
                changed while it was being copied.
        """
        filename, limit = source_checked(source, limit)
        try:
            before = source.stat()
        except OSError as exc:
            raise unreadable(source, exc) from None
        self._check_size(source, before.st_size, limit, allow_empty)
        fd, tmp = self._incoming()
        h = hashlib.sha256()
        size = 0
        try:
            with os.fdopen(fd, "wb") as out, source.open("rb") as src:
                while chunk := src.read(CHUNK):
                    h.update(chunk)
                    size += len(chunk)
                    if size > limit:
                        break
                    try:
                        out.write(chunk)
                    except OSError as exc:  # the store's disk, not the clerk's file
                        raise unstorable(self.root, exc) from None
                after = os.fstat(src.fileno())
            sha = h.hexdigest()
            if size > limit:
                self._check_size(source, size, limit, allow_empty)
            if size != before.st_size or after.st_size != size or after.st_mtime_ns != before.st_mtime_ns:
                raise changed(source, before.st_size, size)
            if not self._settle(tmp, sha):
                raise InputError(
                    _("the copy of {path} does not match what was read; file it again").format(path=source)
                )
        except (InputError, StorageError):  # the copy is dropped whatever was refused
            _silent_unlink(tmp)
            raise
        except OSError as exc:  # opening or reading the clerk's file
            _silent_unlink(tmp)
            raise unreadable(source, exc) from None
        return StoredBlob(sha, size, filename)

    def _incoming(self) -> tuple[int, str]:
        """A new temporary file in the store (the store's folder made if need be)."""
        try:
            self.root.mkdir(parents=True, exist_ok=True)
            return tempfile.mkstemp(dir=self.root, prefix=".incoming-")
        except OSError as exc:
            raise unstorable(self.root, exc) from None

    def _settle(self, tmp: str, sha: str) -> bool:
        """The copy renamed to its name ``sha`` (or dropped: stored already); False, and the copy
        left where it is, when what was written does not hash to ``sha``."""
        try:
            if _sha_of(Path(tmp)) != sha:
                return False
            final = self.path_of(sha)
            final.parent.mkdir(exist_ok=True)
            if final.exists():
                os.unlink(tmp)
            else:
                os.replace(tmp, final)
        except OSError as exc:
            raise unstorable(self.root, exc) from None
        return True

    def put_bytes(self, data: bytes, filename: str) -> StoredBlob:
        """Store ``data`` (an attachment, a message) under its sha256; same atomic rename as :meth:`put`."""
        sha = hashlib.sha256(data).hexdigest()
        final = self.path_of(sha)
        if not final.exists():
            fd, tmp = self._incoming()
            try:
                with os.fdopen(fd, "wb") as out:
                    out.write(data)
                final.parent.mkdir(exist_ok=True)
                os.replace(tmp, final)
            except OSError as exc:
                _silent_unlink(tmp)
                raise unstorable(self.root, exc) from None
        return StoredBlob(sha, len(data), filename)

    def keep(self, s: Any, blob: StoredBlob) -> None:
        """Nothing to do: a folder's document was written (atomically) by put."""

    @staticmethod
    def _check_size(source: Path, size: int, limit: int, allow_empty: bool) -> None:
        if size == 0 and not allow_empty:
            raise InputError(
                _(
                    "{path} is empty (0 bytes); file the real document, or add --allow-empty "
                    "if an empty file is meant"
                ).format(path=source)
            )
        if size > limit:
            raise InputError(
                _("{path} is larger than the limit of {limit} (MANYI_MAX_DOCUMENT)").format(
                    path=source, limit=human_size(limit)
                )
            )

    def check(self, sha256: str) -> str | None:
        """None when the blob is present and intact, else what is wrong ("missing"/"altered")."""
        path = self.path_of(sha256)
        if not path.is_file():
            return "missing"
        return None if _sha_of(path) == sha256 else "altered"


class DbBlobStore:
    """Documents in a PostgreSQL database (table ``blob``), content-addressed, never changed.

    :meth:`put` reads and checks a document; :meth:`keep` inserts it (if absent) inside
    the write transaction of the event that refers to it, so a refused or failed
    command leaves no document behind and a kept one always has its event.

    Neither holds a document in memory: :meth:`put` hashes the file in chunks, and
    :meth:`keep` streams it in (binary ``COPY`` into a temporary table, then one
    ``INSERT … SELECT``: ``COPY`` cannot write a table under row-level security) and has
    the server hash what it stored (``sha256()``, as :meth:`check` does). A ``bytea``
    value holds at most 1 GiB: a document above :data:`MAX_IN_DATABASE` is refused.
    """

    def __init__(self, engine: Engine, translate: Callable[[], AbstractContextManager[None]] = nullcontext):
        self.engine = engine
        self.translate = translate  # the database's errors as messages a person can act on

    def put(self, source: Path, *, allow_empty: bool = False, limit: int | None = None) -> StoredBlob:
        """Read ``source`` through (hashing it) and check it, refused as in :class:`BlobStore`;
        :meth:`keep` then stores it."""
        filename, limit = source_checked(source, limit)
        h = hashlib.sha256()
        try:
            with source.open("rb") as src:
                before = os.fstat(src.fileno())
                BlobStore._check_size(source, before.st_size, limit, allow_empty)
                check_fits(source, before.st_size)
                read = 0
                while read <= limit and (chunk := src.read(CHUNK)):
                    h.update(chunk)
                    read += len(chunk)
                after = os.fstat(src.fileno())
        except OSError as exc:
            raise unreadable(source, exc) from None
        BlobStore._check_size(source, read, limit, allow_empty)
        if read != before.st_size or after.st_size != read or after.st_mtime_ns != before.st_mtime_ns:
            raise changed(source, before.st_size, read)
        pending = PendingFile(source, read, before.st_mtime_ns)
        return StoredBlob(h.hexdigest(), read, filename, source=pending)

    def put_bytes(self, data: bytes, filename: str) -> StoredBlob:
        """An attachment or a message, already in memory; :meth:`keep` stores it."""
        check_fits(Path(filename), len(data))
        return StoredBlob(hashlib.sha256(data).hexdigest(), len(data), filename, data)

    def keep(self, s: Any, blob: StoredBlob) -> None:
        """Insert the document in the caller's write transaction (``s``), if not there yet,
        and check what the database now holds under its hash.

        Raises:
            InputError: the file changed since :meth:`put` read it (nothing is kept).
            StorageError: the database holds other bytes under this hash, or refused.
        """
        if blob.data is None and blob.source is None:
            return
        import psycopg  # only ever on PostgreSQL, like its dialect

        conn: Connection = s.connection()
        try:
            present = conn.execute(sql_text("SELECT 1 FROM blob WHERE sha256 = :s"), {"s": blob.sha256})
            if present.first() is None:
                if blob.source is not None:
                    self._stream_in(conn, blob.sha256, blob.source)
                else:
                    conn.execute(
                        sql_text(
                            "INSERT INTO blob (sha256, size, content, created_at) VALUES (:s, :n, :c, :t) "
                            "ON CONFLICT (sha256) DO NOTHING"
                        ),
                        {"s": blob.sha256, "n": blob.size, "c": blob.data, "t": datetime.now(UTC)},
                    )
        except psycopg.Error as exc:  # from the COPY, which SQLAlchemy does not wrap
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise StorageError(_("database error: {e}").format(e=first)) from None
        if _problem(conn, blob.sha256) is not None:
            raise StorageError(
                _("the database holds another document under {sha}; run manyi audit verify").format(
                    sha=blob.sha256[:12]
                )
            )

    @staticmethod
    def _stream_in(conn: Connection, sha: str, pending: PendingFile) -> None:
        """Copy the file :meth:`put` read into table ``blob``, in chunks, hashing it again:
        a file that is no longer what was read is refused (the caller's transaction then
        keeps nothing)."""
        source, size = pending.path, pending.size
        h = hashlib.sha256()
        conn.exec_driver_sql("CREATE TEMPORARY TABLE manyi_incoming (content bytea NOT NULL) ON COMMIT DROP")
        driver = conn.connection.driver_connection  # psycopg's: SQLAlchemy has no COPY
        assert driver is not None  # an open connection
        try:
            with (
                source.open("rb") as src,
                driver.cursor() as cursor,
                cursor.copy("COPY pg_temp.manyi_incoming (content) FROM STDIN (FORMAT BINARY)") as copy,
            ):
                # PostgreSQL's binary COPY: signature, flags, no header extension; one row of one field.
                copy.write(b"PGCOPY\n\xff\r\n\x00" + struct.pack("!iihi", 0, 0, 1, size))
                read = 0
                while read < size and (chunk := src.read(min(CHUNK, size - read))):
                    h.update(chunk)
                    read += len(chunk)
                    copy.write(chunk)
                more = src.read(1)
                after = os.fstat(src.fileno())
                if read != size or more or after.st_mtime_ns != pending.mtime_ns or h.hexdigest() != sha:
                    raise changed(source, size, read + len(more))  # aborts the COPY
                copy.write(struct.pack("!h", -1))
        except OSError as exc:
            raise unreadable(source, exc) from None
        conn.execute(
            sql_text(
                "INSERT INTO blob (sha256, size, content, created_at) "
                "SELECT :s, :n, content, :t FROM pg_temp.manyi_incoming "
                "ON CONFLICT (sha256) DO NOTHING"
            ),
            {"s": sha, "n": size, "t": datetime.now(UTC)},
        )
        conn.exec_driver_sql("DROP TABLE pg_temp.manyi_incoming")

    def check(self, sha256: str) -> str | None:
        """None when the document is stored and intact, else "missing" or "altered".

        The server hashes the stored bytes: the document never travels, however large.
        """
        with self.translate(), self.engine.connect() as conn:
            return _problem(conn, sha256)

    def __str__(self) -> str:
        return _("the database (table blob)")


def _problem(conn: Connection, sha256: str) -> str | None:
    """What is wrong with the document stored under ``sha256``: None, "missing" or "altered"
    (hashed by the server: ``sha256()``, PostgreSQL 11 and later)."""
    row = conn.execute(
        sql_text("SELECT pg_catalog.encode(pg_catalog.sha256(content), 'hex') FROM blob WHERE sha256 = :s"),
        {"s": sha256},
    ).first()
    if row is None:
        return "missing"
    return None if row[0] == sha256 else "altered"


def _sha_of(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(CHUNK):
            h.update(chunk)
    return h.hexdigest()


def _silent_unlink(path: str) -> None:
    try:
        os.unlink(path)
    except OSError:
        pass
