"""``auto_advance: true``: at the phase window's end the sweep moves every ready section, as ``scheduler``."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.backends import Target
from tests.conftest import FORMAT1_SEED as SEED  # the format-1 seed: its guards are filings only
from tests.conftest import OFFICES, Run, doc, dump, roster_rows, write_roster

INSIDE = "2026-03-31T10:00:00+08:00"  # mobilization's last day (its window is 2026-03-01..03-31)
AFTER = "2026-04-01T10:00:00+08:00"


def auto_definition(tmp_path: Path, *phases: str) -> str:
    text = SEED.read_text("utf-8")
    for key in phases:
        anchor = f"  - key: {key}\n"
        head, tail = text.split(anchor, 1)
        title, window, rest = tail.split("\n", 2)
        text = f"{head}{anchor}{title}\n{window}\n    auto_advance: true\n{rest}"
    path = tmp_path / "auto.yaml"
    path.write_text(text, encoding="utf-8")
    return str(path)


@pytest.fixture
def auto(run: Run, tmp_path: Path) -> Run:
    """The seed campaign with mobilization marked auto_advance; 市法制办公室 has filed its two plans."""
    roster = write_roster(tmp_path / "roster.csv", roster_rows(OFFICES))
    result = run(
        "campaign",
        "start",
        auto_definition(tmp_path, "mobilization"),
        "--name",
        "2026",
        "--start",
        "2026-03-01",
        "--offices",
        str(roster),
    )
    assert result.exit_code == 0, result.output
    for req in ("implementation-opinion", "study-plan"):
        assert run("file", "市法制办公室", req, doc(tmp_path, f"{req}.txt")).exit_code == 0
    return run


def states(run: Run) -> dict[str, str]:
    return {r["office"]: r["state"] for r in json.loads(run("status", "--json").stdout)}


def test_phase_end_moves_ready_offices_as_scheduler_once(auto: Run, tmp_path: Path) -> None:
    inside = auto("remind", "send", env={"MANYI_NOW": INSIDE})
    assert inside.exit_code == 0, inside.output
    assert "auto-advanced" not in inside.stdout  # the window has not ended yet
    assert set(states(auto).values()) == {"mobilization"}

    after = auto("remind", "send", env={"MANYI_NOW": AFTER})
    assert after.exit_code == 0, after.output
    assert after.stdout.splitlines()[0] == "auto-advanced 市法制办公室: mobilization → implementation"
    rows = states(auto)
    assert rows.pop("市法制办公室") == "implementation"
    assert set(rows.values()) == {"mobilization"}
    hist = json.loads(auto("history", "市法制办公室", "--json").stdout)
    assert (hist[-1]["action"], hist[-1]["actor"], hist[-1]["to"]) == (
        "advance",
        "scheduler",
        "implementation",
    )

    # the blocked offices keep getting reminded of what they owe; the one that moved does not
    mails = json.loads(auto("outbox", "--json").stdout)
    late = {m["to"] for m in mails if m["created_at"].startswith("2026-04-01")}
    assert {f"office{i}@example.gov.cn" for i in (0, 1, 2, 4, 5)} <= late
    assert "office3@example.gov.cn" not in late

    # twice is once: nothing moves again, no event is added, the chain holds
    events = len(hist)
    again = auto("remind", "send", env={"MANYI_NOW": AFTER})
    assert again.exit_code == 0, again.output
    assert "auto-advanced" not in again.stdout
    assert len(json.loads(auto("history", "市法制办公室", "--json").stdout)) == events
    assert states(auto)["市法制办公室"] == "implementation"
    assert auto("audit", "verify").exit_code == 0


def test_a_blocked_office_that_catches_up_moves_at_the_next_sweep(auto: Run, tmp_path: Path) -> None:
    assert auto("remind", "send", env={"MANYI_NOW": AFTER}).exit_code == 0
    for req in ("implementation-opinion", "study-plan"):
        assert (
            auto("file", "秘书科", req, doc(tmp_path, f"{req}.txt"), env={"MANYI_NOW": AFTER}).exit_code == 0
        )
    later = auto("remind", "send", env={"MANYI_NOW": "2026-04-01T11:00:00+08:00"})
    assert later.stdout.splitlines()[0] == "auto-advanced 秘书科: mobilization → implementation"
    assert states(auto)["秘书科"] == "implementation"


def test_preview_shows_the_advance_and_changes_nothing(auto: Run, db_path: Target) -> None:
    before = dump(db_path)
    result = auto("remind", "preview", "--at", AFTER)
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[0] == "would auto-advance 市法制办公室: mobilization → implementation"
    assert dump(db_path) == before


def test_catch_up_moves_through_ended_auto_phases_until_a_guard_blocks(run: Run, tmp_path: Path) -> None:
    roster = write_roster(tmp_path / "roster.csv", roster_rows(OFFICES))
    path = auto_definition(tmp_path, "mobilization", "implementation")
    assert (
        run(
            "campaign", "start", path, "--name", "2026", "--start", "2026-03-01", "--offices", str(roster)
        ).exit_code
        == 0
    )
    for req in ("implementation-opinion", "study-plan"):
        assert run("file", "信息科", req, doc(tmp_path, f"{req}.txt")).exit_code == 0
    result = run("remind", "send", env={"MANYI_NOW": "2026-11-01T10:00:00+08:00"})  # both windows over
    assert result.exit_code == 0, result.output
    # moved out of mobilization; implementation's own guards (research not filed) hold it there
    assert [line for line in result.stdout.splitlines() if "auto-advanced" in line] == [
        "auto-advanced 信息科: mobilization → implementation"
    ]
    assert states(run)["信息科"] == "implementation"
    hist = json.loads(run("history", "信息科", "--json").stdout)
    assert [h["actor"] for h in hist if h["action"] == "advance"] == ["scheduler"]


def test_phases_without_auto_advance_never_move(started: Run, tmp_path: Path) -> None:
    for req in ("implementation-opinion", "study-plan"):
        assert started("file", "市法制办公室", req, doc(tmp_path, f"{req}.txt")).exit_code == 0
    result = started("remind", "send", env={"MANYI_NOW": AFTER})
    assert result.exit_code == 0, result.output
    assert "auto-advanced" not in result.stdout
    assert set(states(started).values()) == {"mobilization"}


def test_scheduler_moves_offices_in_multi_user_mode(auto: Run) -> None:
    assert auto("user", "add", "boss", "--role", "supervisor").exit_code == 0
    result = auto("remind", "send", actor="boss", env={"MANYI_NOW": AFTER})
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[0] == "auto-advanced 市法制办公室: mobilization → implementation"
    hist = json.loads(auto("history", "市法制办公室", "--json", actor="boss").stdout)
    assert hist[-1]["actor"] == "scheduler"
