"""One table layout for every command: what identifies a row stays whole.

Each column says what it may do when the console is narrow:

- ``KEEP``: an identifier (office, requirement title, date, key, number). Never cut,
  never folded; only its own newlines start a new line.
- ``WRAP``: secondary text. Folds at spaces and between Chinese characters, never
  inside a Latin word, key or date (so ``implementation-opinion`` is never split).
- ``PHRASE``: titles (requirement titles, phase names), one a line: folded only at spaces,
  so an English title may take two lines but no word, and no Chinese title, is split.
- ``TEXT``: identifying long text (a rectification item). Whole on one line, or, when it
  is the last column shown, folded there: its continuation lines then hold nothing
  else, so the text still reads in one piece.

Where the table does not fit, it gives way in this order: headers fold and
``WRAP``/``TEXT`` columns narrow (down to their longest unbreakable word); the
spacing between columns tightens; columns with a ``drop`` priority are left out
(highest first, and a line under the table names them); when even that is not
enough, each row becomes a block of ``label  value`` lines (the stacked layout
``gh`` and ``kubectl describe`` use).

The renderer writes segments directly (one pass of ``cell_len``): a rich ``Table``
measured and wrapped every cell, about 0.5 ms a row, half of ``manyi status`` on
1,000 offices.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from rich.cells import cell_len

from cli.folding import fold, longest_word
from workflow.i18n import _

KEEP, WRAP, TEXT, PHRASE = "keep", "wrap", "text", "phrase"


@dataclass(frozen=True)
class Col:
    """One column and what it may do when space is short.

    Args:
        header: the heading (translated).
        kind: ``KEEP``, ``WRAP`` or ``TEXT`` (see the module docstring).
        justify: ``left``, ``center`` or ``right``.
        footer: the text under the column (totals), if the table has a footer.
        drop: 0 to always show; otherwise the column may be left out at narrow widths,
            the highest number first.
        group: columns sharing a group label (the board's phase marks) sit tight when the
            table is compact and share one line, under that label, when stacked.
        title: part of a row's heading in the stacked layout.
        min_width: the least width the column is given.
        least: for ``WRAP``/``PHRASE``/``TEXT``: the narrowest it is worth folding to before
            columns are left out or the table is stacked (default 10 cells, 16 for ``TEXT``,
            20 for ``PHRASE`` and for a column that may be dropped).
    """

    header: str
    kind: str = KEEP
    justify: str = "left"
    footer: str = ""
    drop: int = 0
    group: str = ""
    title: bool = False
    min_width: int = 0
    least: int = 0


Cell = str | tuple[str, str]  # text, or (text, style name)


def _cell(value: Cell) -> tuple[str, str]:
    return (value, "") if isinstance(value, str) else value


def _header_floor(header: str) -> int:
    """A folded header keeps whole words and at least two Chinese characters a line."""
    return max(longest_word(header), min(cell_len(header), 4))


@dataclass
class _Plan:
    cols: list[int]  # indexes of the columns shown
    widths: list[int]
    gaps: list[int]  # before each shown column (the first: the left margin)
    trail: int
    fold_headers: bool


class Grid:
    """A table laid out by the rules above; a rich renderable.

    Args:
        columns: the columns, left to right.
        rows: one list of cells per row; a cell is text or (text, style name); text may hold newlines.
    """

    def __init__(self, columns: Sequence[Col], rows: Sequence[Sequence[Cell]]):
        self.columns = list(columns)
        self.rows = [[_cell(c) for c in row] for row in rows]
        self.dropped: list[str] = []

    # -- layout --------------------------------------------------------------
    def _natural(self) -> list[int]:
        widths = [max(cell_len(c.header), cell_len(c.footer), c.min_width) for c in self.columns]
        for row in self.rows:
            for i, (text, _style) in enumerate(row):
                if "\n" in text:
                    n = max(cell_len(line) for line in text.split("\n"))
                else:
                    n = cell_len(text)
                if n > widths[i]:
                    widths[i] = n
        return widths

    def _floor(self, i: int, last: bool, content: list[int]) -> int:
        """The least width column ``i`` can take (``content``: its cells' natural width)."""
        c = self.columns[i]
        head = _header_floor(c.header)
        if c.kind == PHRASE:
            words = max([longest_word(row[i][0], cjk=False) for row in self.rows], default=0)
            # Titles fold to two lines before a column is left out, not to a word a line.
            return max(min(max(words, c.least or 20), content[i]), head, cell_len(c.footer), c.min_width)
        if c.kind == WRAP or (c.kind == TEXT and last):
            # Folded text narrower than five Chinese characters (eight for long text) reads as a
            # column of single characters; the layout leaves columns out or stacks before that.
            words = max([longest_word(text) for text in (row[i][0] for row in self.rows)], default=0)
            # A column that may be left out goes before it is squeezed under ten Chinese characters.
            least = max(words, c.least or (16 if c.kind == TEXT else 20 if c.drop else 10))
            return max(min(least, content[i]), head, cell_len(c.footer), c.min_width)
        return max(content[i], head, cell_len(c.footer), c.min_width)

    def _gaps(self, shown: list[int], compact: bool) -> tuple[list[int], int]:
        if not compact:
            return [1] + [3] * (len(shown) - 1), 1
        gaps = [1]
        for a, b in zip(shown, shown[1:], strict=False):
            ga, gb = self.columns[a].group, self.columns[b].group
            gaps.append(1 if ga and ga == gb else 2)
        return gaps, 0

    def plan(self, max_width: int) -> _Plan | None:
        """Widths for ``max_width``, or None: only the stacked layout fits."""
        natural = self._natural()
        every = list(range(len(self.columns)))
        gaps, trail = self._gaps(every, False)
        if sum(natural) + sum(gaps) + trail <= max_width:
            return _Plan(every, natural, gaps, trail, False)
        content = [
            max(
                [cell_len(line) for row in self.rows for line in row[i][0].split("\n")]
                + [cell_len(self.columns[i].footer), self.columns[i].min_width]
            )
            for i in every
        ]
        # Columns with nothing in them go first, without a note; then those with a drop priority.
        empty = [i for i in every if not content[i]]
        droppable = empty + sorted(
            (i for i in every if self.columns[i].drop and i not in empty),
            key=lambda i: (-self.columns[i].drop, -i),
        )
        for n_drop in range(len(empty), len(droppable) + 1):
            gone = set(droppable[:n_drop])
            shown = [i for i in every if i not in gone]
            if not shown:
                break
            gaps, trail = self._gaps(shown, True)
            floors = [self._floor(i, i == shown[-1], content) for i in shown]
            room = max_width - sum(gaps) - trail
            if sum(floors) > room:
                continue
            widths = [natural[i] for i in shown]
            self._shrink(shown, widths, floors, sum(widths) - room)
            self.dropped = [self.columns[i].header for i in every if i in gone and i not in empty]
            return _Plan(shown, widths, gaps, trail, True)
        return None

    def _shrink(self, shown: list[int], widths: list[int], floors: list[int], excess: int) -> None:
        """Narrow columns to remove ``excess`` cells: secondary text first, then long text, then headers."""

        def rank(j: int) -> int:
            kind = self.columns[shown[j]].kind
            return 0 if kind in (WRAP, PHRASE) else 1 if kind == TEXT else 2

        for stage in (0, 1, 2):
            while excess > 0:
                able = [j for j in range(len(shown)) if rank(j) == stage and widths[j] > floors[j]]
                if not able:
                    break
                j = max(able, key=lambda k: widths[k])
                widths[j] -= 1
                excess -= 1

    # -- rendering -------------------------------------------------------------
    def __rich_console__(self, console: Any, options: Any) -> Iterator[Any]:
        width = options.max_width
        plan = self.plan(width)
        if plan is None:
            yield from self._stacked(console, width)
            return
        yield from self._table(console, plan)
        if self.dropped:
            from rich.segment import Segment

            note = _("(not shown at this width: {columns}; widen the window or use --json)").format(
                columns=_(", ").join(self.dropped)
            )
            for line in fold(note, width):
                yield Segment(line, console.get_style("dim"))
                yield Segment.line()

    def _table(self, console: Any, plan: _Plan) -> Iterator[Any]:
        from rich.segment import Segment
        from rich.style import Style

        bold = console.get_style("table.header")
        foot = console.get_style("table.footer")
        styles: dict[str, Style] = {}
        newline = Segment.line()
        cols = [self.columns[i] for i in plan.cols]
        widths, gaps = plan.widths, plan.gaps
        last = len(cols) - 1

        def split(text: str, j: int, header: bool) -> list[str]:
            col, w = cols[j], widths[j]
            if "\n" not in text and cell_len(text) <= w:
                return [text]
            if header or col.kind == WRAP or (col.kind == TEXT and j == last):
                return fold(text, w)
            if col.kind == PHRASE:
                return fold(text, w, cjk=False)
            return text.split("\n")

        def lines_of(cells: list[tuple[str, str]], base: Style | None, header: bool = False) -> Iterator[Any]:
            split_cells = [split(text, j, header) for j, (text, _s) in enumerate(cells)]
            for k in range(max(len(x) for x in split_cells)):
                run: list[str] = []
                for j, (col, w) in enumerate(zip(cols, widths, strict=True)):
                    text = split_cells[j][k] if k < len(split_cells[j]) else ""
                    room = w - cell_len(text)
                    left = room // 2 if col.justify == "center" else room if col.justify == "right" else 0
                    run.append(" " * (gaps[j] + left))
                    style_name = cells[j][1]
                    if style_name and text:
                        style = styles.get(style_name) or styles.setdefault(
                            style_name, console.get_style(style_name)
                        )
                        yield Segment("".join(run), base)
                        yield Segment(text, style)
                        run = []
                    else:
                        run.append(text)
                    run.append(" " * (room - left))
                run.append(" " * plan.trail)
                yield Segment("".join(run), base)
                yield newline

        yield from lines_of([(c.header, "") for c in cols], bold, header=True)
        yield Segment("\u2500" * (sum(widths) + sum(gaps) + plan.trail))
        yield newline
        for row in self.rows:
            yield from lines_of([row[i] for i in plan.cols], None)
        if any(c.footer for c in cols):
            yield Segment(" " * (sum(widths) + sum(gaps) + plan.trail))
            yield newline
            yield from lines_of([(c.footer, "") for c in cols], foot, header=True)

    def _stacked(self, console: Any, width: int) -> Iterator[Any]:
        """One block per row: its title, then ``label  value`` lines."""
        from rich.segment import Segment

        newline = Segment.line()
        bold = console.get_style("bold")
        titles = [i for i, c in enumerate(self.columns) if c.title] or [0]
        fields: list[tuple[str, list[int]]] = []  # label, columns
        for i, c in enumerate(self.columns):
            if i in titles:
                continue
            if c.group and fields and fields[-1][0] == c.group:
                fields[-1][1].append(i)
            else:
                fields.append((c.group or c.header.replace("\n", " "), [i]))
        label_w = min(max((cell_len(label) for label, _c in fields), default=0), max(4, width // 3))
        indent = 2
        value_w = width - indent - label_w - 2
        below = value_w < 12  # too narrow beside the label: values go under it
        if below:
            value_w = max(1, width - indent - 2)

        def block(heading: str, values: list[tuple[str, list[tuple[str, str]]]]) -> Iterator[Any]:
            for line in fold(heading, width):
                yield Segment(line, bold)
                yield newline
            for label, cells in values:
                text = " ".join(t for t, _s in cells) if len(cells) > 1 else cells[0][0]
                style_name = cells[0][1] if len(cells) == 1 else ""
                style = console.get_style(style_name) if style_name else None
                lines = fold(text, value_w)
                if below:
                    yield Segment(" " * indent + label)
                    yield newline
                    pad = " " * (indent + 2)
                    for line in lines:
                        yield Segment(pad)
                        yield Segment(line, style)
                        yield newline
                    continue
                for k, line in enumerate(lines):
                    head = label if k == 0 else ""
                    if cell_len(head) > label_w:
                        yield Segment(" " * indent + head)
                        yield newline
                        head = ""
                    yield Segment(" " * indent + head + " " * (label_w - cell_len(head) + 2))
                    yield Segment(line, style)
                    yield newline

        for r, row in enumerate(self.rows):
            if r:
                yield newline
            heading = "  ".join(row[i][0].replace("\n", " ") for i in titles if row[i][0])
            values = [
                (label, [row[i] for i in cols]) for label, cols in fields if any(row[i][0] for i in cols)
            ]
            yield from block(heading, values)
        if any(c.footer for c in self.columns):
            yield newline
            heading = "  ".join(self.columns[i].footer for i in titles if self.columns[i].footer)
            # A footer is a total: under its group's label, or on its own (a column's heading
            # beside "Completed 3" would read as a second value).
            values = [
                (label if len(cols) > 1 else "", [(self.columns[i].footer, "") for i in cols])
                for label, cols in fields
                if any(self.columns[i].footer for i in cols)
            ]
            yield from block(heading, values)
