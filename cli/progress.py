"""A rich progress indicator for operations that may take more than a second.

Shown only when the shared console is a terminal: pipes, files, CliRunner and
``--json`` output stay clean.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from cli.console import console, rich_console


@contextmanager
def working(description: str) -> Iterator[None]:
    """Show ``description`` with a pulsing bar while the block runs (terminals only)."""
    if not console.is_terminal:
        yield
        return
    # Imported here: rich.progress is not worth loading for pipes, files and --help.
    from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    with Progress(SpinnerColumn(), TextColumn("{task.description}"), BarColumn(),
                  TimeElapsedColumn(), console=rich_console(), transient=True) as progress:
        progress.add_task(description, total=None)
        yield
