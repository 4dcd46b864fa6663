"""Hypothesis: any single tampering with a chain is caught at the right position, and an
untouched chain always verifies (pure: storage.audit.ChainWalker over in-memory events)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from storage import audit
from storage.audit import Break, ChainWalker, StoredEvent

CAMPAIGN = "2026"
T0 = datetime(2026, 3, 1, tzinfo=UTC)

texts = st.text(alphabet="秘书科信息ab 1", min_size=1, max_size=6)
event_specs = st.lists(
    st.tuples(st.sampled_from(["file", "advance", "note"]), st.none() | texts), min_size=3, max_size=25
)


def chain_of(specs: list[tuple[str, str | None]]) -> list[StoredEvent]:
    out, prev = [], audit.GENESIS
    for seq, (action, reason) in enumerate(specs, start=1):
        ev = StoredEvent(
            seq,
            T0 + timedelta(minutes=seq),
            "tester",
            "秘书科",
            action,
            None,
            None,
            reason,
            audit.dumps({"n": seq}),
            prev,
            "",
        )
        digest = audit.digest(ev.body(CAMPAIGN))  # type: ignore[arg-type]
        out.append(replace(ev, hash=digest))
        prev = digest
    return out


def first_break(events: list[StoredEvent]) -> Break | None:
    by_hash = {e.hash: e for e in events}
    walker = ChainWalker(CAMPAIGN, by_hash.get)
    for i, ev in enumerate(events):
        brk = walker.feed(ev)
        if brk is not None:
            return walker.refine(brk, events[i + 1] if i + 1 < len(events) else None)
    return None


def renumber(events: list[StoredEvent]) -> list[StoredEvent]:
    """What an attacker does to keep seq unique and gapless after moving rows around."""
    return [replace(e, seq=i) for i, e in enumerate(events, start=1)]


@given(event_specs)
def test_untouched_chain_verifies(specs: list[tuple[str, str | None]]) -> None:
    assert first_break(chain_of(specs)) is None


@given(event_specs, st.data())
def test_edited_event_is_caught_at_its_position(specs: list, data: st.DataObject) -> None:
    events = chain_of(specs)
    k = data.draw(st.integers(0, len(events) - 1))
    field = data.draw(st.sampled_from(["actor", "office", "action", "reason", "detail", "at"]))
    old = getattr(events[k], field)
    new = (
        (old + timedelta(seconds=1))
        if field == "at"
        else (audit.dumps({"n": -1}) if field == "detail" else f"{old or ''}改")
    )
    events[k] = replace(events[k], **{field: new})
    assert first_break(events) == Break(CAMPAIGN, k + 1, "edited")


@given(event_specs, st.data())
def test_deleted_event_is_caught(specs: list, data: st.DataObject) -> None:
    events = chain_of(specs)
    k = data.draw(st.integers(0, len(events) - 2))  # the last one: see test_audit.py (state check)
    del events[k]
    if data.draw(st.booleans()):
        events = renumber(events)
    brk = first_break(events)
    assert brk is not None and (brk.position, brk.kind) == (k + 1, "deleted")


@given(event_specs, st.data())
def test_swapped_events_are_caught_at_the_first(specs: list, data: st.DataObject) -> None:
    events = chain_of(specs)
    i = data.draw(st.integers(0, len(events) - 2))
    j = data.draw(st.integers(i + 1, len(events) - 1))
    events[i], events[j] = events[j], events[i]
    events = renumber(events)
    brk = first_break(events)
    assert brk is not None and brk.position == i + 1 and brk.kind in ("reordered", "edited")


@given(event_specs, st.data())
def test_inserted_event_is_caught(specs: list, data: st.DataObject) -> None:
    events = chain_of(specs)
    k = data.draw(st.integers(1, len(events) - 1))
    forged = StoredEvent(
        k + 1, T0, "tester", "秘书科", "advance", "a", "b", None, "{}", events[k - 1].hash, ""
    )
    if data.draw(st.booleans()):  # re-hashed by someone who read docs/audit.md
        forged = replace(forged, hash=audit.digest(forged.body(CAMPAIGN)))  # type: ignore[arg-type]
    else:
        forged = replace(forged, hash="e" * 64)
    events = renumber(events[:k] + [forged] + events[k:])
    assert first_break(events) == Break(CAMPAIGN, k + 1, "inserted")


@settings(max_examples=300, deadline=None)
@given(
    raw=st.one_of(
        st.datetimes(timezones=st.none()).map(lambda d: d.strftime("%Y-%m-%dT%H:%M:%S.%fZ")),
        st.from_regex(r"\d{1,4}-\d{1,2}-\d{1,2}T\d{1,2}:\d{1,2}:\d{1,2}\.\d{0,7}Z?", fullmatch=True),
        st.text(max_size=30),
    )
)
def test_parse_at_accepts_exactly_what_strptime_accepts(raw: str) -> None:
    """The audit's fast time parser takes the same strings as the format's strptime, to the same time."""
    try:
        expected = datetime.strptime(raw, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)
    except ValueError:
        with pytest.raises(ValueError):
            audit.parse_at(raw)
        return
    assert audit.parse_at(raw) == expected
