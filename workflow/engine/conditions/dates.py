"""``not-before``: a phase cannot be left before a date.

The date is the phase window's last day (the default), an ``offset`` from
the window's first day, or a fixed ``date`` (``YYYY-MM-DD`` or a
``$parameter``). A forced advance, with its reason, still passes it.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from pydantic import field_validator

from workflow.engine.conditions.base import Condition, SectionFacts, register
from workflow.errors import Unmet
from workflow.i18n import _

if TYPE_CHECKING:
    from workflow.engine.definition import Definition


def _value(text: str, params: Any) -> str:
    if params and text.startswith("$") and text[1:] in params:
        return str(params[text[1:]])
    return text


@register("not-before")
class NotBefore(Condition):
    """Holds from ``day(phase)`` on, in the campaign's time zone."""

    offset: str | None = None
    date: str | None = None

    @field_validator("offset")
    @classmethod
    def _offset(cls, value: str | None) -> str | None:
        from workflow.engine.values import check_duration_or_param

        return None if value is None else check_duration_or_param(value)

    @field_validator("date", mode="before")
    @classmethod
    def _date(cls, value: object) -> str | None:
        from workflow.engine.values import check_date_or_param

        return None if value is None else check_date_or_param(value)

    def referenced_parameters(self) -> tuple[tuple[str, str], ...]:
        return tuple((f, v) for f, v in (("offset", self.offset), ("date", self.date)) if v is not None)

    def validate_in(self, definition: Definition, phase: str) -> tuple[str, str] | None:
        if self.offset is not None and self.date is not None:
            return "date", _("give either offset or date, not both")
        return None

    def day(self, phase: str, facts: SectionFacts) -> dt.date | None:
        from workflow.engine.values import parse_date_value, parse_duration_value

        window = facts.windows.get(phase)
        if self.date is not None:
            return parse_date_value(self.date, facts.params)
        if window is None:
            return None
        if self.offset is not None:
            return parse_duration_value(self.offset, facts.params).after(window[0])
        return window[1]

    def check(self, definition: Definition, phase: str, facts: SectionFacts) -> Unmet | None:
        day = self.day(phase, facts)
        if day is None or facts.today is None or facts.today >= day:
            return None
        return Unmet("not-before", self.describe(definition, phase, facts.params), day.isoformat())

    def describe(self, definition: Definition, phase: str, params: Any = None) -> str:
        """With the campaign's ``params``, a ``$parameter`` shows its value."""
        if self.date is not None:
            return _("not before {day}").format(day=_value(self.date, params))
        if self.offset is not None:
            return _("not before {offset} after the phase starts").format(offset=_value(self.offset, params))
        return _("not before the phase window's last day")
