"""Corrections a clerk can make, each with its history: offices, scores, duplicates, names by title."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.cli.test_bad_input import assert_refused
from tests.conftest import OFFICES, Run, doc, roster_rows, write_roster
from tests.smtpd import SmtpServer

LATE = "2026-04-02T10:00:00+08:00"


def offices(run: Run) -> dict[str, dict[str, str]]:
    return {r["office"]: r for r in json.loads(run("office", "list", "--json").stdout)}


def test_office_edit_changes_address_with_a_chained_event(started: Run, db_path: Path) -> None:
    result = started(
        "office",
        "edit",
        "秘书科",
        "--email",
        "mishu@example.gov.cn",
        "--head",
        "陈科长",
        "--reason",
        "花名册邮箱填错",
    )
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [
        "秘书科: e-mail office4@example.gov.cn → mishu@example.gov.cn",
        "秘书科: head 负责人4 → 陈科长",
    ]
    assert offices(started)["秘书科"]["email"] == "mishu@example.gov.cn"
    hist = json.loads(started("history", "秘书科", "--json").stdout)
    edit = hist[-1]
    assert (edit["action"], edit["reason"]) == ("office-edit", "花名册邮箱填错")
    assert edit["detail"] == {
        "name": "秘书科",
        "email": "mishu@example.gov.cn",
        "head": "陈科长",
        "before": {"email": "office4@example.gov.cn", "head": "负责人4"},
    }
    assert "chain intact" in started("audit", "verify").stdout
    # reminders now go to the corrected address
    with SmtpServer() as server:
        env = {
            "MANYI_NOW": LATE,
            "MANYI_MAIL_FROM": "督查室 <dcs@example.gov.cn>",
            "MANYI_SMTP_URL": server.url,
        }
        assert started("remind", "send", env=env).exit_code == 0
        rcpts = {a for _f, to, _m in server.inbox.received for a in to}
    assert "mishu@example.gov.cn" in rcpts and "office4@example.gov.cn" not in rcpts


def test_office_edit_rename_and_refusals(started: Run, db_path: Path) -> None:
    assert started("office", "edit", "秘书科", "--rename", "办公室秘书科", "--reason", "更名").exit_code == 0
    assert "办公室秘书科" in offices(started) and "秘书科" not in offices(started)
    assert_refused(
        started,
        db_path,
        ["office", "edit", "信息科", "--rename", "办公室秘书科", "--reason", "x"],
        "office '办公室秘书科' already exists",
    )
    assert_refused(
        started,
        db_path,
        ["office", "edit", "信息科", "--email", "王@example.gov.cn", "--reason", "x"],
        "--email: '王@example.gov.cn' has non-ASCII characters before the @; manyi sends mail "
        "without SMTPUTF8, ask for an ASCII address",
    )
    assert_refused(
        started,
        db_path,
        ["office", "edit", "信息科", "--reason", "x"],
        "say what to change: --email, --head, --rename or --tags",
    )
    assert_refused(
        started,
        db_path,
        ["office", "edit", "信息科", "--email", "office5@example.gov.cn", "--reason", "x"],
        "信息科 already has these values; nothing to change",
    )


def test_score_correct_and_withdraw_keep_history(started: Run, db_path: Path) -> None:
    assert (
        started(
            "score", "add", "秘书科", "--group", "leading-group", "--score", "58", "--scorer", "王"
        ).exit_code
        == 0
    )
    assert_refused(
        started,
        db_path,
        ["score", "add", "秘书科", "--group", "leading-group", "--score", "85", "--scorer", "王"],
        "score '秘书科 / Leading group / 王' already exists",
    )
    result = started(
        "score",
        "correct",
        "秘书科",
        "--group",
        "leading-group",
        "--scorer",
        "王",
        "--score",
        "85",
        "--reason",
        "录入时看错",
    )
    assert result.exit_code == 0, result.output
    assert result.stdout == "Corrected the score of 秘书科 from 王 (Leading group): 58 → 85.\n"
    explain = json.loads(started("score", "explain", "秘书科", "--json").stdout)
    assert [g["values"] for g in explain["explain"] if g["group"] == "leading-group"] == [[85.0]]
    assert_refused(  # the group as the clerk reads it (its title), not its key
        started,
        db_path,
        [
            "score",
            "correct",
            "秘书科",
            "--group",
            "leading-group",
            "--scorer",
            "王",
            "--score",
            "85",
            "--reason",
            "x",
        ],
        "秘书科 / Leading group / 王 is already 85",
    )
    result = started(
        "score", "withdraw", "秘书科", "--group", "领导小组", "--scorer", "王", "--reason", "评分人回避"
    )
    assert result.exit_code == 0, result.output
    hist = [
        (h["action"], h["reason"], h["detail"].get("score"), h["detail"].get("before"))
        for h in json.loads(started("history", "秘书科", "--json").stdout)
    ]
    assert hist[-3:] == [
        ("score", None, "58", None),
        ("score-correct", "录入时看错", "85", "58"),
        ("score-withdraw", "评分人回避", "85", None),
    ]
    assert_refused(
        started,
        db_path,
        ["score", "withdraw", "秘书科", "--group", "leading-group", "--scorer", "王", "--reason", "x"],
        "no score of 秘书科 / Leading group from '王' is stored",
    )
    assert "chain intact" in started("audit", "verify").stdout


def test_vote_batch_entered_twice_needs_again(started: Run, db_path: Path, tmp_path: Path) -> None:
    args = ["score", "vote", "秘书科", "--group", "questionnaire", "--vote", "satisfied", "--count", "30"]
    assert started(*args).exit_code == 0
    assert_refused(
        started,
        db_path,
        args,
        "秘书科 / Democratic-evaluation questionnaires: 30 × satisfied is already stored; if this "
        "is a second, separate entry, add --again",
    )
    assert started(*args, "--again").exit_code == 0
    anon = ["score", "add", "信息科", "--group", "leading-group", "--score", "85"]
    assert started(*anon).exit_code == 0
    assert_refused(
        started,
        db_path,
        anon,
        "信息科 / Leading group: 85 is already stored; if this is a second, separate entry, add --again",
    )
    batch = tmp_path / "votes.csv"
    batch.write_text(
        "office,group,scorer,score,vote,count\n市法制办公室,questionnaire,,,basic,12\n", encoding="utf-8"
    )
    assert started("score", "import", str(batch)).exit_code == 0
    assert_refused(
        started,
        db_path,
        ["score", "import", str(batch)],
        f"{batch} row 2: 市法制办公室 / Democratic-evaluation questionnaires: 12 × basically satisfied is already "
        "stored; if this is a second, separate entry, add --again",
    )


@pytest.mark.parametrize("phase", ["学习动员阶段", "mobilization", "Study & mobilization", "MOBILIZATION"])
def test_phase_filter_takes_key_or_title(started: Run, phase: str) -> None:
    rows = json.loads(started("status", "--json", "--phase", phase).stdout)
    assert len(rows) == len(OFFICES)


def test_unknown_filter_values_are_errors(started: Run, db_path: Path) -> None:
    result = started("status", "--phase", "mobilisation")
    assert result.exit_code == 1
    assert result.stderr.startswith(
        "Error: unknown phase 'mobilisation'; known: mobilization (Study & mobilization), implementation ("
    )
    assert_refused(
        started,
        db_path,
        ["status", "--office", "市法制办"],
        "unknown office '市法制办'; known: " + ", ".join(OFFICES),
    )
    assert_refused(
        started,
        db_path,
        ["office", "list", "--phase", "无此阶段"],
        started("status", "--phase", "无此阶段").stderr.strip().removeprefix("Error: "),
    )


def test_requirement_and_group_by_title(started: Run, tmp_path: Path) -> None:
    result = started("file", "秘书科", "学习方案", doc(tmp_path, "p.txt"))
    assert result.exit_code == 0, result.output
    assert "Filed 'Study plan' for 秘书科" in result.stdout
    assert started("file", "秘书科", "Implementation opinion", doc(tmp_path, "o.txt")).exit_code == 0
    assert started("advance", "秘书科", "--from", "学习动员阶段").exit_code == 0
    assert (
        started("score", "add", "信息科", "--group", "领导小组", "--score", "90", "--scorer", "王").exit_code
        == 0
    )
    assert started("extend", "信息科", "学习方案", "--to", "2026-05-01", "--reason", "r").exit_code == 0


def test_roster_reimport_adds_new_reports_unchanged_and_updates(
    started: Run, db_path: Path, tmp_path: Path
) -> None:
    full = write_roster(
        tmp_path / "full.csv", roster_rows(OFFICES) + [("人秘科", "renmi@example.gov.cn", "周")]
    )
    result = started("office", "import", str(full))
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [
        "Imported 1 offices into campaign '2026'.",
        "Already there, unchanged: 6 (" + ", ".join(OFFICES) + ").",
    ]
    changed = roster_rows(OFFICES)
    changed[4] = ("秘书科", "mishu@example.gov.cn", "陈科长")
    roster = write_roster(tmp_path / "changed.csv", changed)
    assert_refused(
        started,
        db_path,
        ["office", "import", str(roster)],
        f"{roster}: office '秘书科' differs from the database (e-mail: office4@example.gov.cn → "
        "mishu@example.gov.cn); add --update to apply the roster's values",
    )
    result = started("office", "import", str(roster), "--update")
    assert result.exit_code == 0, result.output
    assert "Updated from the roster: 秘书科." in result.stdout
    assert offices(started)["秘书科"]["email"] == "mishu@example.gov.cn"
    assert json.loads(started("history", "秘书科", "--json").stdout)[-1]["action"] == "office-edit"


def test_xlsx_roster(run: Run, tmp_path: Path) -> None:
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.append(["科室", "邮箱", "负责人"])
    ws.append(["秘书科", "mishu@example.gov.cn", "陈科长"])
    ws.append(["信息科", "xinxi@example.gov.cn", None])
    path = tmp_path / "roster.xlsx"
    wb.save(path)
    result = run(
        "campaign",
        "start",
        "people-satisfied-unit",
        "--name",
        "2026",
        "--start",
        "2026-03-01",
        "--offices",
        str(path),
    )
    assert result.exit_code == 0, result.output
    got = offices(run)
    assert got["秘书科"]["email"] == "mishu@example.gov.cn" and got["信息科"]["head"] is None
