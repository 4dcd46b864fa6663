"""The core commands: parse, call one use case, render."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from cli import completion
from cli.console import console, one_write, print_json, print_json_lines, say, say_lines
from cli.main import EXIT_BLOCKED, HELP, cli, option, settings
from cli.progress import working
from workflow.i18n import N_, _

FILE_PATH = click.Path(path_type=Path, dir_okay=False)
CAMPAIGN_OPT = option(
    "--campaign",
    metavar="NAME",
    shell_complete=completion.campaigns,
    help=N_("Campaign name (may be left out when only one is active)."),
)
JSON_OPT = option("--json", "as_json", is_flag=True, help=N_("Print JSON on stdout."))
STRICT_OPT = option(
    "--strict",
    is_flag=True,
    help=N_("Refuse a roster with a row of missing or extra fields (default: warn and go on)."),
)


def warn_all(warnings: list[str]) -> None:
    """Each warning as its own line on stderr (after any progress display is gone)."""
    for message in warnings:
        click.echo(_("Warning: {message}").format(message=message), err=True)


def moved_dates(campaign: str) -> None:
    """A notice on stderr for each date the definition lays on a weekend or holiday (one line
    per date, naming what falls on it)."""
    from workflow.usecases import deadlines

    _name, rows = deadlines.calendar(_ctx(), campaign)
    moved: dict[tuple[object, object], list[str]] = {}
    for r in rows:
        if r.due != r.planned:
            what = r.title if r.requirement else _("{phase} (phase ends)").format(phase=r.phase_title)
            moved.setdefault((r.planned, r.due), []).append(what)
    for (day, nxt), names in sorted(moved.items(), key=lambda kv: str(kv[0][0])):
        click.echo(
            _("Notice: {day} is not a working day; due on the next working day, {next}: {what}.").format(
                day=day, next=nxt, what=_(", ").join(names)
            ),
            err=True,
        )


def off_day(day: object, next_working: object) -> None:
    """A notice on stderr when a date someone gave falls on a weekend or holiday."""
    if next_working is not None:
        click.echo(
            _(
                "Notice: {day} is not a working day; the next working day is {next}. "
                "The date is kept as given."
            ).format(day=day, next=next_working),
            err=True,
        )


#: Event actions and campaign states as shown in tables (JSON keeps the keys).
WORDS = {
    "campaign-start": N_("campaign-start"),
    "office-add": N_("office-add"),
    "file": N_("file"),
    "advance": N_("advance"),
    "force-advance": N_("force-advance"),
    "active": N_("active"),
    "closed": N_("closed"),
    "campaign-close": N_("campaign-close"),
    "office-edit": N_("office-edit"),
    "office-retire": N_("office-retire"),
    "office-reinstate": N_("office-reinstate"),
    "score-correct": N_("score-correct"),
    "score-withdraw": N_("score-withdraw"),
    "extend": N_("extend"),
    "inspect": N_("inspect"),
    "rectify-add": N_("rectify-add"),
    "rectify-done": N_("rectify-done"),
    "rectify-confirm": N_("rectify-confirm"),
    "rectify-return": N_("rectify-return"),
    "score": N_("score"),
    "vote": N_("vote"),
    "sender-add": N_("sender-add"),
}


def word(key: str) -> str:
    """The translated display word for an action or status key (the key itself if unknown)."""
    return _(WORDS[key]) if key in WORDS else key


def _ctx():
    return settings(click.get_current_context()).context()


# -- init --------------------------------------------------------------------
@cli.command(help=HELP["init"])
@option(
    "--rehearsal",
    is_flag=True,
    help=N_("Make a new database a rehearsal: writes at a pretended time (MANYI_NOW) are allowed."),
)
def init(rehearsal: bool) -> None:
    from workflow.usecases import campaigns as usecases

    ctx = _ctx()
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
            _ctx(), file, name, start, sets, offices, rehearsal=rehearsal, strict=strict, warnings=warnings
        )
    warn_all(warnings)
    say(
        _("Started campaign '{name}' ({title}): {start} to {end}, {n} offices.").format(
            name=info.name, title=info.title, start=info.start, end=info.end, n=info.sections
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

    usecases.close_campaign(_ctx(), name, reason)
    say(_("Closed campaign '{name}'.").format(name=name))


@campaign.command("list", help=N_("List campaigns."))
@JSON_OPT
def campaign_list(as_json: bool) -> None:
    from workflow.usecases import campaigns as usecases

    rows = usecases.list_campaigns(_ctx())
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


# -- offices -----------------------------------------------------------------
# -- status ------------------------------------------------------------------
OFFICE_FILTER = option(
    "--office",
    "offices",
    multiple=True,
    metavar="NAME",
    shell_complete=completion.offices,
    help=N_("Only this office; repeatable."),
)
PHASE_FILTER = option(
    "--phase",
    "phases",
    multiple=True,
    metavar="PHASE",
    shell_complete=completion.states,
    help=N_("Only offices in this phase, by key or title (or 'completed'); repeatable."),
)
LIGHT_FILTER = option(
    "--light",
    "lights",
    multiple=True,
    type=click.Choice(["green", "yellow", "red"]),
    help=N_("Only offices with this traffic light; repeatable."),
)


def filter_rows(rows, offices=(), phases=(), lights=()):
    """The rows that match every given filter (an empty filter matches all)."""
    return [
        r
        for r in rows
        if (not offices or r.office in offices)
        and (not phases or r.state in phases)
        and (not lights or getattr(r, "light", None) in lights)
    ]


def row_filters(f):
    """``--office``, ``--phase`` and ``--light`` on a list of offices' things."""
    return OFFICE_FILTER(PHASE_FILTER(LIGHT_FILTER(f)))


def offices_matching(
    campaign: str | None, offices: tuple[str, ...], phases: tuple[str, ...], lights: tuple[str, ...]
) -> set[str] | None:
    """Names of the offices that pass the filters (their phase and light from the board); None: no filter."""
    if not (offices or phases or lights):
        return None
    from workflow.usecases import board as usecases

    offices, phases = usecases.resolve_filters(_ctx(), campaign, offices, phases)
    return {r.office for r in filter_rows(usecases.status(_ctx(), campaign).rows, offices, phases, lights)}


@cli.command(help=HELP["status"])
@CAMPAIGN_OPT
@OFFICE_FILTER
@PHASE_FILTER
@LIGHT_FILTER
@option("--overdue", is_flag=True, help=N_("Only offices with an overdue requirement (red)."))
@JSON_OPT
def status(
    campaign: str | None,
    offices: tuple[str, ...],
    phases: tuple[str, ...],
    lights: tuple[str, ...],
    overdue: bool,
    as_json: bool,
) -> None:
    from cli.board import board, legend
    from cli.console import paragraph
    from workflow.usecases import board as usecases

    offices, phases = usecases.resolve_filters(_ctx(), campaign, offices, phases)
    st = usecases.status(_ctx(), campaign)
    rows = filter_rows(st.rows, offices, phases, ("red",) if overdue else lights)
    if as_json:
        print_json_lines(list(usecases.status_json_lines(rows)))
        return
    with one_write():
        c = st.campaign
        say(
            _("Campaign '{name}' ({title}), {start} to {end}").format(
                name=c.name, title=c.title, start=c.start, end=c.end
            )
        )
        if st.mode is not None and st.mode.single_user:
            say(_("Single-user mode: no operators configured (add them with `manyi user add`)."))
        elif st.mode is not None:
            say(
                _("Operator {actor}: {role}").format(
                    actor=st.mode.actor,
                    role=(st.mode.role or "-") + (f" ({st.mode.office})" if st.mode.office else ""),
                )
            )
        if st.rehearsal:
            say(_("REHEARSAL: a rehearsal database; its times may be pretended (MANYI_NOW)."))
        console.print(board(st, rows))
        paragraph(legend(st, rows))
        if st.waiting:
            say(
                _("Received by mail, waiting to be accepted (manyi inbox list): {offices}").format(
                    offices=_(", ").join(f"{o} {n}" for o, n in sorted(st.waiting.items()))
                )
            )
        retired = [o for o in st.retired if not offices or o in offices]
        if retired:  # named or not, a retired office is said to be off the board, not silently missing
            say(
                _("Retired from the campaign, not on the board: {offices}").format(
                    offices=_(", ").join(retired)
                )
            )


# -- file --------------------------------------------------------------------
@cli.command("file", help=HELP["file"])
@click.argument("office", shell_complete=completion.offices_and_group)
@click.argument("requirement", shell_complete=completion.requirements)
@click.argument("path", type=click.Path(path_type=Path))
@option("--note", metavar="TEXT", help=N_("A note kept with the filing."))
@option("--allow-empty", is_flag=True, help=N_("Accept an empty (0-byte) document."))
@CAMPAIGN_OPT
def file_cmd(
    office: str, requirement: str, path: Path, note: str | None, allow_empty: bool, campaign: str | None
) -> None:
    from workflow.usecases import filings as usecases

    f = usecases.file_document(_ctx(), campaign, office, requirement, path, note, allow_empty=allow_empty)
    counted = f" ({f.count}/{f.needed})" if f.needed > 1 else ""
    say(
        _("Filed '{title}' for {office}{counted}: {filename} (sha256 {sha}).").format(
            title=f.requirement_title,
            office=f.office,
            counted=counted,
            filename=f.filename,
            sha=f.sha256[:12],
        )
    )


# -- veto --------------------------------------------------------------------
@cli.command(help=HELP["veto"])
@click.argument("office", shell_complete=completion.offices)
@option(
    "--reason", required=True, metavar="TEXT", help=N_("Why (e.g. the disciplinary case); kept in history.")
)
@option("--lift", is_flag=True, help=N_("Lift the office's standing veto instead."))
@CAMPAIGN_OPT
def veto(office: str, reason: str, lift: bool, campaign: str | None) -> None:
    from workflow.usecases import advancing as usecases

    name = usecases.veto(_ctx(), campaign, office, reason, lift=lift)
    say(
        (
            _("Lifted the veto against {office} in campaign '{campaign}'.")
            if lift
            else _(
                "Recorded a veto against {office} in campaign '{campaign}': it is blocked where the "
                "definition says so and is not commended."
            )
        ).format(office=office, campaign=name)
    )


# -- advance -----------------------------------------------------------------
@cli.command(help=HELP["advance"])
@click.argument("offices", nargs=-1, shell_complete=completion.offices)
@option("--all", "all_", is_flag=True, help=N_("Every office of the campaign."))
@option("--dry-run", is_flag=True, help=N_("Show what would happen; change nothing."))
@option(
    "--force",
    is_flag=True,
    help=N_("Override unmet exit conditions (needs --reason and --from)."),
)
@option("--reason", metavar="TEXT", help=N_("Why the guard is overridden; recorded in history."))
@option(
    "--from",
    "expect",
    metavar="PHASE",
    help=N_(
        "Only if the offices are still in PHASE (what you saw); otherwise report who changed them. "
        "With --all: the offices now in PHASE."
    ),
)
@CAMPAIGN_OPT
@JSON_OPT
def advance(
    offices: tuple[str, ...],
    all_: bool,
    dry_run: bool,
    force: bool,
    reason: str | None,
    expect: str | None,
    campaign: str | None,
    as_json: bool,
) -> None:
    from workflow.errors import InputError
    from workflow.usecases import advancing as usecases

    if all_ and offices:
        raise InputError(_("give office names or --all, not both"))
    if not all_ and not offices:
        raise InputError(_("name at least one office, or use --all"))
    with working(_("Advancing offices…")):
        outcomes = usecases.advance(
            _ctx(),
            campaign,
            None if all_ else list(offices),
            dry_run=dry_run,
            force=force,
            reason=reason,
            expect=expect,
        )
    blocked = [o for o in outcomes if o.blocked]
    if as_json:
        print_json([o.as_json() for o in outcomes])
    else:
        prefix = _("[dry run] ") if dry_run else ""
        # Built once, not per office: the lines go out in one print and one write.
        done_fmt = prefix + _("{office}: already completed")
        forced_fmt = prefix + _("{office}: {src} → {dst} (forced; overrode {keys})")
        moved_fmt = prefix + _("{office}: {src} → {dst}")
        blocked_fmt = prefix + _("{office}: blocked in {src}, missing {missing}")
        lines = []
        for o in outcomes:
            if o.final:
                lines.append(done_fmt.format(office=o.office))
            elif o.dest and o.forced:
                lines.append(
                    forced_fmt.format(
                        office=o.office,
                        src=o.source_title,
                        dst=o.dest_title,
                        keys=", ".join(k for k, _t, _d in o.unmet),
                    )
                )
            elif o.dest:
                lines.append(moved_fmt.format(office=o.office, src=o.source_title, dst=o.dest_title))
            else:
                missing = "; ".join(f"{k} ({t}{', ' + d if d else ''})" for k, t, d in o.unmet)
                lines.append(blocked_fmt.format(office=o.office, src=o.source_title, missing=missing))
        moved = sum(1 for o in outcomes if o.dest)
        lines.append(
            prefix + _("{moved} advanced, {blocked} blocked.").format(moved=moved, blocked=len(blocked))
        )
        say_lines(lines)
    if blocked:
        sys.exit(EXIT_BLOCKED)


# -- history -----------------------------------------------------------------
@cli.command(help=HELP["history"])
@click.argument("office", shell_complete=completion.offices_and_group)
@CAMPAIGN_OPT
@JSON_OPT
def history(office: str, campaign: str | None, as_json: bool) -> None:
    from workflow.usecases import campaigns as usecases

    rows = usecases.history(_ctx(), campaign, office)
    if as_json:
        print_json(rows)
        return
    from cli.console import show
    from cli.tables import TEXT, Col

    cells = []
    for r in rows:
        detail = r["detail"]
        words = r.get("detail_titles", {})
        extra = ""
        if r["action"] == "extend":
            extra = f"{words.get('requirement', detail['requirement'])}: {detail['from']} → {detail['to']}"
        elif "requirement" in detail:
            extra = f"{words.get('requirement', detail['requirement'])}: {detail.get('filename', '')}"
            if "mail" in detail:
                extra += " " + _("(by mail from {sender})").format(sender=detail.get("from", "?"))
        elif "address" in detail:
            extra = detail["address"]
        elif "item" in detail:
            extra = f"#{detail['item']}: {detail.get('text') or detail.get('filename') or ''}"
        elif "inspection" in detail:
            extra = f"{detail['kind']} {detail['date']}: {detail['text']}"
        elif "group" in detail:
            value = detail["score"] if "score" in detail else words.get("vote", detail.get("vote"))
            extra = f"{words.get('group', detail['group'])}: {value}"
        elif r["action"] == "office-edit":
            extra = ", ".join(
                f"{k}: {v or '—'} → {detail.get(k) or '—'}" for k, v in detail.get("before", {}).items()
            )
        elif detail.get("overridden"):
            extra = _("overrode {keys}").format(keys=", ".join(detail["overridden"]))
        if r["from"] and r["to"]:
            phase = f"{r['from_title']} → {r['to_title']}"
        else:
            phase = r["to_title"] or ""
        # The phase change sits in the detail, the one column that folds: a long phase name
        # never makes the table drop who acted.
        text = " · ".join(x for x in (phase, r["reason"], extra) if x)
        cells.append([str(r["seq"]), r["at_local"], r["actor"], word(r["action"]), text])
    show(
        [
            Col(_("#"), justify="right", title=True),
            Col(_("Time"), title=True),
            Col(_("Actor")),
            Col(_("Action")),
            Col(_("Reason / detail"), TEXT),
        ],
        cells,
    )
