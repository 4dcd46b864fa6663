"""The one rich Console every command renders through, plus small helpers."""

from __future__ import annotations

import json
from typing import Any

import click
from rich.console import Console

# file=None: rich writes to whatever sys.stdout is at print time (CliRunner-friendly).
console = Console(highlight=False, soft_wrap=False)


def print_json(value: Any) -> None:
    """Stable, UTF-8 JSON on stdout (no colour, no rich markup)."""
    click.echo(json.dumps(value, ensure_ascii=False, indent=2, default=str))


def say(message: str) -> None:
    console.print(message, markup=False, soft_wrap=True)
