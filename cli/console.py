"""The one rich Console every command renders through, plus small helpers."""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import click

if TYPE_CHECKING:
    from rich.console import Console

    from cli.tables import Cell, Col


class _LazyConsole:
    """The shared Console, created (and rich imported) on first use.

    ``rich.console`` and ``rich.table`` are most of what ``manyi --help`` would
    otherwise import; a command that prints nothing rich never pays for them.
    """

    _real: Console | None = None

    def _get(self) -> Console:
        if self._real is None:
            # file=None: rich writes to whatever sys.stdout is at print time (CliRunner-friendly).
            # emoji=False: a name like "督查:cat:组" is text, not an emoji code.
            type(self)._real = _inert_console_class()(highlight=False, soft_wrap=False, emoji=False)
        return self._real  # type: ignore[return-value]  # set just above

    def __getattr__(self, name: str) -> Any:
        return getattr(self._get(), name)

    @classmethod
    def reset(cls) -> None:
        """Forget the Console: the next use measures the terminal (and ``COLUMNS``) afresh.

        rich fixes a Console's width when it is created; one invocation is one
        command, so each invocation (several in one process under a test runner
        or a script calling ``cli.main``) gets its own.
        """
        cls._real = None


def _inert_console_class() -> type[Console]:
    """A Console whose text segments are made inert just before they are written.

    The second line of defence behind the checks at the door: a name that got
    into the database some other way (an old version, a direct SQL edit) still
    cannot clear the screen, retitle the window or reverse a line. rich's own
    control segments (cursor moves of the progress spinner) pass untouched;
    styles are rendered from ``Style`` objects, never from the text.
    """
    from rich.console import Console
    from rich.segment import Segment

    from workflow.engine.text import inert

    class InertConsole(Console):
        def _render_buffer(self, buffer: Any) -> str:
            return super()._render_buffer(
                seg if seg.control else Segment(inert(seg.text), seg.style, seg.control) for seg in buffer
            )

    return InertConsole


console: Console = _LazyConsole()  # type: ignore[assignment]  # a lazy stand-in with the same attributes


def reset() -> None:
    """A new Console for the next invocation (see :meth:`_LazyConsole.reset`)."""
    _LazyConsole.reset()


def rich_console() -> Console:
    """The real Console behind ``console``, for rich APIs that need the object itself."""
    return console._get()  # type: ignore[attr-defined]  # the lazy stand-in behind the Console type


def print_json(value: Any) -> None:
    """Stable, UTF-8 JSON on stdout (no colour, no rich markup).

    A list is printed one compact element per line: json's C encoder does not
    indent, and its pure-Python fallback took 3 of the 4 seconds of
    ``status --json`` at 100,000 sections. Anything else is indented.
    """
    if isinstance(value, list):
        dumps = json.JSONEncoder(ensure_ascii=False, default=str).encode
        body = ",\n".join("  " + dumps(item) for item in value)
        click.echo(_json_inert("[\n" + body + "\n]" if value else "[]"))
        return
    click.echo(_json_inert(json.dumps(value, ensure_ascii=False, indent=2, default=str)))


def _json_inert(text: str) -> str:
    """JSON whose strings hold no raw C1, bidi or zero-width character: they become ``\\uXXXX``.

    json already escapes C0 controls; the escapes decode to the same strings.
    """
    from workflow.engine.text import first_bad

    if first_bad(text.replace("\n", "")) is None:
        return text
    import unicodedata

    from workflow.engine.text import BAD_CATEGORIES

    return "".join(
        f"\\u{ord(c):04x}"
        if c != "\n" and unicodedata.category(c) in BAD_CATEGORIES and ord(c) < 0x10000
        else c
        for c in text
    )


def print_json_lines(lines: list[str]) -> None:
    """A JSON list whose elements are already encoded, laid out as :func:`print_json` does."""
    click.echo(_json_inert("[\n  " + ",\n  ".join(lines) + "\n]" if lines else "[]"))


@contextmanager
def one_write() -> Iterator[None]:
    """Everything the block prints through the console leaves in one write at its end.

    rich's own buffer: each ``print`` inside renders into it and the text is
    written (and flushed) once, instead of one write and flush per line.
    """
    global _buffered
    _buffered += 1
    try:
        with rich_console():
            yield
    finally:
        _buffered -= 1


#: Depth of :func:`one_write` blocks: inside one, every line goes through rich's buffer (in order).
_buffered = 0


def say_lines(lines: Sequence[str]) -> None:
    """Several messages, exactly as :func:`say` on each would show them, in one print and one write."""
    if lines:
        say("\n".join(lines))


def say(message: str) -> None:
    """One message. A terminal gets it folded at word breaks (the terminal itself would
    split a key or a date at the edge); a pipe or file gets whole lines, for grep."""
    if console.is_terminal:
        paragraph(message)
        return
    if not _buffered:
        # A pipe or a file: the text itself, made inert, in one write (rich would build a Text,
        # strip and wrap it: ~20 µs a line at 10,000 offices).
        from workflow.engine.text import inert

        click.echo(inert(message))
        return
    console.print(message, markup=False, soft_wrap=True)


def show(columns: Sequence[Col], rows: Sequence[Sequence[Cell]]) -> None:
    """Print a :class:`~cli.tables.Grid` on the shared console."""
    from cli.tables import Grid

    console.print(Grid(columns, rows))


def paragraph(text: str, target: Any = None) -> None:
    """Print ``text`` folded to the console's width at the same breaks as table cells
    (rich would move a Chinese sentence to the next line whole, and a terminal would split a key)."""
    from cli.folding import fold

    out = console if target is None else target
    width = out.width
    out.print(
        "\n".join(fold(text, width)),
        markup=False,
        highlight=False,
        no_wrap=True,
        overflow="ignore",
        crop=False,
    )
