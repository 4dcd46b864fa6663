"""Recurring requirements through the console: each occurrence has its own due date, light
and reminders; the guard holds when every occurrence is filed (SQLite and PostgreSQL)."""

from __future__ import annotations

import email
import email.policy
import json
from pathlib import Path

import pytest

from tests.backends import Target, outbox_in
from tests.cli.test_bad_input import assert_refused
from tests.conftest import Run, doc

DEFINITION = """\
format: 2
key: monthly-reports
title: {zh: 月报活动, en: Monthly reports}
timezone: Asia/Shanghai
parameters:
  reports: {title: {zh: 月报份数, en: Monthly reports}, default: 3, min: 1}
reminders:
  before: [2]
  on_due: true
  overdue_every: 7
  escalate_after: 30
  warning_days: 3
phases:
  - key: work
    title: {zh: 工作阶段, en: Work}
    window: {offset: P0D, length: P4M}
    requirements:
      - key: monthly
        title: {zh: 工作月报, en: Monthly report}
        every: P1M
        times: $reports
        exit: true
final:
  key: done
  title: {zh: 已完成, en: Done}
"""
OFFICE = "秘书科"


def on(day: str) -> dict[str, str]:
    return {"MANYI_NOW": f"{day}T10:00:00+08:00"}


@pytest.fixture
def monthly(run: Run, tmp_path: Path) -> Run:
    path = tmp_path / "monthly.yaml"
    path.write_text(DEFINITION, encoding="utf-8")
    start = run("campaign", "start", str(path), "--name", "m", "--start", "2026-03-02", env=on("2026-03-02"))
    assert start.exit_code == 0, start.output
    added = run("office", "add", OFFICE, "--email", "mishu@example.gov.cn", env=on("2026-03-02"))
    assert added.exit_code == 0, added.output
    return run


def row(run: Run, day: str) -> dict:
    result = run("status", "--json", env=on(day))
    assert result.exit_code == 0, result.output
    (only,) = json.loads(result.stdout)
    return only


def test_each_occurrence_is_lit_and_due_on_its_own_date(monthly: Run, tmp_path: Path) -> None:
    run = monthly
    first = row(run, "2026-03-20")
    assert (first["next_due"], first["light"], first["blockers"]) == ("2026-04-02", "green", ["monthly"])
    assert row(run, "2026-03-31")["light"] == "yellow"  # 2 days before the first
    assert row(run, "2026-04-03")["light"] == "red"  # the first is late
    filed = run("file", OFFICE, "monthly", doc(tmp_path, "m1.txt", "一月"), env=on("2026-04-03"))
    assert filed.exit_code == 0, filed.output
    second = row(run, "2026-04-03")
    # 05-02 falls in the May Day holiday: due on the next working day
    assert (second["next_due"], second["light"]) == ("2026-05-06", "green")
    assert second["blockers"] == ["monthly"]  # two more to go
    run("file", OFFICE, "monthly", doc(tmp_path, "m2.txt", "二月"), env=on("2026-05-01"))
    run("file", OFFICE, "monthly", doc(tmp_path, "m3.txt", "三月"), env=on("2026-06-01"))
    assert row(run, "2026-06-01")["blockers"] == []
    # the calendar lists every occurrence
    cal = run("calendar", "--json", env=on("2026-06-01"))
    assert cal.exit_code == 0, cal.output
    titles = [r["title"] for r in json.loads(cal.stdout) if r.get("requirement") == "monthly"]
    assert titles == ["Monthly report (1 of 3)", "Monthly report (2 of 3)", "Monthly report (3 of 3)"]


def test_each_occurrence_is_reminded_and_filing_one_stops_only_its_own(
    monthly: Run, tmp_path: Path, db_path: Target
) -> None:
    run = monthly
    for day in ("2026-03-31", "2026-05-04"):  # two days before the first and the second (05-06)
        sent = run("remind", "send", env=on(day))
        assert sent.exit_code == 0, sent.output
    bodies = mails(tmp_path)
    assert len(bodies) == 2
    assert "工作月报（第1次，共3次）" in bodies[0]
    # the second mail: the first (now late) and the second, each on its own line
    assert "工作月报（第1次，共3次）" in bodies[1] and "工作月报（第2次，共3次）" in bodies[1]
    run("file", OFFICE, "monthly", doc(tmp_path, "m1.txt", "一月"), env=on("2026-05-05"))
    run("remind", "send", env=on("2026-05-06"))  # the second's due day
    third = mails(tmp_path)[2]
    assert "工作月报（第2次，共3次）" in third and "第1次" not in third
    # extensions are for one-off requirements
    assert_refused(
        run,
        db_path,
        ["extend", OFFICE, "monthly", "--to", "2026-06-30", "--reason", "r"],
        "'monthly' recurs, each occurrence on its own date; extensions are for one-off requirements "
        "(record the agreed delay in a filing's --note)",
    )
    assert "chain intact" in run("audit", "verify").stdout


def mails(tmp_path: Path) -> list[str]:
    out = []
    for p in sorted(outbox_in(tmp_path).glob("*.eml")):
        msg = email.message_from_bytes(p.read_bytes(), policy=email.policy.default)
        out.append(msg.get_body().get_content())  # type: ignore[union-attr]
    return out


def test_a_parameter_cannot_make_a_requirement_recur_without_bound(run: Run, tmp_path: Path) -> None:
    path = tmp_path / "monthly.yaml"
    path.write_text(DEFINITION, encoding="utf-8")
    assert run("init").exit_code == 0
    result = run(
        "campaign", "start", str(path), "--name", "m", "--start", "2026-03-02", "--set", "reports=100000"
    )
    assert result.exit_code == 1
    assert result.stderr.strip() == (
        "Error: 'monthly' would recur 100000 times; a recurring requirement recurs 1 to 366 times"
    )
    assert "m" not in run("campaign", "list").stdout.split()
