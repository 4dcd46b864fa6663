"""Commands that make the database and the campaigns: init, campaign start/close/list."""

from __future__ import annotations

from pathlib import Path

import click

from cli import completion
from cli.clickext import option
from cli.console import print_json, say
from cli.main import HELP, cli
from cli.progress import working
from cli.shared import (
    FILE_PATH,
    JSON_OPT,
    STRICT_OPT,
    context,
    moved_dates,
    off_day,
    warn_all,
    word,
)
from workflow.i18n import N_, _


# -- init --------------------------------------------------------------------
@cli.command(help=HELP["init"])
@option(
    "--rehearsal",
    is_flag=True,
    help=N_("Make a new database a rehearsal: writes at a pretended time (MANYI_NOW) are allowed."),
)
def init(rehearsal: bool) -> None:
    from workflow.usecases import campaigns as usecases

    ctx = context()
    before, after, first = usecases.init(ctx, rehearsal=rehearsal)
    where = ctx.db.path or ctx.db.shown_url
    if before is None:
        say(_("Created database {where} (schema {rev}).").format(where=where, rev=after))
    elif before == after:
        say(_("Database {where} is up to date (schema {rev}).").format(where=where, rev=after))
    else:
        say(
            _("Upgraded database {where} from schema {old} to {rev}.").format(
                where=where, old=before, rev=after
            )
        )
    if first is not None:
        say(
            _("First supervisor: {name} (database login {login}).").format(
                name=first.name, login=first.db_login
            )
        )


# -- campaign ----------------------------------------------------------------
@cli.group(help=HELP["campaign"])
def campaign() -> None:
    pass


@campaign.command("start", help=N_("Start a campaign from a definition file or bundled name."))
@click.argument("file")
@option("--name", required=True, help=N_("Name of this campaign, e.g. 2026."))
@option("--start", "start", required=True, metavar="YYYY-MM-DD", help=N_("First day of the campaign."))
@option(
    "--set",
    "sets",
    multiple=True,
    metavar="KEY=VALUE",
    help=N_("Override a definition parameter; repeatable."),
)
@option("--offices", type=FILE_PATH, metavar="ROSTER.csv", help=N_("Import the offices from a roster CSV."))
@option(
    "--rehearsal",
    is_flag=True,
    help=N_("A rehearsal in a new database: MANYI_NOW may set the time; every board says so."),
)
@STRICT_OPT
def campaign_start(
    file: str,
    name: str,
    start: str,
    sets: tuple[str, ...],
    offices: Path | None,
    rehearsal: bool,
    strict: bool,
) -> None:
    from workflow.usecases import campaigns as usecases

    warnings: list[str] = []
    with working(_("Starting the campaign…")):
        info = usecases.start_campaign(
            context(), file, name, start, sets, offices, rehearsal=rehearsal, strict=strict, warnings=warnings
        )
    warn_all(warnings)
    if info.participant:  # the definition's own word (部门, 单位): "…，部门共 12 个。"
        started = _("Started campaign '{name}' ({title}): {start} to {end}; {noun}: {n}.")
    else:
        started = _("Started campaign '{name}' ({title}): {start} to {end}, {n} offices.")
    say(
        started.format(
            name=info.name,
            title=info.title,
            start=info.start,
            end=info.end,
            n=info.sections,
            noun=info.participant,
        )
    )
    off_day(info.start, info.next_working_day)
    moved_dates(info.name)


@campaign.command(
    "close",
    help=N_(
        "Close a campaign (finished, or started by mistake): it stops being the default, reminders stop; "
        "its history stays."
    ),
)
@click.argument("name", shell_complete=completion.campaigns)
@option("--reason", required=True, metavar="TEXT", help=N_("Why it is closed (kept in history)."))
def campaign_close(name: str, reason: str) -> None:
    from workflow.usecases import campaigns as usecases

    usecases.close_campaign(context(), name, reason)
    say(_("Closed campaign '{name}'.").format(name=name))


@campaign.command("list", help=N_("List campaigns."))
@JSON_OPT
def campaign_list(as_json: bool) -> None:
    from workflow.usecases import campaigns as usecases

    rows = usecases.list_campaigns(context())
    if as_json:
        print_json(
            [
                {
                    "name": c.name,
                    "definition": c.definition,
                    "title": c.title,
                    "start": c.start.isoformat(),
                    "end": c.end.isoformat(),
                    "timezone": c.timezone,
                    "status": c.status,
                    "offices": c.sections,
                    "parameters": c.parameters,
                }
                for c in rows
            ]
        )
        return
    from cli.console import show
    from cli.tables import WRAP, Col

    show(
        [
            Col(_("Campaign"), title=True),
            Col(_("Definition"), WRAP),
            Col(_("Start")),
            Col(_("End")),
            Col(_("Offices"), justify="right"),
            Col(_("Status")),
        ],
        [
            [c.name, f"{c.definition}\n{c.title}", str(c.start), str(c.end), str(c.sections), word(c.status)]
            for c in rows
        ],
    )
