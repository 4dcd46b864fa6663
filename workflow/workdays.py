"""The working-day calendar: weekends, public holidays and make-up working days (调休).

Pure: dates in, dates out. China's official calendar comes from the maintained
``holidays`` package, asked through ``is_working_day`` (plain ``date in
holidays.CN()`` knows nothing of make-up Saturdays). For a year whose official
notice (国务院办公厅关于部分节假日安排的通知) is not yet in that package, the
package silently estimates from the lunar calendar; such dates are reported as
estimates. A definition's own ``calendar.holidays`` and ``calendar.workdays``
win over the package, and a year the definition lists dates for counts as
confirmed.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache

import holidays


@lru_cache(maxsize=8)
def _country(code: str) -> holidays.HolidayBase:
    return holidays.country_holidays(code)


@lru_cache(maxsize=8)
def official_through(code: str) -> int:
    """The last year for which the package carries the official notice (its 调休 table)."""
    years = set(getattr(_country(code), "special_public_holidays", {}) or {})
    return max(years) if years else 0


@dataclass(frozen=True)
class WorkCalendar:
    """Working days of one campaign: a country's calendar plus the definition's own dates."""

    country: str = "CN"
    holidays: frozenset[date] = frozenset()
    workdays: frozenset[date] = frozenset()

    @classmethod
    def of(cls, country: str, extra_holidays: Iterable[date] = (),
           extra_workdays: Iterable[date] = ()) -> WorkCalendar:
        return cls(country, frozenset(extra_holidays), frozenset(extra_workdays))

    def is_working_day(self, day: date) -> bool:
        if day in self.workdays:
            return True
        if day in self.holidays:
            return False
        return bool(_country(self.country).is_working_day(day))

    def next_working_day(self, day: date) -> date:
        """``day`` itself when it is a working day, else the first working day after it."""
        for _ in range(60):
            if self.is_working_day(day):
                return day
            day += timedelta(days=1)
        return day  # pragma: no cover - no 60-day holiday exists

    def is_estimate(self, day: date) -> bool:
        """Whether ``day``'s status rests on the package's estimate, not an official notice."""
        if day.year <= official_through(self.country):
            return False
        return not any(d.year == day.year for d in self.holidays | self.workdays)

    def holiday_name(self, day: date) -> str | None:
        if day in self.holidays:
            return "holiday"
        name = _country(self.country).get(day)
        return str(name) if name else None
