"""``manyi demo``'s database: make room for a fresh one without ever deleting a real one."""

from __future__ import annotations

import shutil
from pathlib import Path

from storage import demo_marks
from workflow.errors import InputError
from workflow.i18n import _

COMPANIONS = ("-wal", "-shm", ".blobs", ".outbox", ".files")


def _companions(db_path: Path) -> list[Path]:
    """The files and folders that belong to the demo database ``db_path`` (and only to it)."""
    return [Path(str(db_path) + suffix) for suffix in COMPANIONS]


def prepare(db_path: Path) -> None:
    """Make room for a fresh demo database at ``db_path``, deleting only what an earlier
    demo made there and nobody has used since; refuse anything else, changing nothing."""
    if db_path.exists() or db_path.is_symlink():
        if not demo_marks.untouched(db_path):
            raise InputError(
                _(
                    "{path} exists and is not an unused demo database; the demo only writes a "
                    "database it creates: choose another path with --db"
                ).format(path=db_path)
            )
        db_path.unlink()
        for path in _companions(db_path):
            if path.is_dir() and not path.is_symlink():
                shutil.rmtree(path)
            else:
                path.unlink(missing_ok=True)
    else:
        for path in _companions(db_path):
            if path.exists() or path.is_symlink():
                raise InputError(
                    _(
                        "{path} exists but its demo database does not; the demo only writes folders "
                        "it creates: choose another path with --db"
                    ).format(path=path)
                )
    demo_marks.mark_new(db_path)


def stamp(db_path: Path) -> None:
    """Record what the finished tour left, so a later demo replaces it only if still unused."""
    demo_marks.stamp(db_path)
