"""The working-day calendar: holidays move due dates, make-up days count, unannounced years are estimates."""

from __future__ import annotations

import json
from datetime import date, timedelta

import pytest

from workflow.adapters import definition_files
from workflow.calendar import deadlines, schedule
from workflow.calendar.workdays import WorkCalendar, official_through
from workflow.engine import validate as defs

CN = WorkCalendar()

MINI = """\
key: mini
title: {{zh: 小活动, en: Mini}}
{calendar}
phases:
  - key: only
    title: {{zh: 唯一阶段, en: Only}}
    window: {{length: P3M}}
    requirements:
      - key: report
        title: {{zh: 报告, en: Report}}
        due: P10D
"""


def due_of(start: date, calendar: str = "") -> deadlines.DueDate:
    d = defs.parse(MINI.format(calendar=calendar), "mini.yaml")
    plan = schedule.resolve(d, start, d.parameters())
    return deadlines.due_dates(d, plan)["report"]


@pytest.mark.parametrize(
    ("day", "working"),
    [
        (date(2026, 10, 1), False),  # National Day
        (date(2026, 10, 7), False),  # National Day holiday (substituted day off)
        (date(2026, 10, 10), True),  # make-up Saturday (调休)
        (date(2026, 2, 14), True),  # make-up Saturday before the Spring Festival
        (date(2026, 9, 20), True),  # make-up Sunday
        (date(2026, 3, 21), False),  # an ordinary Saturday
        (date(2026, 3, 23), True),  # an ordinary Monday
    ],
)
def test_working_days_follow_the_official_notice(day: date, working: bool) -> None:
    assert CN.is_working_day(day) is working


def test_due_date_on_a_public_holiday_moves_to_the_next_working_day() -> None:
    due = due_of(date(2026, 9, 21))  # + P10D = 2026-10-01, National Day
    assert (due.planned, due.due, due.estimate) == (date(2026, 10, 1), date(2026, 10, 8), False)


def test_make_up_saturday_counts_as_a_working_day() -> None:
    due = due_of(date(2026, 2, 4))  # + P10D = Saturday 2026-02-14, a make-up working day
    assert due.due == date(2026, 2, 14)
    assert CN.next_working_day(date(2026, 2, 14)) == date(2026, 2, 14)


def test_year_without_official_calendar_is_an_estimate() -> None:
    assert official_through("CN") == 2026
    assert CN.is_estimate(date(2027, 2, 8)) and not CN.is_estimate(date(2026, 2, 8))
    due = due_of(date(2027, 3, 1))
    assert due.estimate is True


def test_definition_dates_win_and_confirm_their_year() -> None:
    cal = """calendar:
  holidays: [2027-03-11]
  workdays: [2027-03-13]"""
    due = due_of(date(2027, 3, 1), cal)  # + P10D = Thursday 2027-03-11, declared a holiday
    assert due.due == date(2027, 3, 12) and due.estimate is False
    ours = WorkCalendar.of("CN", [date(2026, 3, 23)], [date(2026, 3, 21)])
    assert ours.is_working_day(date(2026, 3, 21)) and not ours.is_working_day(date(2026, 3, 23))


def test_lights_and_slots() -> None:
    assert deadlines.light(date(2026, 3, 23), date(2026, 3, 10), 3) == "green"
    assert deadlines.light(date(2026, 3, 23), date(2026, 3, 20), 3) == "yellow"
    assert deadlines.light(date(2026, 3, 23), date(2026, 3, 24), 3) == "red"
    policy = definition_files.load("people-satisfied-unit").spec.reminders
    names = [
        s.name.split("/")[1]
        for s, _ in zip(deadlines.slots(date(2026, 3, 23), policy, "Asia/Shanghai"), range(8), strict=False)
    ]
    assert names == ["before-7", "before-1", "due", "late-1", "escalate", "late-3", "late-5", "late-7"]


def _fresh_tables(monkeypatch: pytest.MonkeyPatch, folder: str) -> None:
    from workflow.adapters import holiday_cache
    from workflow.calendar import workdays

    monkeypatch.setenv("MANYI_CACHE_DIR", folder)
    workdays.use_cache(holiday_cache.FileCache())


def test_cached_calendar_answers_exactly_as_the_package(tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import holidays

    from workflow.calendar import workdays

    _fresh_tables(monkeypatch, str(tmp_path))
    package = holidays.country_holidays("CN")
    days = [date(2025, 1, 1) + timedelta(days=i) for i in range(3 * 365)]
    first = [CN.is_working_day(d) for d in days]  # computes the tables and writes the file
    assert first == [bool(package.is_working_day(d)) for d in days]
    files = list(tmp_path.glob("workdays-CN-*.json"))
    assert len(files) == 1 and set(json.loads(files[0].read_text())["years"]) >= {"2025", "2026", "2027"}
    workdays._tables.cache_clear()  # a new process: answers now come from the file
    assert [CN.is_working_day(d) for d in days] == first
    assert workdays._tables("CN").years.keys() >= {2025, 2026, 2027}
    assert official_through("CN") == 2026
    workdays._tables.cache_clear()


def test_a_corrupt_or_unwritable_cache_changes_no_answer(tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from workflow.calendar import workdays

    _fresh_tables(monkeypatch, str(tmp_path))
    CN.is_working_day(date(2026, 10, 10))
    (path,) = tmp_path.glob("workdays-CN-*.json")
    path.write_text('{"years": {"2026": {"off": ["not a date"]}}}')
    workdays._tables.cache_clear()
    assert CN.is_working_day(date(2026, 10, 10)) and not CN.is_working_day(date(2026, 10, 1))
    blocked = tmp_path / "file-not-folder"
    blocked.write_text("")
    _fresh_tables(monkeypatch, str(blocked / "cache"))  # cannot be created
    assert CN.is_working_day(date(2026, 2, 14)) and not CN.is_working_day(date(2026, 3, 21))
    _fresh_tables(monkeypatch, "")  # MANYI_CACHE_DIR= turns the cache off
    from workflow.adapters import holiday_cache

    assert holiday_cache.path_of("CN") is None and CN.is_working_day(date(2026, 9, 20))
    workdays._tables.cache_clear()
