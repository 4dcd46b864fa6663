"""The one rich Console every command renders through, plus small helpers."""

from __future__ import annotations

import json
from typing import Any

import click
from rich.console import Console

# file=None: rich writes to whatever sys.stdout is at print time (CliRunner-friendly).
console = Console(highlight=False, soft_wrap=False)


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


def say(message: str) -> None:
    console.print(message, markup=False, soft_wrap=True)
