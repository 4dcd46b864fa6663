"""A report cell as text, and how wide text is on screen or paper (shared by every exporter)."""

from __future__ import annotations

import unicodedata

from workflow.usecases.report_model import Cell


def cell_text(value: Cell) -> str:
    """A cell as text: scores with two decimals, dates as YYYY-MM-DD, times to the minute."""
    from datetime import date, datetime

    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.2f}"
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def display_width(text: str) -> int:
    """Columns ``text`` takes on screen or paper: a Han character (or any wide one) counts two."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)
