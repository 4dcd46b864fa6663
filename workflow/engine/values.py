"""Numbers, durations and dates, parsed once and strictly, with the same rules everywhere.

``--set``, the definition file, every command-line option and ``MANYI_NOW``
go through these functions, so a value one place accepts is accepted by all
and a value one place refuses is refused by all:

- numbers are finite (no ``nan``/``inf``) and within the bounds given;
- durations are ISO 8601 ``PnYnMnWnD`` with at least one part, each part
  bounded (no campaign spans a century);
- dates are exactly ``YYYY-MM-DD``, real (2027-02-30 is "a day that does not
  exist", not a format error) and within :data:`YEAR_MIN`..:data:`YEAR_MAX`.

Every function raises :class:`~workflow.errors.InputError` with one sentence
naming ``what`` was wrong; the ``check_*`` helpers return or raise
``ValueError`` for pydantic validators.
"""

from __future__ import annotations

import calendar
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from workflow.errors import InputError
from workflow.i18n import _

YEAR_MIN = 1970
YEAR_MAX = 2199
#: Upper bound of each part of a duration (a century at most).
MAX_PARTS = {"Y": 100, "M": 1200, "W": 5300, "D": 36600}
#: Largest whole number any count or option takes (a sanity bound, not a business rule).
MAX_INT = 1_000_000_000

DURATION_RE = re.compile(r"^P(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)W)?(?:(\d+)D)?$")
PARAM_RE = re.compile(r"^\$([a-z][a-z0-9-]*)$")
DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
INT_RE = re.compile(r"^[+-]?\d+$")
NUMBER_RE = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")


@dataclass(frozen=True)
class Duration:
    years: int = 0
    months: int = 0
    days: int = 0

    def after(self, start: date) -> date:
        """``start`` plus this duration (month ends clamp: Jan 31 + P1M is Feb 28)."""
        month_index = start.month - 1 + self.months + 12 * self.years
        year = start.year + month_index // 12
        month = month_index % 12 + 1
        if not YEAR_MIN <= year <= YEAR_MAX:
            raise InputError(
                _("a date after {start} falls outside the years {lo}..{hi}").format(
                    start=start.isoformat(), lo=YEAR_MIN, hi=YEAR_MAX
                )
            )
        day = min(start.day, calendar.monthrange(year, month)[1])
        end = date(year, month, day) + timedelta(days=self.days)
        if not YEAR_MIN <= end.year <= YEAR_MAX:
            raise InputError(
                _("a date after {start} falls outside the years {lo}..{hi}").format(
                    start=start.isoformat(), lo=YEAR_MIN, hi=YEAR_MAX
                )
            )
        return end

    def times(self, n: int) -> Duration:
        """This duration ``n`` times over (P1M × 3 is P3M: month ends clamp once, not each step)."""
        return Duration(self.years * n, self.months * n, self.days * n)


# -- durations -------------------------------------------------------------------
def duration_problem(text: str) -> str | None:
    """Why ``text`` is not a duration we accept; None when it is one."""
    m = DURATION_RE.match(text)
    if not m or text == "P":
        return _("'{v}' is not a duration like P1M, P2W, P10D").format(v=text)
    for unit, part in zip("YMWD", m.groups(), strict=True):
        if part is not None and int(part) > MAX_PARTS[unit]:
            return _("'{v}' is too long (at most {n}{unit} in one part)").format(
                v=text, n=MAX_PARTS[unit], unit=unit
            )
    return None


def parse_duration(text: str, what: str) -> Duration:
    problem = duration_problem(text.strip())
    if problem:
        raise InputError(f"{what}: {problem}")
    m = DURATION_RE.match(text.strip())
    assert m is not None
    y, mo, w, d = (int(g) if g else 0 for g in m.groups())
    return Duration(years=y, months=mo, days=7 * w + d)


def check_duration_or_param(value: str) -> str:
    """For validators: a duration or ``$parameter``; ``ValueError`` otherwise."""
    if PARAM_RE.match(value):
        return value
    problem = duration_problem(value)
    if problem:
        raise ValueError(
            _("'{v}' is not a duration like P1M, P2W, P10D or a $parameter").format(v=value)
            if DURATION_RE.match(value) is None or value == "P"
            else problem
        )
    return value


def parse_duration_value(value: str, params: Mapping[str, Any]) -> Duration:
    """A definition's duration or ``$parameter`` resolved against the campaign's parameters."""
    if m := PARAM_RE.match(value):
        return parse_duration(str(params[m.group(1)]), f"${m.group(1)}")
    return parse_duration(value, value)


# -- dates -----------------------------------------------------------------------
def date_problem(text: str) -> str | None:
    if not DATE_RE.match(text):
        return _("'{v}' is not a date: expected YYYY-MM-DD").format(v=text)
    y, m, d = (int(x) for x in text.split("-"))
    try:
        day = date(y, m, d)
    except ValueError:
        return _("{v} is a day that does not exist").format(v=text)
    if not YEAR_MIN <= day.year <= YEAR_MAX:
        return _("{v} is outside the years {lo}..{hi}").format(v=text, lo=YEAR_MIN, hi=YEAR_MAX)
    return None


def parse_date(text: str, what: str) -> date:
    """Exactly ``YYYY-MM-DD``, a real day, within the sane years."""
    value = text.strip()
    problem = date_problem(value)
    if problem:
        raise InputError(f"{what}: {problem}")
    return date.fromisoformat(value)


def check_date_or_param(value: object) -> str:
    """For validators: a date (YAML may hand over a ``date``) or ``$parameter``, as text."""
    if isinstance(value, date) and not isinstance(value, datetime):
        value = value.isoformat()
    if not isinstance(value, str):
        raise ValueError(_("must be a date like 2026-10-01 or a $parameter"))
    if PARAM_RE.match(value):
        return value
    problem = date_problem(value)
    if problem:
        raise ValueError(problem)
    return value


def parse_date_value(value: str, params: Mapping[str, Any]) -> date:
    if m := PARAM_RE.match(value):
        return parse_date(str(params[m.group(1)]), f"${m.group(1)}")
    return parse_date(value, value)


def parse_instant(text: str, what: str, default_tz: str) -> datetime:
    """An ISO 8601 date or date-time (``MANYI_NOW``, ``--at``); a bare date is midnight."""
    from zoneinfo import ZoneInfo

    raw = text.strip()
    if DATE_RE.match(raw):
        day = parse_date(raw, what)
        return datetime(day.year, day.month, day.day, tzinfo=ZoneInfo(default_tz))
    if not re.match(r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}", raw):
        raise InputError(_("{what}: '{v}' is not an ISO 8601 date or time").format(what=what, v=text))
    problem = date_problem(raw[:10])
    if problem:
        raise InputError(f"{what}: {problem}")
    try:
        value = datetime.fromisoformat(raw)
    except ValueError:
        raise InputError(
            _("{what}: '{v}' is not an ISO 8601 date or time").format(what=what, v=text)
        ) from None
    if value.tzinfo is None:
        value = value.replace(tzinfo=ZoneInfo(default_tz))
    return value


# -- numbers ---------------------------------------------------------------------
def parse_number(
    text: str, what: str, *, integer: bool = False, lo: float | None = None, hi: float | None = None
) -> int | float:
    """A finite number (a whole one with ``integer``) within ``lo``..``hi``."""
    raw = text.strip()
    if integer:
        if not INT_RE.match(raw):
            raise InputError(_("{what}: '{v}' is not a whole number").format(what=what, v=text))
        value: int | float = int(raw)
    else:
        if not NUMBER_RE.match(raw):
            raise InputError(_("{what}: '{v}' is not a number").format(what=what, v=text))
        value = float(raw)
        if value.is_integer() and "." not in raw and "e" not in raw.lower():
            value = int(raw)
    return check_range(value, what, lo, hi)


def check_range(value: int | float, what: str, lo: float | None, hi: float | None) -> int | float:
    if isinstance(value, float) and not math.isfinite(value):
        raise InputError(_("{what}: {v} is not a finite number").format(what=what, v=value))
    if abs(value) > MAX_INT:
        raise InputError(
            _("{what}: {v} is too large (at most {max})").format(what=what, v=value, max=MAX_INT)
        )
    if lo is not None and value < lo or hi is not None and value > hi:
        raise InputError(
            _("{what}: {v} is outside {lo}..{hi}").format(
                what=what, v=value, lo=bound(lo, "-∞"), hi=bound(hi, "∞")
            )
        )
    return value


def number_problem(value: object) -> str | None:
    """Why a definition's number is not acceptable; None when it is."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return _("must be a number")
    if isinstance(value, float) and not math.isfinite(value):
        return _("must be a finite number")
    if abs(value) > MAX_INT:
        return _("is too large (at most {max})").format(max=MAX_INT)
    return None


def check_number_or_param(value: object) -> str | None:
    if isinstance(value, str):
        return None if PARAM_RE.match(value) else _("must be a number or a $parameter")
    return number_problem(value)


def bound(value: float | None, missing: str) -> str:
    """A bound as a person writes it: 1 not 1.0, ∞ where there is none."""
    if value is None:
        return missing
    return f"{value:g}"
