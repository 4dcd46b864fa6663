"""A consistent copy of a SQLite database and its blob store, taken while others write.

The database is copied with SQLite's online backup API in one step, which
reads one consistent snapshot (in WAL mode writers carry on meanwhile).
Blobs are immutable and always written *before* the transaction that refers
to them commits, so copying the blob store after the snapshot gives every
document the snapshot refers to (and perhaps a few newer ones, harmless).
"""

from __future__ import annotations

import os
import shutil
import sqlite3
from dataclasses import dataclass
from pathlib import Path

from workflow.errors import StorageError, os_reason
from workflow.i18n import _


@dataclass(frozen=True)
class BackupResult:
    path: Path
    blob_root: Path
    pages: int
    blobs_copied: int


def backup_sqlite(source: Path, source_blobs: Path, target: Path) -> BackupResult:
    """Copy ``source`` to ``target`` and ``source_blobs`` to ``target`` + ".blobs".

    The database goes to a temporary name first and is renamed when complete,
    so an interrupted backup never looks like a good one.

    Raises:
        StorageError: SQLite or the file system refused, said in one line.
    """
    try:
        return _backup(source, source_blobs, target)
    except sqlite3.Error as exc:
        raise StorageError(_("backup failed: {e}").format(e=str(exc).splitlines()[0])) from None
    except OSError as exc:
        raise StorageError(_("backup failed: {e}").format(e=os_reason(exc))) from None


def _backup(source: Path, source_blobs: Path, target: Path) -> BackupResult:
    partial = target.with_name(target.name + ".partial")
    target_blobs = Path(str(target) + ".blobs")
    partial.unlink(missing_ok=True)
    src = sqlite3.connect(f"file:{source}?mode=ro", uri=True, timeout=15)
    try:
        dst = sqlite3.connect(partial)
        try:
            src.backup(dst)  # pages=-1: the whole database from one snapshot
            pages = dst.execute("PRAGMA page_count").fetchone()[0]
            ok = dst.execute("PRAGMA integrity_check").fetchone()[0]
            if ok != "ok":
                raise sqlite3.DatabaseError(f"integrity check of the copy failed: {ok}")
            dst.execute("PRAGMA journal_mode=DELETE")  # a single self-contained file
        finally:
            dst.close()
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    finally:
        src.close()
    copied = _copy_blobs(source_blobs, target_blobs)
    os.replace(partial, target)
    return BackupResult(target, target_blobs, pages, copied)


def _copy_blobs(root: Path, target: Path) -> int:
    if not root.is_dir():
        return 0
    copied = 0
    for sub in sorted(p for p in root.iterdir() if p.is_dir()):
        for blob in sub.iterdir():
            dest = target / sub.name / blob.name
            if dest.exists() and dest.stat().st_size == blob.stat().st_size:
                continue
            dest.parent.mkdir(parents=True, exist_ok=True)
            tmp = dest.with_name(dest.name + ".partial")
            shutil.copyfile(blob, tmp)
            os.replace(tmp, dest)
            copied += 1
    return copied
