"""Office tags (roster categories) and retirement through the console, on both backends.

Tags decide which ``only:`` requirements apply (tests/cli/test_definitions_v2.py walks
that through the second bundled campaign); here: how tags enter and change, and what a
retired office leaves (board, reminders, advance --all, ranking, report) and keeps
(history, audit).
"""

from __future__ import annotations

import json
from pathlib import Path

from tests.backends import Target, execute
from tests.cli.test_bad_input import assert_refused
from tests.conftest import Run, doc
from tests.smtpd import SmtpServer

LATE = "2026-04-02T10:00:00+08:00"


def offices(run: Run) -> dict[str, dict]:
    result = run("office", "list", "--json")
    assert result.exit_code == 0, result.output
    return {r["office"]: r for r in json.loads(result.stdout)}


def board(run: Run) -> dict[str, dict]:
    result = run("status", "--json")
    assert result.exit_code == 0, result.output
    return {r["office"]: r for r in json.loads(result.stdout)}


def test_tags_are_set_changed_and_cleared_with_history(started: Run, db_path: Target) -> None:
    result = started(
        "office", "edit", "秘书科", "--tags", "窗口单位、涉企部门;窗口单位", "--reason", "补类别"
    )
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == ["秘书科: tags — → 涉企部门, 窗口单位"]
    assert offices(started)["秘书科"]["tags"] == ["涉企部门", "窗口单位"]
    edit = json.loads(started("history", "秘书科", "--json").stdout)[-1]
    assert edit["detail"]["tags"] == ["涉企部门", "窗口单位"] and edit["detail"]["before"] == {"tags": []}
    assert_refused(
        started,
        db_path,
        ["office", "edit", "秘书科", "--tags", "涉企部门;窗口单位", "--reason", "x"],
        "秘书科 already has these values; nothing to change",
    )
    assert_refused(
        started,
        db_path,
        ["office", "edit", "秘书科", "--tags", "涉企\x1b[2J", "--reason", "x"],
        "--tags: contains U+001B (control character); control and invisible formatting characters "
        "are not allowed",
    )
    assert started("office", "edit", "秘书科", "--tags", "", "--reason", "清空").exit_code == 0
    assert offices(started)["秘书科"]["tags"] == []
    table = started("office", "list", env={"COLUMNS": "200"}).stdout
    assert "Tags" not in table  # no office has tags: no column
    assert "chain intact" in started("audit", "verify").stdout


def test_roster_tags_column_added_reported_and_updated(started: Run, db_path: Target, tmp_path: Path) -> None:
    roster = tmp_path / "roster.csv"
    roster.write_text(
        "科室,邮箱,负责人,标签\n秘书科,office4@example.gov.cn,负责人4,\n新设科,xin@example.gov.cn,,涉企部门\n",
        encoding="gbk",
    )
    result = started("office", "import", str(roster))
    assert result.exit_code == 0, result.output
    assert "Imported 1 offices" in result.stdout and "Already there, unchanged: 1 (秘书科)" in result.stdout
    assert offices(started)["新设科"]["tags"] == ["涉企部门"]
    roster.write_text(
        "科室,邮箱,负责人,标签\n秘书科,office4@example.gov.cn,负责人4,窗口单位\n", encoding="gbk"
    )
    assert_refused(
        started,
        db_path,
        ["office", "import", str(roster)],
        f"{roster}: office '秘书科' differs from the database (tags: — → 窗口单位); "
        "add --update to apply the roster's values",
    )
    assert started("office", "import", str(roster), "--update").exit_code == 0
    assert offices(started)["秘书科"]["tags"] == ["窗口单位"]
    # a roster without a tags column leaves the tags as they are
    roster.write_text("科室,邮箱,负责人\n秘书科,office4@example.gov.cn,负责人4\n", encoding="utf-8")
    assert "unchanged: 1" in started("office", "import", str(roster)).stdout
    assert offices(started)["秘书科"]["tags"] == ["窗口单位"]
    assert "chain intact" in started("audit", "verify").stdout


def test_a_retired_office_leaves_the_campaign_and_keeps_its_history(
    started: Run, db_path: Target, tmp_path: Path
) -> None:
    run = started
    gone = "市法制办公室"
    result = run("office", "retire", gone, "--reason", "机构改革并入司法局")
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == f"{gone} is retired from campaign '2026'."
    assert gone not in board(run) and len(board(run)) == 5
    shown = run("status", "--office", gone, env={"COLUMNS": "120"})
    assert shown.exit_code == 0 and f"Retired from the campaign, not on the board: {gone}" in shown.stdout
    assert offices(run)[gone]["retired"] is True
    # the list still finds it by name (it is off the board, not out of the roster)
    (listed,) = json.loads(run("office", "list", "--office", gone, "--json").stdout)
    assert (listed["office"], listed["retired"]) == (gone, True)
    assert f"{gone}" in run("office", "list", env={"COLUMNS": "200"}).stdout
    assert "(retired)" in run("office", "list", env={"COLUMNS": "200"}).stdout

    # no writes for it; each refusal leaves the database as it was
    back = f"reinstate it first (manyi office retire '{gone}' --undo --reason …)"
    assert_refused(
        run,
        db_path,
        ["file", gone, "study-plan", doc(tmp_path, "plan.txt")],
        f"office '{gone}' is retired from the campaign; {back}",
    )
    assert_refused(
        run,
        db_path,
        ["advance", gone, "--from", "mobilization", "--force", "--reason", "x"],
        f"office '{gone}' is retired from the campaign; {back}",
    )
    assert_refused(
        run,
        db_path,
        ["score", "add", gone, "--group", "leading-group", "--score", "90", "--scorer", "甲"],
        f"office '{gone}' is retired from the campaign; it takes no scores",
    )
    assert_refused(
        run,
        db_path,
        ["office", "retire", gone, "--reason", "again"],
        f"{gone} is already retired (since 2026-03-01)",
    )
    assert_refused(
        run,
        db_path,
        ["office", "retire", "秘书科", "--undo", "--reason", "x"],
        "秘书科 is not retired; nothing to undo",
    )

    # advance --all, ranking, report and reminders leave it out
    for office in board(run):
        run("file", office, "study-plan", doc(tmp_path, f"{office}.txt", office))
    moved = json.loads(run("advance", "--all", "--json").stdout)
    assert gone not in {o["office"] for o in moved} and len(moved) == 5
    ranked = json.loads(run("rank", "--json").stdout)
    assert gone not in {r["office"] for r in ranked}
    report = run("report", "--format", "md")
    assert report.exit_code == 0, report.output
    assert f"Retired from the campaign, not counted: {gone}." in report.stdout
    board_lines = [line for line in report.stdout.splitlines() if line.startswith("|")]
    assert not any(gone in line for line in board_lines if "file" not in line.lower())
    with SmtpServer() as server:
        env = {
            "MANYI_NOW": LATE,
            "MANYI_MAIL_FROM": "督查室 <dcs@example.gov.cn>",
            "MANYI_SMTP_URL": server.url,
        }
        assert run("remind", "send", env=env).exit_code == 0
        rcpts = {a for _f, to, _m in server.inbox.received for a in to}
    law = offices(run)[gone]["email"]
    assert rcpts and law not in rcpts

    # its history keeps everything; the chain re-derives the retirement
    hist = json.loads(run("history", gone, "--json").stdout)
    assert [(h["action"], h["reason"]) for h in hist][-1] == ("office-retire", "机构改革并入司法局")
    assert "chain intact" in run("audit", "verify").stdout

    # reinstated: back on the board, its phase as it was
    assert run("office", "retire", gone, "--undo", "--reason", "复核后保留").exit_code == 0
    assert board(run)[gone]["state"] == "mobilization"
    assert "chain intact" in run("audit", "verify").stdout


def test_audit_verify_catches_a_direct_edit_of_tags_or_retirement(started: Run, db_path: Target) -> None:
    assert started("office", "edit", "信息科", "--tags", "涉企部门", "--reason", "r").exit_code == 0
    assert "chain intact" in started("audit", "verify").stdout
    execute(db_path, "UPDATE section SET tags = '[]' WHERE name = '信息科'")
    result = started("audit", "verify")
    assert result.exit_code != 0 and "tags" in result.output
    execute(
        db_path, """UPDATE section SET tags = '["涉企部门"]', retired_at = created_at WHERE name = '信息科'"""
    )
    result = started("audit", "verify")
    assert result.exit_code != 0 and "retired" in result.output
