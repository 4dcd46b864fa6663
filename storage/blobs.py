"""Content-addressed store for filed documents, beside the database.

A document is stored once under ``<root>/<sha[:2]>/<sha>``; the filing row
keeps the hash and the original file name. Writes go through a temporary
file and an atomic rename, so a crash never leaves a half-written blob under
its final name.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from workflow import text
from workflow.errors import InputError
from workflow.i18n import _

CHUNK = 1 << 16


@dataclass(frozen=True)
class StoredBlob:
    sha256: str
    size: int
    filename: str


class BlobStore:
    def __init__(self, root: Path):
        self.root = root

    def path_of(self, sha256: str) -> Path:
        return self.root / sha256[:2] / sha256

    def put(self, source: Path) -> StoredBlob:
        """Copy ``source`` into the store.

        Raises:
            InputError: the file is missing, a directory or unreadable.
        """
        if not source.exists():
            raise InputError(_("document not found: {path}").format(path=source))
        if not source.is_file():
            raise InputError(_("not a file: {path}").format(path=source))
        filename = text.name(source.name, _("file name"))
        self.root.mkdir(parents=True, exist_ok=True)
        h = hashlib.sha256()
        size = 0
        fd, tmp = tempfile.mkstemp(dir=self.root, prefix=".incoming-")
        try:
            with os.fdopen(fd, "wb") as out, source.open("rb") as src:
                while chunk := src.read(CHUNK):
                    h.update(chunk)
                    size += len(chunk)
                    out.write(chunk)
            sha = h.hexdigest()
            final = self.path_of(sha)
            final.parent.mkdir(exist_ok=True)
            if final.exists():
                os.unlink(tmp)
            else:
                os.replace(tmp, final)
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

    def check(self, sha256: str) -> str | None:
        """None when the blob is present and intact, else what is wrong ("missing"/"altered")."""
        path = self.path_of(sha256)
        if not path.is_file():
            return "missing"
        h = hashlib.sha256()
        with path.open("rb") as f:
            while chunk := f.read(CHUNK):
                h.update(chunk)
        return None if h.hexdigest() == sha256 else "altered"


def _silent_unlink(path: str) -> None:
    try:
        os.unlink(path)
    except OSError:
        pass
