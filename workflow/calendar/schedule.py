"""Phase windows and due dates of a campaign, resolved from its start date.

Pure: dates in, dates out. Durations are ISO 8601 (``P1M``, ``P2W``, ``P10D``)
or ``$parameter`` references resolved against the campaign's parameters.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from workflow.engine.definition import Definition
from workflow.engine.values import Duration, parse_duration_value

__all__ = ["Duration", "Plan", "PhaseWindow", "parse_duration", "resolve"]


def parse_duration(value: str, params: dict[str, Any]) -> Duration:
    """A duration or ``$parameter``, strictly (see :mod:`workflow.engine.values`)."""
    return parse_duration_value(value, params)


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

    def phase_on(self, day: date) -> str:
        """The phase whose window holds ``day`` (before the first: the first; after: the last)."""
        ordered = list(self.windows.values())
        for w in ordered:
            if day <= w.end:
                return w.phase
        return ordered[-1].phase


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
