"""``manyi audit``: verify the tamper-evident history, export it for offline checking."""

from __future__ import annotations

from pathlib import Path

import click

from cli import completion
from cli.commands import JSON_OPT, _ctx
from cli.console import print_json, say
from cli.main import HELP, cli, option
from workflow.i18n import N_, _


@cli.group(help=HELP["audit"])
def audit() -> None:
    pass


@audit.command("verify", help=N_(
    "Check every event's hash and link, every filed document and the stored state; "
    "report the first broken link (exit 1)."))
@option("--campaign", metavar="NAME", help=N_("Only this campaign (default: all campaigns)."),
        shell_complete=completion.campaigns)
@option("--skip-documents", is_flag=True, help=N_("Do not re-hash the filed documents."))
@JSON_OPT
def audit_verify(campaign: str | None, skip_documents: bool, as_json: bool) -> None:
    from cli.progress import working
    from workflow import audit as use

    with working(_("Verifying the history…")):
        reports = use.verify(_ctx(), campaign, documents=not skip_documents)
    if as_json:  # a broken chain is still exit 1 with one line on stderr
        print_json([{"campaign": r.campaign, "events": r.events, "head": r.head,
                     "documents": r.documents, "intact": True} for r in reports])
        return
    for r in reports:
        say(_("Campaign '{name}': {n} events, chain intact, head #{n} {head}; "
              "{docs} documents checked.").format(name=r.campaign, n=r.events, head=r.head,
                                                 docs=r.documents))
    say(_("Audit passed: {n} campaigns verified.").format(n=len(reports)))


@audit.command("export", help=N_("Write the history with its hash chain to FILE for offline verification."))
@option("--campaign", metavar="NAME", help=N_("Only this campaign (default: all campaigns)."))
@option("--format", "fmt", type=click.Choice(["jsonl", "csv"]), default="jsonl", show_default=True,
        help=N_("File format."))
@option("-o", "--output", "output", required=True, type=click.Path(path_type=Path, dir_okay=False),
        metavar="FILE", help=N_("Where to write the export."))
def audit_export(campaign: str | None, fmt: str, output: Path) -> None:
    from workflow import audit as use

    from cli.progress import working

    with working(_("Exporting the history…")):
        reports = use.export(_ctx(), campaign, fmt, output)
    for r in reports:
        say(_("Campaign '{name}': {n} events exported, head {head}.").format(
            name=r.campaign, n=r.events, head=r.head))
    say(_("Wrote {path}.").format(path=output))
