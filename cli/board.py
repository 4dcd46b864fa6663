"""The status board: one row per office, a column per phase, totals at the foot.

Pure rendering: it takes the :class:`workflow.usecases.Status` a use case returned
and builds a rich ``Table``; the ``status`` command decides what to show.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import Any

from rich import box
from rich.cells import cell_len
from rich.table import Table
from rich.text import Text

from workflow.i18n import N_, _

DONE, HERE, TODO = "✓", "●", "·"
#: Traffic-light words as shown on the board (the reminders feature sets ``StatusRow.light``).
LIGHTS = {"green": N_("green"), "yellow": N_("yellow"), "red": N_("red")}
LIGHT_STYLE = {"green": "green", "yellow": "yellow", "red": "bold red"}


def light_of(row: Any) -> str | None:
    """The row's traffic light, where the running manyi computes one."""
    value = getattr(row, "light", None)
    return str(value) if value else None


def marks(states: Sequence[str], current: str) -> list[str]:
    """✓ for phases passed, ● for the current one, · for those ahead (final state: all ✓)."""
    here = states.index(current)
    return [DONE if i < here else HERE if i == here else TODO for i in range(len(states) - 1)]


def board(status: Any, rows: Sequence[Any] | None = None) -> Table:
    """The board of ``status`` (a ``workflow.usecases.Status``), for ``rows`` (default: all).

    Args:
        status: the campaign's status, with its ordered ``states`` (key, title).
        rows: the rows to show, e.g. after filtering; totals count these rows.
    """
    rows = list(status.rows if rows is None else rows)
    states = [key for key, _title in status.states]
    titles = dict(status.states)
    phases, final = states[:-1], states[-1]
    with_light = any(light_of(r) for r in rows) or any(hasattr(r, "light") for r in rows)
    counts = Counter(r.state for r in rows)

    table = Table(box=box.SIMPLE_HEAD, show_footer=True, show_edge=False)
    widest = max([cell_len(r.office) for r in rows] + [cell_len(_("Office"))])
    table.add_column(_("Office"), footer=_("Total {n}").format(n=len(rows)), no_wrap=True,
                     min_width=widest)
    for i, key in enumerate(phases, start=1):
        table.add_column(str(i), footer=str(counts.get(key, 0)), justify="center", no_wrap=True)
    if with_light:
        table.add_column(_("Light"), justify="center", no_wrap=True)
    table.add_column(_("Blocked by"),
                     footer=_("{title} {n}").format(title=titles[final], n=counts.get(final, 0)),
                     ratio=1, min_width=8, overflow="fold")
    # Open rectification items: a column once any office has one (the JSON always has them).
    with_items = any(getattr(r, "open_items", 0) for r in rows)
    if with_items:
        table.add_column(_("Open items"), footer=str(sum(r.open_items for r in rows)),
                         justify="right", no_wrap=True)
    table.add_column(_("Next due"), no_wrap=True, min_width=10)
    for r in rows:
        cells: list[Any] = [r.office, *marks(states, r.state)]
        if with_light:
            light = light_of(r)
            cells.append(Text(_(LIGHTS[light]) if light in LIGHTS else (light or "—"),
                              style=LIGHT_STYLE.get(light or "", "")))
        if r.state == final:
            cells.append(titles[final])
        else:
            cells.append("\n".join(r.blocker_titles) or "—")
        if with_items:
            cells.append(str(r.open_items))
        cells.append(r.next_due.isoformat() if r.next_due else "—")
        table.add_row(*cells)
    return table


def legend(status: Any) -> str:
    """The lines under the board: what the numbered columns and the marks mean."""
    phases = "   ".join(f"{i} {title}" for i, (_k, title) in enumerate(status.states[:-1], start=1))
    marks_line = _("{done} done   {here} current phase   {todo} ahead").format(
        done=DONE, here=HERE, todo=TODO)
    return f"{phases}\n{marks_line}"
