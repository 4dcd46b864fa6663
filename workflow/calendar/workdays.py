"""The working-day calendar: weekends, public holidays and make-up working days (调休).

Pure: dates in, dates out. China's official calendar comes from the maintained
``holidays`` package, asked through ``is_working_day`` (plain ``date in
holidays.CN()`` knows nothing of make-up Saturdays). For a year whose official
notice (国务院办公厅关于部分节假日安排的通知) is not yet in that package, the
package silently estimates from the lunar calendar; such dates are reported as
estimates. A definition's own ``calendar.holidays`` and ``calendar.workdays``
win over the package, and a year the definition lists dates for counts as
confirmed.

Asking the package is slow to start: finding one country imports every
country's module (about 0.1 s, a quarter of ``manyi status``). So what the
package says is kept, per country and year, as the days that break the
Monday-to-Friday rule, in a cache handed in with :func:`use_cache` (the use
cases hand in :mod:`workflow.adapters.holiday_cache`, a small JSON file in the
user's cache folder). This module only asks it for a country's stored tables and
gives it new ones; a missing, unreadable or corrupt cache only costs the
package's start-up, it never changes an answer.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache
from typing import Any, Protocol


@lru_cache(maxsize=8)
def _country(code: str) -> Any:
    import holidays

    return holidays.country_holidays(code)


class TableCache(Protocol):
    """Where a country's tables are kept between processes (see workflow.adapters.holiday_cache)."""

    def load(self, code: str) -> dict[str, Any] | None: ...

    def save(self, code: str, raw: dict[str, Any]) -> None: ...


_cache: TableCache | None = None


def use_cache(cache: TableCache | None) -> None:
    """Keep the package's answers in ``cache`` from now on (None: ask the package each process)."""
    global _cache
    _cache = cache
    _tables.cache_clear()


class _YearTables:
    """One country's deviations from Monday-to-Friday, per year, backed by the cache file."""

    def __init__(self, code: str):
        self.code = code
        self.cache = _cache
        self.years: dict[int, tuple[frozenset[date], frozenset[date]]] = {}
        self.official: int | None = None
        self._raw: dict[str, Any] = {"years": {}}
        raw = self.cache.load(code) if self.cache is not None else None
        if raw is not None:
            try:
                self.official = int(raw["official_through"]) if "official_through" in raw else None
                for year, table in raw["years"].items():
                    self.years[int(year)] = (
                        frozenset(map(date.fromisoformat, table["off"])),
                        frozenset(map(date.fromisoformat, table["on"])),
                    )
                self._raw = raw
            except (ValueError, KeyError, TypeError, AttributeError):
                self.years, self.official, self._raw = {}, None, {"years": {}}

    def year(self, year: int) -> tuple[frozenset[date], frozenset[date]]:
        """(weekdays off, weekend days worked) of ``year``."""
        table = self.years.get(year)
        if table is None:
            package = _country(self.code)
            day, off, on = date(year, 1, 1), set(), set()
            while day.year == year:
                working = bool(package.is_working_day(day))
                if day.weekday() < 5 and not working:
                    off.add(day)
                elif day.weekday() >= 5 and working:
                    on.add(day)
                day += timedelta(days=1)
            table = self.years[year] = (frozenset(off), frozenset(on))
            self._raw["years"][str(year)] = {
                "off": sorted(d.isoformat() for d in off),
                "on": sorted(d.isoformat() for d in on),
            }
            self._save()
        return table

    def official_through(self) -> int:
        if self.official is None:
            years = set(getattr(_country(self.code), "special_public_holidays", {}) or {})
            self.official = max(years) if years else 0
            self._raw["official_through"] = self.official
            self._save()
        return self.official

    def _save(self) -> None:
        if self.cache is not None:
            self.cache.save(self.code, self._raw)


@lru_cache(maxsize=8)
def _tables(code: str) -> _YearTables:
    return _YearTables(code)


def official_through(code: str) -> int:
    """The last year for which the package carries the official notice (its 调休 table)."""
    return _tables(code).official_through()


@dataclass(frozen=True)
class WorkCalendar:
    """Working days of one campaign: a country's calendar plus the definition's own dates."""

    country: str = "CN"
    holidays: frozenset[date] = frozenset()
    workdays: frozenset[date] = frozenset()

    @classmethod
    def of(
        cls, country: str, extra_holidays: Iterable[date] = (), extra_workdays: Iterable[date] = ()
    ) -> WorkCalendar:
        return cls(country, frozenset(extra_holidays), frozenset(extra_workdays))

    def is_working_day(self, day: date) -> bool:
        if day in self.workdays:
            return True
        if day in self.holidays:
            return False
        off, on = _tables(self.country).year(day.year)
        if day in on:
            return True
        return day.weekday() < 5 and day not in off

    def next_working_day(self, day: date) -> date:
        """``day`` itself when it is a working day, else the first working day after it."""
        for _ in range(60):
            if self.is_working_day(day):
                return day
            day += timedelta(days=1)
        return day  # pragma: no cover - no 60-day holiday exists

    def next_if_off(self, day: date) -> date | None:
        """None when ``day`` is a working day, else the first working day after it."""
        return None if self.is_working_day(day) else self.next_working_day(day)

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
