"""Due dates on working days, traffic lights and reminder slots.

Pure: the clock and the campaign's calendar are passed in. A due date is a
local calendar day in the campaign's time zone; it ends (and a requirement
becomes overdue) at the following midnight there, stored as a UTC instant.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from typing import NamedTuple
from zoneinfo import ZoneInfo

from workflow.calendar.schedule import Plan
from workflow.calendar.workdays import WorkCalendar
from workflow.engine.definition import Definition
from workflow.engine.spec import RemindersSpec

GREEN, YELLOW, RED = "green", "yellow", "red"
_RANK = {GREEN: 0, YELLOW: 1, RED: 2}


def calendar_of(definition: Definition) -> WorkCalendar:
    cal = definition.spec.calendar
    return WorkCalendar.of(cal.country, cal.holidays, cal.workdays)


@dataclass(frozen=True)
class DueDate:
    requirement: str
    planned: date  # as laid out from the start date, before the working-day rule
    due: date  # the working day it moves to
    estimate: bool  # rests on an estimated (not yet officially announced) holiday calendar


def due_dates(definition: Definition, plan: Plan) -> dict[str, DueDate]:
    """Each requirement's due date, moved off weekends and holidays to the next working day."""
    cal = calendar_of(definition)
    out = {}
    for key, planned in plan.due.items():
        due = cal.next_working_day(planned)
        span = (planned + timedelta(days=i) for i in range((due - planned).days + 1))
        out[key] = DueDate(key, planned, due, any(cal.is_estimate(d) for d in span))
    return out


def end_of(day: date, tz: str) -> datetime:
    """The instant ``day`` ends in ``tz`` (the next local midnight), in UTC."""
    return datetime.combine(day + timedelta(days=1), time(), ZoneInfo(tz)).astimezone(UTC)


def local_day(instant: datetime, tz: str) -> date:
    return instant.astimezone(ZoneInfo(tz)).date()


def light(due: date, today: date, warning_days: int) -> str:
    """Red when overdue, yellow when due within ``warning_days``, else green."""
    if today > due:
        return RED
    if (due - today).days <= warning_days:
        return YELLOW
    return GREEN


def worst(lights: list[str]) -> str | None:
    return max(lights, key=_RANK.__getitem__) if lights else None


def days_late(due: date, today: date) -> int:
    return max(0, (today - due).days)


@dataclass(frozen=True)
class Slot:
    """One moment a reminder about one due date goes out.

    ``name`` includes the due date, so after an extension the new date's
    reminders are new slots and the old ones are never confused with them.
    """

    name: str
    at: datetime
    kind: str  # before | due | late | escalate
    days: int  # days before (before) or days late (late, escalate); 0 on the due date

    @property
    def escalate(self) -> bool:
        return self.kind == "escalate"


def slots(due: date, policy: RemindersSpec, tz: str, first_late: int = 1) -> Iterator[Slot]:
    """Every reminder slot of ``due`` in time order (endless while overdue).

    ``first_late``: start the overdue slots there (a value of the 1, 1 + every, … series),
    leaving out the earlier ones; an escalation among those is still given, first.
    """
    hh, mm = (int(x) for x in policy.send_at.split(":"))

    def at(day: date) -> datetime:
        return _moment(day, hh, mm, tz)

    tag = due.isoformat()
    for n in policy.before:  # sorted, largest first
        yield Slot(f"{tag}/before-{n}", at(due - timedelta(days=n)), "before", n)
    if policy.on_due:
        yield Slot(f"{tag}/due", at(due), "due", 0)
    late = first_late
    esc = policy.escalate_after
    while True:
        if esc is not None and esc <= late:
            yield Slot(f"{tag}/escalate", at(due + timedelta(days=esc)), "escalate", esc)
            esc = None
        yield Slot(f"{tag}/late-{late}", at(due + timedelta(days=late)), "late", late)
        late += policy.overdue_every


@lru_cache(maxsize=4096)
def _moment(day: date, hh: int, mm: int, tz: str) -> datetime:
    """``hh:mm`` on ``day`` in ``tz``, in UTC: the campaign's offices share their due dates, so a
    sweep asks for the same few moments for every deadline (a zone conversion is ~2 µs)."""
    return datetime.combine(day, time(hh, mm), ZoneInfo(tz)).astimezone(UTC)


class SlotsBetween(NamedTuple):
    fired: list[Slot]  # the slots in (after, until]
    next: Slot  # the first slot after until


def slots_between(
    due: date, policy: RemindersSpec, tz: str, after: datetime | None, until: datetime, first_late: int = 1
) -> SlotsBetween:
    """The slots in ``(after, until]`` and the first slot after ``until`` (``first_late``: as
    for :func:`slots`)."""
    fired: list[Slot] = []
    for slot in slots(due, policy, tz, first_late):
        if slot.at > until:
            return SlotsBetween(fired, slot)
        if after is None or slot.at > after:
            fired.append(slot)
    raise AssertionError("unreachable")  # pragma: no cover


def due_between(
    due: date, policy: RemindersSpec, tz: str, after: datetime | None, until: datetime
) -> SlotsBetween:
    """``coalesce`` of the slots in ``(after, until]``, and the first slot after ``until``.

    The same as ``coalesce(slots_between(...).fired)``, without walking every overdue slot of
    a long-overdue date: coalesce keeps only the latest plain slot (and any escalation), so
    the overdue series starts one step before the last one due by ``until``.
    """
    hh, mm = (int(x) for x in policy.send_at.split(":"))
    last_day = until.astimezone(ZoneInfo(tz)).date()
    if _moment(last_day, hh, mm, tz) > until:
        last_day -= timedelta(days=1)
    every = policy.overdue_every
    last = ((last_day - due).days - 1) // every  # index of the last overdue slot due by `until`
    fired, nxt = slots_between(due, policy, tz, after, until, first_late=1 + max(0, last - 1) * every)
    return SlotsBetween(coalesce(fired), nxt)


def coalesce(fired: list[Slot]) -> list[Slot]:
    """Of the slots a sweep finds due at once, keep the latest plain one and any escalation.

    A scheduler that was down for ten days finds "7 days before", "1 day before",
    "due", "1 day late" ... all due: the person needs one line saying how late it
    is now, not five; the escalation goes to other people and is kept.
    """
    plain = [s for s in fired if not s.escalate]
    return [s for s in fired if s.escalate] + plain[-1:]
