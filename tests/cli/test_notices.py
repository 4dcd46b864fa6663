"""Rosters with missing or extra fields, and dates that fall on a weekend or holiday."""

from __future__ import annotations

import json
from pathlib import Path

from tests.conftest import Run


def _roster(tmp_path: Path) -> Path:
    path = tmp_path / "roster.csv"
    path.write_text(
        "科室,邮箱,负责人\n"
        "甲科,jia@example.gov.cn\n"  # row 2: the head is missing
        "乙科,yi@example.gov.cn,王科长,备注\n"  # row 3: one field too many
        "丙科,bing@example.gov.cn,李科长,,\n"  # row 4: empty padding, as Excel writes
        "丁科,ding@example.gov.cn,赵科长\n",
        encoding="utf-8",
    )
    return path


def test_ragged_roster_rows_are_warned_about_by_line(run: Run, tmp_path: Path) -> None:
    result = run(
        "campaign",
        "start",
        "people-satisfied-unit",
        "--name",
        "2026",
        "--start",
        "2026-03-02",
        "--offices",
        str(_roster(tmp_path)),
    )
    assert result.exit_code == 0, result.output
    roster = tmp_path / "roster.csv"
    assert [line for line in result.stderr.splitlines() if not line.startswith("Notice: ")] == [
        f"Warning: {roster} row 2: 2 fields where the header has 3; the missing ones are left empty",
        f"Warning: {roster} row 3: 4 fields where the header has 3; the extra ones are ignored",
    ]
    offices = {r["office"]: r for r in json.loads(run("office", "list", "--json").stdout)}
    assert list(offices) == ["甲科", "乙科", "丙科", "丁科"]
    assert offices["甲科"]["head"] is None and offices["乙科"]["head"] == "王科长"


def test_strict_refuses_a_ragged_roster_and_stores_nothing(run: Run, tmp_path: Path) -> None:
    roster = _roster(tmp_path)
    result = run(
        "campaign",
        "start",
        "people-satisfied-unit",
        "--name",
        "2026",
        "--start",
        "2026-03-02",
        "--offices",
        str(roster),
        "--strict",
    )
    assert result.exit_code == 1
    assert result.stderr == (
        f"Error: {roster} row 2: 2 fields where the header has 3; the missing ones are left empty\n"
    )
    # Nothing was stored: the same campaign starts afterwards (its name is not taken).
    again = run(
        "campaign",
        "start",
        "people-satisfied-unit",
        "--name",
        "2026",
        "--start",
        "2026-03-02",
        "--offices",
        str(roster),
    )
    assert again.exit_code == 0, again.output


def test_office_import_warns_too_and_strict_refuses(started: Run, tmp_path: Path) -> None:
    roster = tmp_path / "more.csv"
    roster.write_text("科室,邮箱,负责人\n甲科,jia@example.gov.cn,张\n乙科\n", encoding="utf-8")
    refused = started("office", "import", str(roster), "--strict")
    assert refused.exit_code == 1 and "row 3: 1 fields where the header has 3" in refused.stderr
    assert "甲科" not in started("office", "list").stdout
    result = started("office", "import", str(roster))
    assert result.exit_code == 0
    assert result.stderr == (
        f"Warning: {roster} row 3: 1 fields where the header has 3; the missing ones are left empty\n"
    )
    assert result.stdout == "Imported 2 offices into campaign '2026'.\n"


def test_a_start_on_a_saturday_names_the_next_working_day(run: Run) -> None:
    result = run("campaign", "start", "people-satisfied-unit", "--name", "2026", "--start", "2026-03-07")
    assert result.exit_code == 0
    assert result.stderr.splitlines()[0] == (
        "Notice: 2026-03-07 is not a working day; the next working day "
        "is 2026-03-09. The date is kept as given."
    )
    monday = run("campaign", "start", "people-satisfied-unit", "--name", "2027", "--start", "2027-03-01")
    assert monday.exit_code == 0
    assert "2027-03-01" not in monday.stderr


def test_dates_the_definition_lays_on_days_off_are_named_with_their_working_day(run: Run) -> None:
    result = run("campaign", "start", "people-satisfied-unit", "--name", "2027", "--start", "2027-03-01")
    assert result.exit_code == 0
    rows = json.loads(run("calendar", "--campaign", "2027", "--json").stdout)
    moved: dict[tuple[str, str], list[str]] = {}
    for r in rows:
        if r["moved"]:
            what = r["title"] if r["requirement"] else f"{r['phase_title']} (phase ends)"
            moved.setdefault((r["planned"], r["due"]), []).append(what)
    assert moved  # the seed's 2027 dates include a Sunday and the National Day week
    assert result.stderr.splitlines() == [
        f"Notice: {day} is not a working day; due on the next working day, {nxt}: {', '.join(names)}."
        for (day, nxt), names in sorted(moved.items())
    ]


def test_extending_to_a_weekend_names_the_next_working_day(started: Run) -> None:
    result = started("extend", "信息科", "study-plan", "--to", "2026-04-04", "--reason", "材料补充")
    assert result.exit_code == 0, result.output
    assert result.stderr == (
        "Notice: 2026-04-04 is not a working day; the next working day is 2026-04-07. "
        "The date is kept as given.\n"
    )
    history = json.loads(started("history", "信息科", "--json").stdout)
    assert history[-1]["detail"]["to"] == "2026-04-04"  # kept as given
    weekday = started("extend", "信息科", "study-plan", "--to", "2026-04-08", "--reason", "再延")
    assert weekday.exit_code == 0 and weekday.stderr == ""
