"""The status board: one row per office, a column per phase, totals at the foot.

Pure rendering: it takes the :class:`workflow.usecases.Status` a use case returned
and builds a :class:`Board` (a rich renderable); the ``status`` command decides what to show.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from rich.cells import cell_len

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


@dataclass(frozen=True)
class Column:
    header: str
    footer: str = ""
    justify: str = "left"  # left | center | right
    wrap: bool = False  # the one column that may fold to fit the console
    min_width: int = 0
    crop: int = 0  # may be cut to this width with an ellipsis when folding is not enough


@dataclass
class Board:
    """The board as a rich renderable, laid out like ``Table(box=SIMPLE_HEAD, show_edge=False)``.

    A rich Table measures and wraps every cell through its general layout engine
    (about 0.5 ms a row: half of ``manyi status`` on 1,000 offices). The board's
    shape is fixed: one wrapping column, the rest single-line. So widths come from
    one pass of ``cell_len`` and each line is written as segments. Where the board
    does not fit with its wrapping column at its minimum, long office names are cut
    with an ellipsis (dates and marks never are); where even that is not enough, it
    hands over to ``fallback`` (the rich Table), whose last-resort squeezing it does
    not copy.
    """

    columns: list[Column]
    rows: list[list[tuple[str, str]]]  # (text, style); text may hold newlines
    fallback: Callable[[], Any]

    def __rich_console__(self, console: Any, options: Any) -> Iterator[Any]:
        widths = self._widths(options.max_width)
        if widths is None:
            yield self.fallback()
            return
        from rich.segment import Segment
        from rich.style import Style

        bold = console.get_style("table.header")
        foot = console.get_style("table.footer")
        styles: dict[str, Style] = {}
        newline = Segment.line()
        cols = self.columns

        def lines_of(cells: list[tuple[str, str]], base: Style | None) -> Iterator[Any]:
            """One line's segments: plain runs joined into one string, styled cells apart."""
            split = [self._lines(text, col, w) for (text, _s), col, w in zip(cells, cols, widths)]
            for i in range(max(len(x) for x in split)):
                run: list[str] = []
                for j, (col, w) in enumerate(zip(cols, widths)):
                    text = split[j][i] if i < len(split[j]) else ""
                    gap = w - cell_len(text)
                    left = gap // 2 if col.justify == "center" else gap if col.justify == "right" else 0
                    run.append((" " if j else "") + " " * (left + 1))
                    style_name = cells[j][1]
                    if style_name and text:
                        style = styles.get(style_name) or styles.setdefault(
                            style_name, console.get_style(style_name))
                        yield Segment("".join(run), base)
                        yield Segment(text, style)
                        run = []
                    else:
                        run.append(text)
                    run.append(" " * (gap - left + 1))
                yield Segment("".join(run), base)
                yield newline

        yield from lines_of([(c.header, "") for c in cols], bold)
        yield Segment("\u2500" * (sum(widths) + 3 * len(widths) - 1))
        yield newline
        for row in self.rows:
            yield from lines_of(row, None)
        yield Segment(" " * (sum(widths) + 3 * len(widths) - 1))
        yield newline
        yield from lines_of([(c.footer, "") for c in cols], foot)

    def _widths(self, max_width: int) -> list[int] | None:
        """Content widths of the columns, or None when the board cannot fit ``max_width``."""
        widths = [max(cell_len(c.header), cell_len(c.footer), c.min_width) for c in self.columns]
        for row in self.rows:
            for i, (text, _style) in enumerate(row):
                for line in text.split("\n") if "\n" in text else (text,):
                    n = cell_len(line)
                    if n > widths[i]:
                        widths[i] = n
        excess = sum(widths) + 3 * len(widths) - 1 - max_width
        if excess <= 0:
            return widths
        # Give way in this order: fold the wrapping column at word breaks; crop long
        # office names; fold the wrapping column inside words, down to its minimum.
        wrap = [i for i, c in enumerate(self.columns) if c.wrap]
        steps: list[tuple[int, int]] = []
        if wrap:
            w = wrap[0]
            words = [cell_len(word) for text, _s in (row[w] for row in self.rows)
                     for word in text.replace("\n", " ").split(" ")]
            steps.append((w, max([self.columns[w].min_width, 1, *words])))
        steps += [(i, c.crop) for i, c in enumerate(self.columns) if c.crop]
        if wrap:
            steps.append((wrap[0], max(self.columns[wrap[0]].min_width, 1)))
        for i, floor in steps:
            if excess <= 0:
                break
            if widths[i] > floor:
                cut = min(excess, widths[i] - floor)
                widths[i] -= cut
                excess -= cut
        return widths if excess <= 0 else None

    @staticmethod
    def _lines(text: str, col: Column, width: int) -> list[str]:
        lines = text.split("\n")
        if all(cell_len(line) <= width for line in lines):
            return lines
        if col.crop:
            return [_crop(line, width) for line in lines]
        if not col.wrap:
            return lines
        return [piece for line in lines for piece in _wrap(line, width)]


def _crop(line: str, width: int) -> str:
    """``line`` cut to ``width`` terminal cells, the last one an ellipsis."""
    if cell_len(line) <= width:
        return line
    out = ""
    for ch in line:
        if cell_len(out + ch) > width - 1:
            break
        out += ch
    return out + "…"


def _wrap(line: str, width: int) -> list[str]:
    """Greedy word wrap by terminal cells; a word wider than ``width`` is folded (as rich does)."""
    out: list[str] = []
    current = ""
    for word in line.split(" "):
        candidate = f"{current} {word}" if current else word
        if cell_len(candidate) <= width:
            current = candidate
            continue
        if current:
            out.append(current)
        current = ""
        while cell_len(word) > width:
            cut = 0
            while cell_len(word[: cut + 1]) <= width:
                cut += 1
            out.append(word[:cut])
            word = word[cut:]
        current = word
    if current or not out:
        out.append(current)
    return out


def board(status: Any, rows: Sequence[Any] | None = None) -> Board:
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
    # Open rectification items: a column once any office has one (the JSON always has them).
    with_items = any(getattr(r, "open_items", 0) for r in rows)

    columns = [Column(_("Office"), _("Total {n}").format(n=len(rows)), crop=10)]
    columns += [Column(str(i), str(counts.get(key, 0)), "center") for i, key in enumerate(phases, start=1)]
    if with_light:
        columns.append(Column(_("Light"), justify="center"))
    columns.append(Column(_("Blocked by"), _("{title} {n}").format(title=titles[final], n=counts.get(final, 0)),
                          wrap=True, min_width=8))
    if with_items:
        columns.append(Column(_("Open items"), str(sum(r.open_items for r in rows)), "right"))
    columns.append(Column(_("Next due"), min_width=10))

    marks_of = {key: [(m, "") for m in marks(states, key)] for key in states}
    light_cells = {key: (_(word), LIGHT_STYLE[key]) for key, word in LIGHTS.items()}
    final_cell = (titles[final], "")
    cells: list[list[tuple[str, str]]] = []
    for r in rows:
        row = [(r.office, ""), *marks_of[r.state]]
        if with_light:
            light = light_of(r)
            row.append(light_cells.get(light or "") or (light or "—", ""))
        row.append(final_cell if r.state == final else ("\n".join(r.blocker_titles) or "—", ""))
        if with_items:
            row.append((str(r.open_items), ""))
        row.append((r.next_due.isoformat() + ("*" if _earlier(r) else "") if r.next_due else "—", ""))
        cells.append(row)
    return Board(columns, cells, lambda: _rich_table(columns, cells))


def _rich_table(columns: list[Column], cells: list[list[tuple[str, str]]]) -> Any:
    """The board as a rich Table, for consoles too narrow for :class:`Board`'s layout."""
    from rich import box
    from rich.table import Table
    from rich.text import Text

    table = Table(box=box.SIMPLE_HEAD, show_footer=True, show_edge=False)
    for c in columns:
        table.add_column(c.header, footer=c.footer, justify=c.justify, no_wrap=not c.wrap,  # type: ignore[arg-type]
                         min_width=c.min_width or None, ratio=1 if c.wrap else None,
                         overflow="fold" if c.wrap else "ellipsis")
    for row in cells:
        table.add_row(*(Text(text, style=style) if style else text for text, style in row))
    return table


def _earlier(row: Any) -> bool:
    """Whether the row's next due date belongs to a requirement it no longer waits on to move:
    one of an earlier phase, left unfiled when the office was forced on (still owed, still chased)."""
    req = getattr(row, "next_due_requirement", None)
    return bool(req) and req not in row.blockers


def legend(status: Any, rows: Sequence[Any] | None = None) -> str:
    """The lines under the board: what the numbered columns and the marks mean."""
    phases = "   ".join(f"{i} {title}" for i, (_k, title) in enumerate(status.states[:-1], start=1))
    marks_line = _("{done} done   {here} current phase   {todo} ahead").format(
        done=DONE, here=HERE, todo=TODO)
    lines = [phases, marks_line]
    if any(_earlier(r) for r in (status.rows if rows is None else rows)):
        lines.append(_("* due date of an earlier phase's document still not filed "
                       "(the office was moved on without it); see history"))
    return "\n".join(lines)
