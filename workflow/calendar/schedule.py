"""Phase windows and due dates of a campaign, resolved from its start date.

Pure: dates in, dates out. Durations are ISO 8601 (``P1M``, ``P2W``, ``P10D``)
or ``$parameter`` references resolved against the campaign's parameters.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from workflow.engine.definition import Definition, occurrence_key
from workflow.engine.spec import RequirementSpec
from workflow.engine.values import DATE_RE, PARAM_RE, Duration, parse_date, parse_duration_value
from workflow.errors import InputError
from workflow.i18n import _

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
    due: dict[str, date]  # requirement key (and ``key@i`` of each occurrence) -> due date

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


#: The most occurrences one recurring requirement may have (a deadline row each, per office).
MAX_OCCURRENCES = 366


def _occurrence_days(
    definition: Definition, req: RequirementSpec, start: date, params: dict[str, Any]
) -> list[date]:
    """The planned days of a recurring requirement's occurrences, its phase starting ``start``:
    ``every`` period after the start (1×, 2×, … ``times``), or each of ``dates`` (a date, or an
    offset from the start; either may come from a $parameter)."""
    if req.every is not None:
        n = definition.count_of(req, params)
        if not 1 <= n <= MAX_OCCURRENCES:
            raise InputError(
                _("'{r}' would recur {n} times; a recurring requirement recurs 1 to {most} times").format(
                    r=req.key, n=n, most=MAX_OCCURRENCES
                )
            )
        step = parse_duration(req.every, params)
        return [step.times(i).after(start) for i in range(1, n + 1)]
    days = []
    for item in req.dates or ():
        value = str(params[item[1:]]) if PARAM_RE.match(item) else item  # a $param holds either
        days.append(
            parse_date(value, item) if DATE_RE.match(value) else parse_duration(value, params).after(start)
        )
    return sorted(days)


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
            if req.recurring:
                days = _occurrence_days(definition, req, cursor, params)
                for i, day in enumerate(days, 1):
                    due[occurrence_key(req.key, i)] = min(day, end)
                due[req.key] = min(days[-1], end)  # the last one: the requirement is done then
            elif req.due is None:
                due[req.key] = end
            else:
                due[req.key] = min(parse_duration(req.due, params).after(cursor), end)
        cursor = end + timedelta(days=1)
    return Plan(windows, due)
