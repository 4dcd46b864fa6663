"""The one rich Console every command renders through, plus small helpers."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import click

if TYPE_CHECKING:
    from rich.console import Console


class _LazyConsole:
    """The shared Console, created (and rich imported) on first use.

    ``rich.console`` and ``rich.table`` are most of what ``manyi --help`` would
    otherwise import; a command that prints nothing rich never pays for them.
    """

    _real: Console | None = None

    def _get(self) -> Console:
        if self._real is None:
            from rich.console import Console

            # file=None: rich writes to whatever sys.stdout is at print time (CliRunner-friendly).
            type(self)._real = Console(highlight=False, soft_wrap=False)
        return self._real  # type: ignore[return-value]

    def __getattr__(self, name: str) -> Any:
        return getattr(self._get(), name)


console: Console = _LazyConsole()  # type: ignore[assignment]


def rich_console() -> Console:
    """The real Console behind ``console``, for rich APIs that need the object itself."""
    return console._get()  # type: ignore[attr-defined]


def print_json(value: Any) -> None:
    """Stable, UTF-8 JSON on stdout (no colour, no rich markup).

    A list is printed one compact element per line: json's C encoder does not
    indent, and its pure-Python fallback took 3 of the 4 seconds of
    ``status --json`` at 100,000 sections. Anything else is indented.
    """
    if isinstance(value, list):
        dumps = json.JSONEncoder(ensure_ascii=False, default=str).encode
        body = ",\n".join("  " + dumps(item) for item in value)
        click.echo("[\n" + body + "\n]" if value else "[]")
        return
    click.echo(json.dumps(value, ensure_ascii=False, indent=2, default=str))


def print_json_lines(lines: list[str]) -> None:
    """A JSON list whose elements are already encoded, laid out as :func:`print_json` does."""
    click.echo("[\n  " + ",\n  ".join(lines) + "\n]" if lines else "[]")


def say(message: str) -> None:
    """One message. A terminal gets it folded at word breaks (the terminal itself would
    split a key or a date at the edge); a pipe or file gets whole lines, for grep."""
    if console.is_terminal:
        from cli.tables import paragraph

        paragraph(message)
        return
    console.print(message, markup=False, soft_wrap=True)
