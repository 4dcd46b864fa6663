"""Scripting: --json on every reading command, shell completion from the database."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from cli.main import cli, load_all
from tests.conftest import OFFICES, Run

READING = [
    ("campaign", "list"),
    ("office", "list"),
    ("status",),
    ("history",),
    ("timeline",),
    ("definition", "check"),
    ("audit", "verify"),
]


@pytest.mark.parametrize("path", READING)
def test_every_reading_command_has_json(path: tuple[str, ...]) -> None:
    cmd = load_all()
    for name in path:
        cmd = cmd.commands[name]  # type: ignore[attr-defined]
    assert "--json" in [o for p in cmd.params for o in getattr(p, "opts", [])]


def test_definition_check_json(run: Run) -> None:
    data = json.loads(run("definition", "check", "people-satisfied-unit", "--json").stdout)
    assert data["key"] == "people-satisfied-unit"
    assert [p["key"] for p in data["phases"]] == ["mobilization", "implementation", "review", "summary"]
    exits = [r["key"] for p in data["phases"] for r in p["requirements"] if r["exit"]]
    assert exits == [
        "work-plan",
        "working-group",
        "mobilization-meeting",
        "implementation-opinion",
        "study-plan",
        "research-report",
        "evaluation-meeting",
        "questionnaire",
        "report-to-review-group",
        "rectification-notice",
        "rectification-report",
        "evaluation-forms",
        "summary-report",
        "report-to-standing-committee",
    ]
    assert data["parameters"]["study-sessions"]["default"] == 4


def complete(db_path: Path, words: str) -> list[str]:
    cword = len(words.split()) - (0 if words.endswith(" ") else 1)
    result = CliRunner().invoke(
        cli,
        [],
        prog_name="manyi",
        env={
            "_MANYI_COMPLETE": "bash_complete",
            "COMP_WORDS": f"manyi --db {db_path} {words}",
            "COMP_CWORD": str(cword + 3),
        },
    )
    return [line.split(",", 1)[1] for line in result.stdout.splitlines() if line]


def test_completion_of_offices_requirements_and_phases(started: Run, db_path: Path) -> None:
    assert complete(db_path, "history 市") == sorted(o for o in OFFICES if o.startswith("市"))
    assert complete(db_path, "file 领") == ["领导小组"]
    assert complete(db_path, "file 信息科 study-") == ["study-plan", "study-session"]
    assert complete(db_path, "advance 秘") == ["秘书科"]
    assert complete(db_path, "status --phase re") == ["review"]
    assert complete(db_path, "status --campaign ") == ["2026"]


def test_completion_without_a_database_offers_nothing_and_creates_nothing(tmp_path: Path) -> None:
    missing = tmp_path / "none.db"
    assert complete(missing, "history ") == []
    assert not missing.exists()


@pytest.mark.parametrize("terminal", [False, True])
def test_a_name_that_looks_like_an_emoji_code_is_printed_as_it_is(
    started: Run, monkeypatch: pytest.MonkeyPatch, terminal: bool
) -> None:
    """A name is text, in a pipe and on a terminal: rich would have turned ':cat:' into a picture."""
    if terminal:
        monkeypatch.setenv("FORCE_COLOR", "1")  # rich treats the output as a terminal
    added = started("office", "add", "督查:cat:组", "--email", "cat@example.gov.cn")
    assert added.exit_code == 0, added.output
    assert "督查:cat:组" in added.output and "\N{CAT FACE}" not in added.output
    moved = started("advance", "督查:cat:组", "--force", "--from", "mobilization", "--reason", "测试")
    assert "督查:cat:组" in moved.output and "\N{CAT FACE}" not in moved.output, moved.output
