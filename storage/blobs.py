"""Content-addressed stores for filed documents: a folder, or the database itself.

:class:`BlobStore` keeps a document once under ``<root>/<sha[:2]>/<sha>`` (SQLite: the
folder beside the database file; PostgreSQL with ``MANYI_BLOBS``). Writes go through a
temporary file and an atomic rename, so a crash never leaves a half-written blob under
its final name. :class:`DbBlobStore` keeps it in table ``blob`` (PostgreSQL's default):
every client sees the same documents from any folder, and ``pg_dump`` carries them.
Either way the filing row keeps the hash and the original file name, and the same
checks apply: an empty file is refused unless allowed, a size limit, and a file that
changed while it was read is refused.
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import text as sql_text
from sqlalchemy.engine import Engine

from workflow.errors import ConfigError, InputError, StorageError
from workflow.i18n import _

CHUNK = 1 << 16
#: Default largest document (MANYI_MAX_DOCUMENT): 200 MB.
MAX_DOCUMENT = 200 * 1000 * 1000
_UNITS = {"": 1, "B": 1, "K": 1000, "KB": 1000, "M": 1000**2, "MB": 1000**2, "G": 1000**3, "GB": 1000**3}


def max_document_bytes() -> int:
    """``MANYI_MAX_DOCUMENT`` (``200MB``, ``500K``, ``1G`` or bytes); default 200 MB."""
    raw = os.environ.get("MANYI_MAX_DOCUMENT", "").strip()
    if not raw:
        return MAX_DOCUMENT
    m = re.fullmatch(r"(\d{1,15})\s*([A-Za-z]*)", raw)
    unit = m.group(2).upper() if m else ""
    if m is None or unit not in _UNITS or int(m.group(1)) == 0:
        raise ConfigError(
            "MANYI_MAX_DOCUMENT", _("'{v}' is not a size like 200MB, 500KB or 1GB").format(v=raw)
        )
    return int(m.group(1)) * _UNITS[unit]


def human_size(n: int) -> str:
    for unit, size in (("GB", 1000**3), ("MB", 1000**2), ("KB", 1000)):
        if n >= size:
            return f"{n / size:.1f} {unit}".replace(".0 ", " ")
    return f"{n} B"


@dataclass(frozen=True)
class StoredBlob:
    sha256: str
    size: int
    filename: str
    #: The bytes still to be kept by :meth:`DbBlobStore.keep` (None once in a folder).
    data: bytes | None = field(default=None, repr=False, compare=False)


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
        if not source.exists():
            raise InputError(_("document not found: {path}").format(path=source))
        if not source.is_file():
            raise InputError(_("not a file: {path}").format(path=source))
        filename = source.name  # checked at the door by the use case (workflow.engine.text)
        limit = max_document_bytes() if limit is None else limit
        try:
            before = source.stat()
        except OSError as exc:
            raise InputError(
                _("cannot read document {path}: {err}").format(path=source, err=exc.strerror)
            ) from None
        self._check_size(source, before.st_size, limit, allow_empty)
        self.root.mkdir(parents=True, exist_ok=True)
        h = hashlib.sha256()
        size = 0
        fd, tmp = tempfile.mkstemp(dir=self.root, prefix=".incoming-")
        try:
            with os.fdopen(fd, "wb") as out, source.open("rb") as src:
                while chunk := src.read(CHUNK):
                    h.update(chunk)
                    size += len(chunk)
                    if size > limit:
                        break
                    out.write(chunk)
                after = os.fstat(src.fileno())
            sha = h.hexdigest()
            if size > limit:
                _silent_unlink(tmp)
                self._check_size(source, size, limit, allow_empty)
            if size != before.st_size or after.st_size != size or after.st_mtime_ns != before.st_mtime_ns:
                _silent_unlink(tmp)
                raise InputError(
                    _(
                        "{path} changed while it was being read ({a} bytes before, {b} read); "
                        "file it again once it is complete"
                    ).format(path=source, a=before.st_size, b=size)
                )
            if _sha_of(Path(tmp)) != sha:
                _silent_unlink(tmp)
                raise InputError(
                    _("the copy of {path} does not match what was read; file it again").format(path=source)
                )
            final = self.path_of(sha)
            final.parent.mkdir(exist_ok=True)
            if final.exists():
                os.unlink(tmp)
            else:
                os.replace(tmp, final)
        except InputError:
            raise
        except PermissionError:
            _silent_unlink(tmp)
            raise InputError(_("cannot read document: {path}").format(path=source)) from None
        except OSError as exc:
            _silent_unlink(tmp)
            raise InputError(
                _("cannot read document {path}: {err}").format(path=source, err=exc.strerror)
            ) from None
        return StoredBlob(sha, size, filename)

    def put_bytes(self, data: bytes, filename: str) -> StoredBlob:
        """Store ``data`` (an attachment, a message) under its sha256; same atomic rename as :meth:`put`."""
        sha = hashlib.sha256(data).hexdigest()
        final = self.path_of(sha)
        if not final.exists():
            final.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=self.root, prefix=".incoming-")
            try:
                with os.fdopen(fd, "wb") as out:
                    out.write(data)
                os.replace(tmp, final)
            except OSError:
                _silent_unlink(tmp)
                raise
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
    """Documents in the database (table ``blob``), content-addressed, never changed.

    :meth:`put` reads and checks a document; :meth:`keep` inserts it (if absent) inside
    the write transaction of the event that refers to it, so a refused or failed
    command leaves no document behind and a kept one always has its event.
    """

    def __init__(self, engine: Engine, translate: Callable[[], AbstractContextManager[None]] = nullcontext):
        self.engine = engine
        self.translate = translate  # the database's errors as messages a person can act on

    def put(self, source: Path, *, allow_empty: bool = False, limit: int | None = None) -> StoredBlob:
        """Read ``source`` whole (up to the size limit) and store it, refused as in :class:`BlobStore`."""
        if not source.exists():
            raise InputError(_("document not found: {path}").format(path=source))
        if not source.is_file():
            raise InputError(_("not a file: {path}").format(path=source))
        filename = source.name  # checked at the door by the use case (workflow.engine.text)
        limit = max_document_bytes() if limit is None else limit
        try:
            before = source.stat()
            BlobStore._check_size(source, before.st_size, limit, allow_empty)
            with source.open("rb") as src:
                data = src.read(limit + 1)
                after = os.fstat(src.fileno())
        except PermissionError:
            raise InputError(_("cannot read document: {path}").format(path=source)) from None
        except OSError as exc:
            raise InputError(
                _("cannot read document {path}: {err}").format(path=source, err=exc.strerror)
            ) from None
        BlobStore._check_size(source, len(data), limit, allow_empty)
        if (
            len(data) != before.st_size
            or after.st_size != len(data)
            or after.st_mtime_ns != before.st_mtime_ns
        ):
            raise InputError(
                _(
                    "{path} changed while it was being read ({a} bytes before, {b} read); "
                    "file it again once it is complete"
                ).format(path=source, a=before.st_size, b=len(data))
            )
        return StoredBlob(hashlib.sha256(data).hexdigest(), len(data), filename, data)

    def put_bytes(self, data: bytes, filename: str) -> StoredBlob:
        return StoredBlob(hashlib.sha256(data).hexdigest(), len(data), filename, data)

    def keep(self, s: Any, blob: StoredBlob) -> None:
        """Insert the document in the caller's write transaction (``s``), if not there yet,
        and check what the database now holds under its hash."""
        from datetime import UTC, datetime

        if blob.data is None:
            return
        params = {"s": blob.sha256, "n": blob.size, "c": blob.data, "t": datetime.now(UTC)}
        if s.get_bind().dialect.name == "postgresql":
            s.execute(
                sql_text(
                    "INSERT INTO blob (sha256, size, content, created_at) VALUES (:s, :n, :c, :t) "
                    "ON CONFLICT (sha256) DO NOTHING"
                ),
                params,
            )
        elif s.execute(sql_text("SELECT 1 FROM blob WHERE sha256 = :s"), {"s": blob.sha256}).first() is None:
            s.execute(
                sql_text("INSERT INTO blob (sha256, size, content, created_at) VALUES (:s, :n, :c, :t)"),
                params,
            )
        row = s.execute(sql_text("SELECT content FROM blob WHERE sha256 = :s"), {"s": blob.sha256}).first()
        if row is None or hashlib.sha256(bytes(row[0])).hexdigest() != blob.sha256:
            raise StorageError(
                _("the database holds another document under {sha}; run manyi audit verify").format(
                    sha=blob.sha256[:12]
                )
            )

    def check(self, sha256: str) -> str | None:
        """None when the document is stored and intact, else "missing" or "altered"."""
        with self.translate(), self.engine.connect() as conn:
            row = conn.execute(sql_text("SELECT content FROM blob WHERE sha256 = :s"), {"s": sha256}).first()
        if row is None:
            return "missing"
        return None if hashlib.sha256(bytes(row[0])).hexdigest() == sha256 else "altered"

    def __str__(self) -> str:
        return _("the database (table blob)")


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
