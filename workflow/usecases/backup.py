"""Use case: back up the database and its documents."""

from __future__ import annotations

from pathlib import Path

from storage.backup import BackupResult, backup_sqlite
from workflow.errors import InputError
from workflow.i18n import _
from workflow.usecases.context import Context
from workflow.usecases.operators import authorize


def backup(ctx: Context, target: Path) -> BackupResult:
    """A consistent copy of the SQLite database at ``target`` (documents at ``target``.blobs)."""
    db = ctx.db
    if not db.is_sqlite or db.path is None or db.blob_root is None:
        if db.blob_root is None:  # documents in the database: one dump holds everything
            raise InputError(_("manyi backup copies SQLite databases; for PostgreSQL use pg_dump"))
        raise InputError(
            _("manyi backup copies SQLite databases; for PostgreSQL use pg_dump and copy {blobs}").format(
                blobs=db.blob_root
            )
        )
    target = target.expanduser().resolve()
    if target == db.path.resolve():
        raise InputError(_("the backup must not overwrite the database itself"))
    if target.exists():
        raise InputError(_("{path} already exists; choose a new file name").format(path=target))
    if not target.parent.is_dir():
        raise InputError(_("folder does not exist: {path}").format(path=target.parent))
    db.ensure_ready(create=False)
    with db.read() as s:
        authorize(s, ctx, "manage")
    return backup_sqlite(db.path, db.blob_root, target)
