"""Roles: supervisors do everything, clerks file for their own office, leaders advance and
force, observers read. A refusal names the role it needs and stores nothing."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.backends import Target, stored_documents
from tests.conftest import Run, doc, dump

NEEDS_ANY = "needs role supervisor / clerk / leader / observer"


@pytest.fixture
def staffed(started: Run) -> Run:
    for args in (
        ["boss", "--role", "supervisor"],
        ["clerk1", "--role", "clerk", "--office", "秘书科"],
        ["leader1", "--role", "leader"],
        ["obs", "--role", "observer"],
    ):
        result = started("user", "add", *args, actor="boss")
        assert result.exit_code == 0, result.output
    return started


def blobs(db_path: Target) -> list[str]:
    return stored_documents(db_path)


def refused(run: Run, db_path: Target, actor: str, args: list[str], message: str) -> None:
    before, files = dump(db_path), blobs(db_path)
    result = run(*args, actor=actor)
    assert result.exit_code == 1, result.output
    assert result.stdout == ""
    assert result.stderr == f"Error: {message}\n"
    assert dump(db_path) == before
    assert blobs(db_path) == files


def test_single_user_mode_is_announced(started: Run) -> None:
    result = started("status")
    assert result.exit_code == 0
    assert result.stdout.splitlines()[1] == (
        "Single-user mode: no operators configured (add them with `manyi user add`)."
    )
    assert started("user", "list").stdout == (
        "No operators configured: single-user mode (everyone may do everything).\n"
    )


def test_status_names_the_operator_and_role(staffed: Run) -> None:
    assert staffed("status", actor="clerk1").stdout.splitlines()[1] == "Operator clerk1: clerk (秘书科)"
    assert staffed("status", actor="boss").stdout.splitlines()[1] == "Operator boss: supervisor"
    listed = json.loads(staffed("user", "list", "--json", actor="obs").stdout)
    assert [(u["name"], u["role"], u["office"]) for u in listed] == [
        ("boss", "supervisor", None),
        ("clerk1", "clerk", "秘书科"),
        ("leader1", "leader", None),
        ("obs", "observer", None),
    ]


def test_clerk_files_only_for_own_office(staffed: Run, db_path: Target, tmp_path: Path) -> None:
    path = doc(tmp_path, "plan.txt", "学习方案")
    assert staffed("file", "秘书科", "study-plan", path, actor="clerk1").exit_code == 0
    other = doc(tmp_path, "other.txt", "另一个")
    refused(
        staffed,
        db_path,
        "clerk1",
        ["file", "信息科", "study-plan", other],
        "clerk1 may not file for 信息科: needs role supervisor / clerk of 信息科",
    )
    refused(
        staffed,
        db_path,
        "clerk1",
        ["file", "领导小组", "work-plan", other],
        "clerk1 may not file for a central body: needs role supervisor / leader",
    )


def test_clerk_cannot_advance_or_manage(staffed: Run, db_path: Target, tmp_path: Path) -> None:
    refused(
        staffed,
        db_path,
        "clerk1",
        ["advance", "秘书科"],
        "clerk1 may not advance offices: needs role supervisor / leader",
    )
    refused(
        staffed,
        db_path,
        "clerk1",
        ["advance", "秘书科", "--force", "--reason", "急", "--from", "mobilization"],
        "clerk1 may not force an advance: needs role supervisor / leader",
    )
    refused(
        staffed,
        db_path,
        "clerk1",
        ["office", "add", "人秘科"],
        "clerk1 may not manage campaigns, offices and operators: needs role supervisor",
    )
    refused(
        staffed,
        db_path,
        "clerk1",
        ["user", "add", "clerk2", "--role", "clerk", "--office", "信息科"],
        "clerk1 may not manage campaigns, offices and operators: needs role supervisor",
    )


def test_observer_reads_and_changes_nothing(staffed: Run, db_path: Target, tmp_path: Path) -> None:
    for args in (
        ["status"],
        ["history", "秘书科"],
        ["office", "list"],
        ["campaign", "list"],
        ["audit", "verify"],
        ["advance", "秘书科", "--dry-run"],
    ):
        result = staffed(*args, actor="obs")
        assert result.exit_code in (0, 3), (args, result.output)
    path = doc(tmp_path, "x.txt")
    refused(
        staffed,
        db_path,
        "obs",
        ["file", "秘书科", "study-plan", path],
        "obs may not file for 秘书科: needs role supervisor / clerk of 秘书科",
    )
    refused(
        staffed,
        db_path,
        "obs",
        ["advance", "--all"],
        "obs may not advance offices: needs role supervisor / leader",
    )
    refused(
        staffed,
        db_path,
        "obs",
        ["campaign", "start", "people-satisfied-unit", "--name", "x", "--start", "2026-01-01"],
        "obs may not manage campaigns, offices and operators: needs role supervisor",
    )
    roster = tmp_path / "r.csv"
    roster.write_text("name,email,head\n人秘科,,\n", encoding="utf-8")
    refused(
        staffed,
        db_path,
        "obs",
        ["office", "import", str(roster)],
        "obs may not manage campaigns, offices and operators: needs role supervisor",
    )


def test_leader_advances_forces_and_files_for_the_group(
    staffed: Run, db_path: Target, tmp_path: Path
) -> None:
    result = staffed(
        "advance", "秘书科", "--force", "--reason", "领导小组决定", "--from", "mobilization", actor="leader1"
    )
    assert result.exit_code == 0, result.output
    assert staffed("file", "领导小组", "work-plan", doc(tmp_path, "w.txt"), actor="leader1").exit_code == 0
    refused(
        staffed,
        db_path,
        "leader1",
        ["file", "秘书科", "research-report", doc(tmp_path, "r.txt")],
        "leader1 may not file for 秘书科: needs role supervisor / clerk of 秘书科",
    )


def test_unknown_operator_is_refused_even_reading(staffed: Run, db_path: Target) -> None:
    refused(staffed, db_path, "stranger", ["status"], f"stranger may not read this: {NEEDS_ANY}")
    refused(staffed, db_path, "stranger", ["history", "秘书科"], f"stranger may not read this: {NEEDS_ANY}")


def test_supervisor_does_everything(staffed: Run, tmp_path: Path) -> None:
    assert staffed("office", "add", "人秘科", actor="boss").exit_code == 0
    assert staffed("file", "人秘科", "study-plan", doc(tmp_path, "p.txt"), actor="boss").exit_code == 0
    assert (
        staffed(
            "advance", "人秘科", "--force", "--reason", "r", "--from", "mobilization", actor="boss"
        ).exit_code
        == 0
    )
    assert (
        staffed("user", "add", "clerk2", "--role", "clerk", "--office", "人秘科", actor="boss").exit_code == 0
    )


def test_user_add_bad_input(run: Run, started: Run, db_path: Target) -> None:
    before = dump(db_path)
    first = started("user", "add", "clerk1", "--role", "clerk", "--office", "秘书科")
    assert first.exit_code == 1
    assert first.stderr == (
        "Error: the first operator must be a supervisor (someone has to manage the others)\n"
    )
    assert dump(db_path) == before
    assert started("user", "add", "boss", "--role", "supervisor").exit_code == 0
    for args, message in (
        (["clerk1", "--role", "clerk"], "a clerk needs --office OFFICE (the office they file for)"),
        (["obs", "--role", "observer", "--office", "秘书科"], "--office is only for clerks"),
        (["boss", "--role", "leader"], "operator 'boss' already exists"),
        (
            ["c9", "--role", "clerk", "--office", "不存在科"],
            "no office '不存在科' in any campaign; known: 信息科, 市口岸与海防委员会办公室, 市外事侨务办公室, "
            "市支前双拥工作办公室, 市法制办公室, 秘书科",
        ),
    ):
        before = dump(db_path)
        result = started("user", "add", *args, actor="boss")
        assert result.exit_code == 1 and result.stderr == f"Error: {message}\n"
        assert dump(db_path) == before
    assert started("user", "add", "x", "--role", "king", actor="boss").exit_code == 2


def test_events_record_the_database_login(started: Run, backend: str) -> None:
    rows = json.loads(started("history", "秘书科", "--json").stdout)
    assert rows[0]["actor"] == "tester"
    assert rows[0]["db_user"] == (None if backend == "sqlite" else "postgres")
    assert "db_user" not in rows[0]["detail"]


MANAGE = "may not manage campaigns, offices and operators: needs role supervisor"


@pytest.mark.parametrize("actor", ["clerk1", "leader1", "obs"])
def test_only_a_supervisor_sends_reminders_or_runs_the_scheduler(
    staffed: Run, db_path: Target, actor: str
) -> None:
    late = {"MANYI_NOW": "2026-04-02T10:00:00+08:00"}
    before, files = dump(db_path), blobs(db_path)
    for args in (["remind", "send"], ["scheduler", "run", "--interval", "1"]):
        result = staffed(*args, actor=actor, env=late)
        assert result.exit_code == 1, result.output
        assert (result.stdout, result.stderr) == ("", f"Error: {actor} {MANAGE}\n")
    assert dump(db_path) == before and blobs(db_path) == files
    preview = staffed("remind", "preview", "--at", late["MANYI_NOW"], "--json", actor=actor)
    assert preview.exit_code == 0, preview.output  # anyone who may read may look
    assert dump(db_path) == before
    sent = staffed("remind", "send", actor="boss", env=late)
    assert sent.exit_code == 0, sent.output
    assert sent.stdout.startswith("Sweep at 2026-04-02 10:00 CST: ") and " 0 failed" in sent.stdout
