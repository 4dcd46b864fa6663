"""``manyi backup``: a consistent copy of a SQLite database and its documents."""

from __future__ import annotations

from pathlib import Path

import click

from cli.console import say
from cli.main import HELP, cli
from cli.shared import FILE_PATH, context
from workflow.i18n import _


@cli.command("backup", help=HELP["backup"])
@click.argument("file", type=FILE_PATH)
def backup_cmd(file: Path) -> None:
    from cli.progress import working
    from workflow.usecases.backup import backup

    with working(_("Backing up…")):
        result = backup(context(), file)
    say(
        _("Backed up to {path} ({pages} pages) and {blobs}/ ({n} documents copied).").format(
            path=result.path, pages=result.pages, blobs=result.blob_root, n=result.blobs_copied
        )
    )
