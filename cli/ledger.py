"""Commands of the rectification ledger (rectify) and of inspections (inspect)."""

from __future__ import annotations

from pathlib import Path

import click

from cli.clickext import option
from cli.console import print_json, say
from cli.main import HELP, cli
from cli.shared import CAMPAIGN_OPT, FILE_PATH, JSON_OPT, OUT_OPT, context, offices_matching, row_filters
from workflow.engine.values import MAX_INT
from workflow.errors import InputError
from workflow.i18n import N_, _


# -- rectify -------------------------------------------------------------------
@cli.group(help=HELP["rectify"])
def rectify() -> None:
    pass


@rectify.command("add", help=N_("Publish a rectification item for an office."))
@click.argument("office")
@click.argument("text")
@option(
    "--source",
    metavar="SOURCE",
    help=N_(
        "Where the item comes from: a source of the definition (key, alias or title); "
        "without one review, evaluation, inspection or self. Default: the first."
    ),
)
@option("--due", metavar="YYYY-MM-DD", help=N_("Date by which it must be done."))
@CAMPAIGN_OPT
def rectify_add(office: str, text: str, source: str | None, due: str | None, campaign: str | None) -> None:
    from workflow.usecases import ledger

    v = ledger.add_item(context(), campaign, office, text, source, due)
    say(
        _("Published item #{id} for {office}{due}.").format(
            id=v.id, office=v.office, due=_(" (due {d})").format(d=v.due) if v.due else ""
        )
    )


@rectify.command(
    "import", help=N_("Import items from a CSV (office,text,source,due; UTF-8 or GBK); all rows or none.")
)
@click.argument("file", type=FILE_PATH)
@CAMPAIGN_OPT
def rectify_import(file: Path, campaign: str | None) -> None:
    from cli.progress import working
    from workflow.usecases import ledger_import

    with working(_("Importing rectification items…")):
        name, n = ledger_import.import_items(context(), campaign, file)
    say(_("Imported {n} rectification items into campaign '{campaign}'.").format(n=n, campaign=name))


@rectify.command("done", help=N_("Report an item done, with its evidence document."))
@click.argument("item_id", type=click.IntRange(1, MAX_INT))
@option(
    "--evidence",
    required=True,
    type=click.Path(path_type=Path),
    metavar="PATH",
    help=N_("The evidence document; stored like a filing."),
)
@option("--note", metavar="TEXT", help=N_("A note kept with the report."))
@option("--allow-empty", is_flag=True, help=N_("Accept an empty (0-byte) document."))
@CAMPAIGN_OPT
def rectify_done(
    item_id: int, evidence: Path, note: str | None, allow_empty: bool, campaign: str | None
) -> None:
    from workflow.usecases import ledger

    v = ledger.mark_done(context(), campaign, item_id, evidence, note, allow_empty=allow_empty)
    say(
        _("Item #{id} of {office} reported done: {filename} (sha256 {sha}).").format(
            id=v.id, office=v.office, filename=v.evidence, sha=(v.evidence_sha256 or "")[:12]
        )
    )


@rectify.command("confirm", help=N_("Confirm a done item (supervision office)."))
@click.argument("item_id", type=click.IntRange(1, MAX_INT))
@CAMPAIGN_OPT
def rectify_confirm(item_id: int, campaign: str | None) -> None:
    from workflow.usecases import ledger

    v = ledger.confirm(context(), campaign, item_id)
    say(_("Item #{id} of {office} confirmed.").format(id=v.id, office=v.office))


@rectify.command("return", help=N_("Return a done item to its office, with the reason."))
@click.argument("item_id", type=click.IntRange(1, MAX_INT))
@option("--reason", required=True, metavar="TEXT", help=N_("What is still missing."))
@CAMPAIGN_OPT
def rectify_return(item_id: int, reason: str, campaign: str | None) -> None:
    from workflow.usecases import ledger

    v = ledger.return_item(context(), campaign, item_id, reason)
    say(
        _("Item #{id} of {office} returned: {reason}").format(
            id=v.id, office=v.office, reason=v.return_reason
        )
    )


@rectify.command("list", help=N_("List rectification items; export them with --format csv|xlsx -o FILE."))
@click.argument("office", required=False)
@option("--open", "open_only", is_flag=True, help=N_("Only items not yet confirmed."))
@option(
    "--format", "fmt", type=click.Choice(["table", "csv", "xlsx"]), default="table", help=N_("Output format.")
)
@OUT_OPT
@CAMPAIGN_OPT
@row_filters
@JSON_OPT
def rectify_list(
    office: str | None,
    open_only: bool,
    fmt: str,
    output: Path | None,
    campaign: str | None,
    offices: tuple[str, ...],
    phases: tuple[str, ...],
    lights: tuple[str, ...],
    as_json: bool,
) -> None:
    from cli import exports
    from workflow.usecases import ledger

    name, items = ledger.list_items(context(), campaign, office, open_only)
    keep = offices_matching(campaign, offices, phases, lights)
    if keep is not None:
        items = [v for v in items if v.office in keep]
    if as_json:
        print_json([v.as_json() for v in items])
        return
    if fmt != "table":
        table = exports.ledger_table(items)
        if fmt == "xlsx":
            if output is None:
                raise InputError(_("--format xlsx writes a file: give -o FILE"))
            exports.write_xlsx(output, [table])
        else:
            exports.write_text(output, exports.to_csv(table))
        if output is not None:
            say(_("Wrote {n} items to {path}.").format(n=len(items), path=output))
        return
    from cli.console import show
    from cli.tables import TEXT, WRAP, Col

    rows = []
    for v in items:
        due = f"{v.due}" + (" ⚠" if v.late else "") if v.due else "—"
        status = _(v.status) + (f"\n{v.return_reason}" if v.status == "returned" else "")
        rows.append([str(v.id), v.office, due, status, _(v.source), v.evidence or "", v.text])
    # The item's text says what must be fixed: last, so it can fold without being cut.
    show(
        [
            Col(_("#"), justify="right", title=True),
            Col(_("Office"), title=True),
            Col(_("Due")),
            Col(_("Status"), WRAP),
            Col(_("Source"), WRAP, drop=2),
            Col(_("Evidence"), WRAP, drop=1),
            Col(_("Item"), TEXT, least=30),
        ],
        rows,
    )
    closed = sum(1 for v in items if v.status == "confirmed")
    say(
        _("{n} items: {open} open, {closed} confirmed.").format(
            n=len(items), open=len(items) - closed, closed=closed
        )
    )


# -- inspect -------------------------------------------------------------------
@cli.group(help=HELP["inspect"])
def inspect() -> None:
    pass


@inspect.command("record", help=N_("Record an inspection of an office and its findings."))
@click.argument("office")
@option(
    "--kind",
    required=True,
    type=click.Choice(["announced", "unannounced"]),
    help=N_("Announced (明查) or unannounced (暗访)."),
)
@option("--date", "on", required=True, metavar="YYYY-MM-DD", help=N_("Day of the inspection."))
@option(
    "--finding",
    "findings",
    required=True,
    multiple=True,
    metavar="TEXT",
    help=N_("What was found; repeatable."),
)
@option("--rectify", is_flag=True, help=N_("Turn each finding into a rectification item."))
@option("--due", metavar="YYYY-MM-DD", help=N_("Due date of the items made with --rectify."))
@CAMPAIGN_OPT
def inspect_record(
    office: str,
    kind: str,
    on: str,
    findings: tuple[str, ...],
    rectify: bool,
    due: str | None,
    campaign: str | None,
) -> None:
    from workflow.usecases import inspections

    r = inspections.record_inspection(context(), campaign, office, kind, on, findings, rectify, due)
    say(
        _("Recorded {kind} inspection of {office} on {date}: {n} findings.").format(
            kind=_(r.kind), office=r.office, date=r.on, n=len(r.inspections)
        )
    )
    if r.items:
        say(_("Published items {ids}.").format(ids=", ".join(f"#{i}" for i in r.items)))
