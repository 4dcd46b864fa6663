"""``manyi timeline``: the campaign's phases and due dates as a Gantt-like chart.

One row per phase: a bar over its window, ◆ on the due dates of its exit
requirements, ◇ on other due dates, and a red │ where today falls.
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

from cli.console import console, print_json, say
from cli.main import HELP, cli
from cli.shared import CAMPAIGN_OPT, JSON_OPT, context
from workflow.i18n import _

if TYPE_CHECKING:
    from rich.text import Text

BAR, EXIT_DUE, OTHER_DUE, TODAY = "█", "◆", "◇", "│"
COLOURS = ("cyan", "green", "yellow", "magenta", "blue", "red")


def _pad(text: str, width: int) -> str:
    from rich.cells import cell_len  # rich is imported when a chart is drawn, not at start-up

    return text + " " * max(0, width - cell_len(text))


def chart(tl, width: int) -> list[Text]:
    from rich.cells import cell_len
    from rich.text import Text

    """The chart's lines for a console ``width`` columns wide."""
    start, end = tl.campaign.start, tl.campaign.end
    label_w = max(cell_len(p.title) for p in tl.phases)
    right = [f" {p.start:%m-%d}→{p.end:%m-%d} ●{p.sections}" for p in tl.phases]
    right_w = max(cell_len(r) for r in right)
    axis = max(20, width - label_w - 1 - right_w)
    days = max(1, (end - start).days)

    def col(d: date) -> int:
        return round((min(max(d, start), end) - start).days * (axis - 1) / days)

    # Month ticks: a label wherever it fits after the previous one.
    ticks = Text(" " * (label_w + 1))
    rule = Text(" " * (label_w + 1))
    line, marks = [" "] * axis, ["─"] * axis
    month = date(start.year, start.month, 1)
    taken = -1
    while month <= end:
        if month >= start:
            c = col(month)
            marks[c] = "┬"
            label = f"{month:%Y-%m}"
            if c > taken and c + len(label) <= axis:
                line[c : c + len(label)] = list(label)
                taken = c + len(label)
        month = date(month.year + (month.month == 12), month.month % 12 + 1, 1)
    today_in = start <= tl.today <= end
    if today_in:
        marks[col(tl.today)] = "▼"
    ticks.append("".join(line))
    rule.append("".join(marks), style="dim")
    if today_in:
        rule.stylize("bold red", label_w + 1 + col(tl.today), label_w + 2 + col(tl.today))
    lines = [ticks, rule]
    for i, (p, tail) in enumerate(zip(tl.phases, right, strict=True)):
        cells: list[tuple[str, str]] = [(" ", "")] * axis
        colour = COLOURS[i % len(COLOURS)]
        for c in range(col(p.start), col(p.end) + 1):
            cells[c] = (BAR, colour)
        if today_in:
            cells[col(tl.today)] = (TODAY, "bold red")
        for d in p.dues:
            cells[col(d.due)] = (EXIT_DUE, "bold") if d.exit else (OTHER_DUE, "")
        row = Text(_pad(p.title, label_w) + " ")
        for ch, style in cells:
            row.append(ch, style=style)
        row.append(tail)
        lines.append(row)
    return lines


def legend(tl) -> str:
    return _(
        "{today} today {date}  {exit} exit requirement due  {other} other due  ●n offices in phase"
    ).format(today=TODAY, date=tl.today.isoformat(), exit=EXIT_DUE, other=OTHER_DUE)


def upcoming(tl, limit: int = 5) -> list[str]:
    """The next due dates from today on, soonest first."""
    dues = sorted((d for p in tl.phases for d in p.dues if d.due >= tl.today), key=lambda d: (d.due, d.key))
    return [f"{d.due.isoformat()}  {d.title} ({d.key})" for d in dues[:limit]]


@cli.command(help=HELP["timeline"])
@CAMPAIGN_OPT
@JSON_OPT
def timeline(campaign: str | None, as_json: bool) -> None:
    from workflow.usecases.timeline import timeline as load

    tl = load(context(), campaign)
    if as_json:
        print_json(tl.as_json())
        return
    c = tl.campaign
    say(
        _("Campaign '{name}' ({title}), {start} to {end}").format(
            name=c.name, title=c.title, start=c.start, end=c.end
        )
    )
    for line in chart(tl, console.width):
        console.print(line, no_wrap=True, overflow="crop")
    console.print(legend(tl), markup=False)
    nxt = upcoming(tl)
    if nxt:
        say(_("Next due dates:"))
        for due_line in nxt:
            say("  " + due_line)
