"""What a filed document may be, and what the clerk is told when it is refused: the size
limit (``MANYI_MAX_DOCUMENT``), a path that is not a file, a file that cannot be read or that
changed while it was read, a store that cannot be written. Shared by both stores
(:mod:`storage.blobs`)."""

from __future__ import annotations

import os
import re
from pathlib import Path

from workflow.errors import ConfigError, InputError, StorageError, os_reason
from workflow.i18n import _

#: Default largest document (MANYI_MAX_DOCUMENT): 200 MB.
MAX_DOCUMENT = 200 * 1000 * 1000
#: The largest document kept in the database (a PostgreSQL ``bytea`` value holds at most 1 GiB).
MAX_IN_DATABASE = 1000 * 1000 * 1000
UNITS = {"": 1, "B": 1, "K": 1000, "KB": 1000, "M": 1000**2, "MB": 1000**2, "G": 1000**3, "GB": 1000**3}


def max_document_bytes() -> int:
    """``MANYI_MAX_DOCUMENT`` (``200MB``, ``500K``, ``1G`` or bytes); default 200 MB."""
    raw = os.environ.get("MANYI_MAX_DOCUMENT", "").strip()
    if not raw:
        return MAX_DOCUMENT
    m = re.fullmatch(r"(\d{1,15})\s*([A-Za-z]*)", raw)
    unit = m.group(2).upper() if m else ""
    if m is None or unit not in UNITS or int(m.group(1)) == 0:
        raise ConfigError(
            "MANYI_MAX_DOCUMENT", _("'{v}' is not a size like 200MB, 500KB or 1GB").format(v=raw)
        )
    return int(m.group(1)) * UNITS[unit]


def human_size(n: int) -> str:
    for unit, size in (("GB", 1000**3), ("MB", 1000**2), ("KB", 1000)):
        if n >= size:
            return f"{n / size:.1f} {unit}".replace(".0 ", " ")
    return f"{n} B"


def source_checked(source: Path, limit: int | None) -> tuple[str, int]:
    """A document's file name and the size limit it is held to; refused when the path is
    missing or not a file. (The name is checked at the door by the use case.)"""
    if not source.exists():
        raise InputError(_("document not found: {path}").format(path=source))
    if not source.is_file():
        raise InputError(_("not a file: {path}").format(path=source))
    return source.name, max_document_bytes() if limit is None else limit


def check_fits(source: Path, size: int) -> None:
    if size > MAX_IN_DATABASE:
        raise InputError(
            _(
                "{path} is larger than {limit}, the most a document kept in the database may be; "
                "set MANYI_BLOBS to keep documents in a folder"
            ).format(path=source, limit=human_size(MAX_IN_DATABASE))
        )


def unreadable(source: Path, exc: OSError) -> InputError:
    """A document that could not be read, as the clerk is told (no errno text for a permission)."""
    if isinstance(exc, PermissionError):
        return InputError(_("cannot read document: {path}").format(path=source))
    return InputError(_("cannot read document {path}: {err}").format(path=source, err=os_reason(exc)))


def unstorable(root: Path, exc: OSError) -> StorageError:
    """The document store could not be written (a full disk, no permission): the store's fault,
    not the document's."""
    if root.exists() and not root.is_dir():  # "something of that name is already there" is vague
        return StorageError(
            _(
                "cannot store the document in {root}: that is a file, and the document store needs "
                "a folder there; move the file elsewhere and file the document again"
            ).format(root=root)
        )
    return StorageError(_("cannot store the document in {root}: {err}").format(root=root, err=os_reason(exc)))


def changed(source: Path, before: int, read: int) -> InputError:
    return InputError(
        _(
            "{path} changed while it was being read ({a} bytes before, {b} read); "
            "file it again once it is complete"
        ).format(path=source, a=before, b=read)
    )
