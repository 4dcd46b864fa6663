"""The ``office`` commands: add, import a roster, correct, retire, list."""

from __future__ import annotations

from pathlib import Path

import click

from cli import completion
from cli.clickext import option
from cli.console import print_json, say
from cli.main import HELP, cli
from cli.progress import working
from cli.shared import (
    CAMPAIGN_OPT,
    FILE_PATH,
    JSON_OPT,
    STRICT_OPT,
    context,
    offices_matching,
    row_filters,
    warn_all,
)
from workflow.i18n import N_, _

TAGS_HELP = N_(
    "Roster categories, e.g. 涉企部门;窗口单位 (separated by ; 、 or ,); "
    "a requirement marked only: applies to offices with one of them."
)


@cli.group(help=HELP["office"])
def office() -> None:
    pass


@office.command("add", help=N_("Add one office to a campaign."))
@click.argument("name")
@option("--email", metavar="E", help=N_("The office's e-mail address."))
@option("--head", metavar="H", help=N_("The office head (first responsible person)."))
@option("--tags", metavar="TAGS", help=TAGS_HELP)
@CAMPAIGN_OPT
def office_add(
    name: str, email: str | None, head: str | None, tags: str | None, campaign: str | None
) -> None:
    from workflow.usecases import offices as usecases

    cname = usecases.add_office(context(), campaign, name, email, head, tags)
    say(_("Added office '{name}' to campaign '{campaign}'.").format(name=name.strip(), campaign=cname))


@office.command(
    "edit",
    help=N_("Correct an office's e-mail, head, name or tags; the old values stay in its history."),
)
@click.argument("name", shell_complete=completion.offices)
@option("--email", metavar="E", help=N_("The new e-mail address ('' clears it)."))
@option("--head", metavar="H", help=N_("The new head ('' clears it)."))
@option("--rename", "new_name", metavar="NEW", help=N_("The office's new name."))
@option("--tags", metavar="TAGS", help=N_("The office's tags, replacing the old ones ('' clears them)."))
@option("--reason", required=True, metavar="TEXT", help=N_("Why; recorded in history."))
@CAMPAIGN_OPT
def office_edit(
    name: str,
    email: str | None,
    head: str | None,
    new_name: str | None,
    tags: str | None,
    reason: str,
    campaign: str | None,
) -> None:
    from workflow.usecases import offices as usecases

    e = usecases.edit_office(
        context(), campaign, name, email=email, head=head, new_name=new_name, tags=tags, reason=reason
    )
    for field_name, (old, new) in e.changes.items():
        say(
            _("{office}: {field} {old} → {new}").format(
                office=e.office,
                field=_(usecases.FIELD_WORDS[field_name]),
                old=usecases.shown(old),
                new=usecases.shown(new),
            )
        )


@office.command(
    "retire",
    help=N_(
        "Take an office out of the campaign (merged, dissolved, added by mistake): it leaves the board, "
        "reminders, advance --all, the ranking and the reports; its history stays. --undo brings it back."
    ),
)
@click.argument("name", shell_complete=completion.offices)
@option("--reason", required=True, metavar="TEXT", help=N_("Why; recorded in history."))
@option("--undo", is_flag=True, help=N_("Reinstate a retired office."))
@CAMPAIGN_OPT
def office_retire(name: str, reason: str, undo: bool, campaign: str | None) -> None:
    from workflow.usecases import offices as usecases

    r = usecases.retire_office(context(), campaign, name, reason, undo=undo)
    if r.retired:
        say(_("{office} is retired from campaign '{campaign}'.").format(office=r.office, campaign=r.campaign))
    else:
        say(
            _("{office} takes part in campaign '{campaign}' again.").format(
                office=r.office, campaign=r.campaign
            )
        )


@office.command(
    "import",
    help=N_(
        "Import offices from a roster CSV or .xlsx (name,email,head[,tags] or 科室,邮箱,负责人[,标签]; "
        "UTF-8 or GBK). Offices already there are reported, not refused."
    ),
)
@click.argument("roster", type=FILE_PATH)
@option(
    "--update", is_flag=True, help=N_("Apply the roster's e-mail, head and tags to offices already there.")
)
@CAMPAIGN_OPT
@STRICT_OPT
def office_import(roster: Path, update: bool, campaign: str | None, strict: bool) -> None:
    from workflow.usecases import offices as usecases

    warnings: list[str] = []
    with working(_("Importing offices…")):
        r = usecases.import_offices(
            context(), campaign, roster, update=update, strict=strict, warnings=warnings
        )
    warn_all(warnings)
    say(_("Imported {n} offices into campaign '{campaign}'.").format(n=len(r.added), campaign=r.campaign))
    if r.unchanged:
        say(
            _("Already there, unchanged: {n} ({names}).").format(
                n=len(r.unchanged),
                names=_(", ").join(r.unchanged[:8]) + (" …" if len(r.unchanged) > 8 else ""),
            )
        )
    if r.updated:
        say(_("Updated from the roster: {names}.").format(names=_(", ").join(r.updated)))


@office.command("list", help=N_("List the offices of a campaign (retired ones marked)."))
@CAMPAIGN_OPT
@row_filters
@JSON_OPT
def office_list(
    campaign: str | None,
    offices: tuple[str, ...],
    phases: tuple[str, ...],
    lights: tuple[str, ...],
    as_json: bool,
) -> None:
    from workflow.usecases import board
    from workflow.usecases import offices as usecases

    rows = usecases.list_offices(context(), campaign)
    # By name and phase from the list itself (a retired office is listed, though not on the
    # board); by light from the board. Unknown names or phases are an error naming the known.
    names, states = board.resolve_filters(context(), campaign, offices, phases)
    lit = offices_matching(campaign, (), (), lights) if lights else None
    rows = [
        r
        for r in rows
        if (not names or r["office"] in names)
        and (not states or r["state"] in states)
        and (lit is None or r["office"] in lit)
    ]
    if as_json:
        print_json(rows)
        return
    from cli.console import show
    from cli.tables import Col

    def phase(r: dict) -> str:
        return _("{phase} (retired)").format(phase=r["state_title"]) if r["retired"] else r["state_title"]

    cols = [Col(_("Office"), title=True), Col(_("Phase")), Col(_("E-mail")), Col(_("Head"))]
    cells = [[r["office"], phase(r), r["email"] or "", r["head"] or ""] for r in rows]
    if any(r["tags"] for r in rows):  # a column only when some office has tags
        cols.append(Col(_("Tags")))
        for row, r in zip(cells, rows, strict=True):
            row.append(_(", ").join(r["tags"]))
    # The address and the head are what this list is for: narrow consoles stack it rather than drop them.
    show(cols, cells)
