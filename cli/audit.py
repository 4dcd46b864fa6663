"""``manyi audit``: verify the tamper-evident history, export it for offline checking."""

from __future__ import annotations

from pathlib import Path

import click

from cli import completion
from cli.clickext import option
from cli.console import one_write, print_json, say
from cli.main import HELP, cli
from cli.shared import JSON_OPT, context
from workflow.i18n import N_, _


@cli.group(help=HELP["audit"])
def audit() -> None:
    pass


@audit.command(
    "verify",
    help=N_(
        "Check every event's hash and link, every filed document and the stored state; "
        "report the first broken link (exit 1)."
    ),
)
@option(
    "--campaign",
    metavar="NAME",
    help=N_("Only this campaign (default: all campaigns)."),
    shell_complete=completion.campaigns,
)
@option("--skip-documents", is_flag=True, help=N_("Do not re-hash the filed documents."))
@option(
    "--anchor",
    "anchors",
    metavar="HASH",
    multiple=True,
    help=N_(
        "A head hash printed earlier by `manyi audit anchor`: fail unless the chain still "
        "holds that event (proves no tail was cut). Repeatable."
    ),
)
@JSON_OPT
def audit_verify(campaign: str | None, skip_documents: bool, anchors: tuple[str, ...], as_json: bool) -> None:
    from cli.progress import working
    from workflow.usecases import audit as use

    with working(_("Verifying the history…")):
        reports = use.verify(context(), campaign, documents=not skip_documents, anchors=list(anchors))
    if as_json:  # a broken chain is still exit 1 with one line on stderr
        print_json(
            [
                {
                    "campaign": r.campaign,
                    "events": r.events,
                    "head": r.head,
                    "documents": r.documents,
                    "intact": True,
                    "unchecked": r.unchecked,
                    "anchors": sorted(a.strip().lower()[-64:] for a in anchors),
                }
                for r in reports
            ]
        )
        return
    from workflow.errors import OPERATORS_CHAIN

    with one_write():
        for r in reports:
            if r.campaign == OPERATORS_CHAIN:
                say(
                    _(
                        "Operators: {n} events, chain intact, head #{n} {head}; every operator matches it."
                    ).format(n=r.events, head=r.head)
                )
                continue
            say(
                _(
                    "Campaign '{name}': {n} events, chain intact, head #{n} {head}; {docs} documents checked."
                ).format(name=r.campaign, n=r.events, head=r.head, docs=r.documents)
            )
            if r.unchecked:
                say(
                    _("  Not checked (events written by an older manyi do not record them): {facts}.").format(
                        facts=", ".join(f"{k} ×{n}" for k, n in sorted(r.unchecked.items()))
                    )
                )
        if anchors:
            say(_("Anchors found in the chain: {n}.").format(n=len(set(anchors))))
        say(
            _("Audit passed: {n} campaigns verified.").format(
                n=sum(1 for r in reports if r.campaign != OPERATORS_CHAIN)
            )
        )


@audit.command(
    "anchor",
    help=N_(
        "Print each campaign's head (position, hash, time) to keep outside the database; "
        "`audit verify --anchor HASH` later proves no tail was cut."
    ),
)
@option(
    "--campaign",
    metavar="NAME",
    help=N_("Only this campaign (default: all campaigns)."),
    shell_complete=completion.campaigns,
)
@JSON_OPT
def audit_anchor(campaign: str | None, as_json: bool) -> None:
    from workflow.usecases import audit as use

    reports = use.anchors(context(), campaign)
    if as_json:
        print_json(
            [{"campaign": r.campaign, "seq": r.events, "hash": r.head, "at": r.head_at} for r in reports]
        )
        return
    for r in reports:
        say(
            _("Campaign '{name}': head #{n} {head}, written {at}.").format(
                name=r.campaign, n=r.events, head=r.head, at=r.head_at or "-"
            )
        )
    say(
        _(
            "Keep these lines outside the database (in a report, or mailed to the organizing body); "
            "`manyi audit verify --anchor HASH` proves the chain still holds that event."
        )
    )


@audit.command("export", help=N_("Write the history with its hash chain to FILE for offline verification."))
@option("--campaign", metavar="NAME", help=N_("Only this campaign (default: all campaigns)."))
@option(
    "--format",
    "fmt",
    type=click.Choice(["jsonl", "csv"]),
    default="jsonl",
    show_default=True,
    help=N_("File format."),
)
@option(
    "-o",
    "--output",
    "output",
    required=True,
    type=click.Path(path_type=Path, dir_okay=False),
    metavar="FILE",
    help=N_("Where to write the export."),
)
def audit_export(campaign: str | None, fmt: str, output: Path) -> None:
    from cli.progress import working
    from workflow.usecases import audit_export as use

    with working(_("Exporting the history…")):
        reports = use.export(context(), campaign, fmt, output)
    for r in reports:
        say(
            _("Campaign '{name}': {n} events exported, head {head}.").format(
                name=r.campaign, n=r.events, head=r.head
            )
        )
    say(_("Wrote {path}.").format(path=output))
