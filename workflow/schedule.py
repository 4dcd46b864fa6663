"""Phase windows and due dates of a campaign, resolved from its start date.

Pure: dates in, dates out. Durations are ISO 8601 (``P1M``, ``P2W``, ``P10D``)
or ``$parameter`` references resolved against the campaign's parameters.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from workflow.definition import DURATION_RE, PARAM_RE, Definition


@dataclass(frozen=True)
class Duration:
    years: int = 0
    months: int = 0
    days: int = 0

    def after(self, start: date) -> date:
        month_index = start.month - 1 + self.months + 12 * self.years
        year = start.year + month_index // 12
        month = month_index % 12 + 1
        day = min(start.day, calendar.monthrange(year, month)[1])
        return date(year, month, day) + timedelta(days=self.days)


def parse_duration(value: str, params: dict[str, Any]) -> Duration:
    if m := PARAM_RE.match(value):
        value = str(params[m.group(1)])
    m = DURATION_RE.match(value)
    if not m:
        raise ValueError(value)
    y, mo, w, d = (int(g) if g else 0 for g in m.groups())
    return Duration(years=y, months=mo, days=7 * w + d)


@dataclass(frozen=True)
class PhaseWindow:
    phase: str
    start: date
    end: date  # last day inside the window


@dataclass(frozen=True)
class Plan:
    """The resolved calendar of one campaign."""

    windows: dict[str, PhaseWindow]
    due: dict[str, date]  # requirement key -> due date

    @property
    def end(self) -> date:
        return max(w.end for w in self.windows.values())


def resolve(definition: Definition, start: date, params: dict[str, Any]) -> Plan:
    """Lay the phases end to end from ``start`` and place each requirement's due date.

    A phase without an explicit offset starts the day after the previous one ends;
    a requirement without ``due`` is due on its phase's last day.
    """
    windows: dict[str, PhaseWindow] = {}
    due: dict[str, date] = {}
    cursor = start
    for phase in definition.spec.phases:
        if phase.window.offset is not None:
            cursor = parse_duration(phase.window.offset, params).after(start)
        end = parse_duration(phase.window.length, params).after(cursor) - timedelta(days=1)
        end = max(end, cursor)
        windows[phase.key] = PhaseWindow(phase.key, cursor, end)
        for req in phase.requirements:
            if req.due is None:
                due[req.key] = end
            else:
                due[req.key] = min(parse_duration(req.due, params).after(cursor), end)
        cursor = end + timedelta(days=1)
    return Plan(windows, due)
