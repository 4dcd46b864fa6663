"""The core commands: parse, call one use case, render."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from cli import completion
from cli.clickext import option
from cli.console import console, one_write, print_json, print_json_lines, say, say_lines
from cli.main import EXIT_BLOCKED, HELP, cli
from cli.progress import working
from cli.shared import (
    CAMPAIGN_OPT,
    JSON_OPT,
    LIGHT_FILTER,
    OFFICE_FILTER,
    PHASE_FILTER,
    context,
    filter_rows,
    word,
)
from workflow.i18n import N_, _


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

    offices, phases = usecases.resolve_filters(context(), campaign, offices, phases)
    st = usecases.status(context(), campaign)
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

    f = usecases.file_document(context(), campaign, office, requirement, path, note, allow_empty=allow_empty)
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

    name = usecases.veto(context(), campaign, office, reason, lift=lift)
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
            context(),
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
        # Offices with the same case share one tuple of unmet conditions: word it once.
        wording: dict[int, str] = {}
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
                missing = wording.get(id(o.unmet))
                if missing is None:
                    missing = wording[id(o.unmet)] = "; ".join(
                        f"{k} ({t}{', ' + d if d else ''})" for k, t, d in o.unmet
                    )
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

    rows = usecases.history(context(), campaign, office)
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
