"""The status board: one row per office, a column per phase, totals at the foot.

Pure rendering: it takes the :class:`workflow.usecases.board.Status` a use case returned
and builds a :class:`cli.tables.Grid` (a rich renderable); the ``status`` command decides what to
show. Office names, requirement titles and dates are identifiers: never cut (see cli/tables.py).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import Any

from cli.tables import PHRASE, Col, Grid
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


def board(status: Any, rows: Sequence[Any] | None = None) -> Grid:
    """The board of ``status`` (a ``workflow.usecases.board.Status``), for ``rows`` (default: all).

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
    # Open rectification items: a column once any office has one (the JSON always has them).
    with_items = any(getattr(r, "open_items", 0) for r in rows)

    noun = status.campaign.participant  # the definition's word: 科室, 部门, 单位 ...
    head = noun[:1].upper() + noun[1:] if noun else _("Office")
    columns = [Col(head, footer=_("Total {n}").format(n=len(rows)), title=True)]
    columns += [
        Col(str(i), justify="center", footer=str(counts.get(key, 0)), group=_("Phase"))
        for i, key in enumerate(phases, start=1)
    ]
    if with_light:
        columns.append(Col(_("Light"), justify="center"))
    done = _("{title} {n}").format(title=titles[final], n=counts.get(final, 0))
    columns.append(Col(_("Blocked by"), PHRASE, footer=done, min_width=8))
    if with_items:  # the first to give way: the total stays in the footer of the wide layout
        total = str(sum(r.open_items for r in rows))
        columns.append(Col(_("Open items"), justify="right", footer=total, drop=1))
    columns.append(Col(_("Next due"), min_width=10))

    marks_of = {key: [(m, "") for m in marks(states, key)] for key in states}
    light_cells = {key: (_(word), LIGHT_STYLE[key]) for key, word in LIGHTS.items()}
    cells: list[list[tuple[str, str]]] = []
    for r in rows:
        row = [(r.office, ""), *marks_of[r.state]]
        if with_light:
            light = light_of(r)
            row.append(light_cells.get(light or "") or (light or "—", ""))
        n_owed = len(getattr(r, "owed_titles", ()))
        owed = [_("{n} owed").format(n=n_owed)] if n_owed else []
        if r.state == final:
            row.append(("\n".join([titles[final], *owed]), ""))
        else:
            row.append(("\n".join([*r.blocker_titles, *owed]) or "—", ""))
        if with_items:
            row.append((str(r.open_items), ""))
        row.append((r.next_due.isoformat() + ("*" if _earlier(r) else "") if r.next_due else "—", ""))
        cells.append(row)
    return Grid(columns, cells)


def _earlier(row: Any) -> bool:
    """Whether the row's next due date belongs to a requirement it no longer waits on to move:
    one of an earlier phase, left unfiled when the office was forced on (still owed, still chased)."""
    req = getattr(row, "next_due_requirement", None)
    return bool(req) and req not in row.blockers


def legend(status: Any, rows: Sequence[Any] | None = None) -> str:
    """The lines under the board: what the numbered columns and the marks mean."""
    phases = "   ".join(f"{i} {title}" for i, (_k, title) in enumerate(status.states[:-1], start=1))
    marks_line = _("{done} done   {here} current phase   {todo} ahead").format(
        done=DONE, here=HERE, todo=TODO
    )
    lines = [phases, marks_line]
    if any(_earlier(r) for r in (status.rows if rows is None else rows)):
        lines.append(
            _(
                "* due date of an earlier phase's document still not filed "
                "(the office was moved on without it); see history"
            )
        )
    if any(getattr(r, "owed", ()) for r in (status.rows if rows is None else rows)):
        lines.append(
            _(
                "owed: documents of earlier phases the office was moved on without, still due "
                "and reminded (their titles: status --json, report)"
            )
        )
    return "\n".join(lines)
