"""The sweep's shortcut over a long-overdue date gives what walking every slot gives."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from workflow.calendar import deadlines as dl
from workflow.engine.spec import RemindersSpec

ZONES = ("Asia/Shanghai", "America/New_York", "Europe/London", "Australia/Lord_Howe")


@st.composite
def policies(draw: st.DrawFn) -> RemindersSpec:
    return RemindersSpec(
        before=tuple(draw(st.lists(st.integers(1, 30), max_size=3))),
        on_due=draw(st.booleans()),
        overdue_every=draw(st.integers(1, 9)),
        escalate_after=draw(st.none() | st.integers(1, 40)),
        send_at=f"{draw(st.integers(0, 23)):02d}:{draw(st.sampled_from([0, 1, 30, 59])):02d}",
    )


@settings(max_examples=400, deadline=None)
@given(
    due=st.dates(date(2026, 1, 1), date(2027, 12, 31)),
    policy=policies(),
    tz=st.sampled_from(ZONES),
    after_days=st.none() | st.integers(-40, 400),
    span_hours=st.integers(0, 24 * 420),
    offset_minutes=st.integers(0, 24 * 60),
)
def test_due_between_is_coalesce_of_every_slot(
    due: date,
    policy: RemindersSpec,
    tz: str,
    after_days: int | None,
    span_hours: int,
    offset_minutes: int,
) -> None:
    base = datetime(due.year, due.month, due.day, tzinfo=UTC) + timedelta(minutes=offset_minutes)
    after = None if after_days is None else base + timedelta(days=after_days)
    until = (after or base - timedelta(days=40)) + timedelta(hours=span_hours)
    walked = dl.slots_between(due, policy, tz, after, until)
    fast = dl.due_between(due, policy, tz, after, until)
    assert fast.fired == dl.coalesce(walked.fired)
    assert fast.next == walked.next


def test_a_year_overdue_is_one_line_and_the_escalation() -> None:
    policy = RemindersSpec(before=(7, 1), overdue_every=2, escalate_after=3)
    due = date(2026, 3, 2)
    after = datetime(2026, 2, 20, tzinfo=UTC)
    until = datetime(2027, 3, 2, 12, tzinfo=UTC)
    fired, nxt = dl.due_between(due, policy, "Asia/Shanghai", after, until)
    assert [s.kind for s in fired] == ["escalate", "late"]
    assert fired[1].days == 365 and nxt.days == 367  # 1 + 2k: the last due by `until`, then the next
