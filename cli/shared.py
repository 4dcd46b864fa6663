"""What the command modules share: common options (--campaign, --json, --output, the office
filters), the notices about non-working days, the display words of event actions, and the
use-case context of the running command. Importing it defines no command.
"""

from __future__ import annotations

from pathlib import Path

import click

from cli import completion
from cli.clickext import option
from cli.main import settings
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

    _name, rows = deadlines.calendar(context(), campaign)
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


def context():
    return settings(click.get_current_context()).context()


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

    offices, phases = usecases.resolve_filters(context(), campaign, offices, phases)
    return {r.office for r in filter_rows(usecases.status(context(), campaign).rows, offices, phases, lights)}


OUT_OPT = option(
    "-o",
    "--output",
    "output",
    type=FILE_PATH,
    metavar="FILE",
    help=N_("Write to FILE instead of standard output."),
)
