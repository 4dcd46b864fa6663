"""A rich progress indicator for operations that may take more than a second.

Shown only when the shared console is a terminal: pipes, files, CliRunner and
``--json`` output stay clean.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from cli.console import console, rich_console


@contextmanager
def working(description: str) -> Iterator[Callable[[str], None]]:
    """Show ``description`` with a pulsing bar while the block runs (terminals only).

    Yields a function that replaces the description (e.g. with how far the work has got).
    """
    if not console.is_terminal:
        yield lambda _text: None
        return
    # Imported here: rich.progress is not worth loading for pipes, files and --help.
    from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    with Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        TimeElapsedColumn(),
        console=rich_console(),
        transient=True,
    ) as progress:
        task = progress.add_task(description, total=None)
        yield lambda text: progress.update(task, description=text)
