"""Documents that cannot count, deadlines moved the wrong way, closed campaigns, forced moves, migrations."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.backends import PgSchema, Target
from tests.cli.test_bad_input import assert_refused
from tests.conftest import Run, doc, dump


def test_empty_document_refused_unless_allowed(started: Run, db_path: Path, tmp_path: Path) -> None:
    empty = tmp_path / "空.docx"
    empty.write_bytes(b"")
    assert_refused(
        started,
        db_path,
        ["file", "秘书科", "study-plan", str(empty)],
        f"{empty} is empty (0 bytes); file the real document, or add --allow-empty if an empty file is meant",
    )
    result = started("file", "秘书科", "study-plan", str(empty), "--allow-empty")
    assert result.exit_code == 0, result.output


def test_document_over_the_size_limit_refused(started: Run, db_path: Path, tmp_path: Path) -> None:
    big = tmp_path / "big.pdf"
    with big.open("wb") as f:  # sparse: 300 MB that take no disk
        f.truncate(300 * 1000 * 1000)
    assert_refused(
        started,
        db_path,
        ["file", "秘书科", "study-plan", str(big)],
        f"{big} is larger than the limit of 200 MB (MANYI_MAX_DOCUMENT)",
    )
    small = tmp_path / "small.pdf"
    small.write_bytes(b"x" * 2000)
    before = dump(db_path)
    result = started("file", "秘书科", "study-plan", str(small), env={"MANYI_MAX_DOCUMENT": "1KB"})
    assert result.exit_code == 1
    assert result.stderr == f"Error: {small} is larger than the limit of 1 KB (MANYI_MAX_DOCUMENT)\n"
    result = started("file", "秘书科", "study-plan", str(small), env={"MANYI_MAX_DOCUMENT": "lots"})
    assert result.stderr == "Error: MANYI_MAX_DOCUMENT: 'lots' is not a size like 200MB, 500KB or 1GB\n"
    assert dump(db_path) == before
    assert (
        started("file", "秘书科", "study-plan", str(small), env={"MANYI_MAX_DOCUMENT": "2KB"}).exit_code == 0
    )


def test_a_file_whose_size_changes_while_read_is_refused(started: Run, db_path: Path) -> None:
    # /proc files say 0 bytes and then deliver more: what a file still being written looks like.
    source = Path("/proc/self/status")
    before = dump(db_path)
    result = started("file", "秘书科", "study-plan", str(source), "--allow-empty")
    assert result.exit_code == 1
    message = result.stderr.strip()
    assert "\n" not in message
    assert message.startswith(f"Error: {source} changed while it was being read (0 bytes before, ")
    assert message.endswith(" read); file it again once it is complete")
    assert dump(db_path) == before


def test_extend_to_an_earlier_date_needs_shorten(started: Run, db_path: Path) -> None:
    assert (
        started("extend", "秘书科", "study-plan", "--to", "2026-04-30", "--reason", "材料多").exit_code == 0
    )
    assert_refused(
        started,
        db_path,
        ["extend", "秘书科", "study-plan", "--to", "2026-04-03", "--reason", "改"],
        "--to 2026-04-03 is earlier than the current due date 2026-04-30 of 秘书科 'study-plan'; "
        "add --shorten to move it earlier",
    )
    result = started("extend", "秘书科", "study-plan", "--to", "2026-04-03", "--reason", "改", "--shorten")
    assert result.exit_code == 0, result.output


def test_forced_advance_of_named_offices_needs_from(started: Run, db_path: Path) -> None:
    assert_refused(
        started,
        db_path,
        ["advance", "秘书科", "--force", "--reason", "急"],
        "--force on named offices needs --from PHASE (the phase you saw them in), so that a "
        "repeated command cannot move them a second phase",
    )
    ok = started("advance", "秘书科", "--force", "--reason", "急", "--from", "mobilization")
    assert ok.exit_code == 0, ok.output
    again = started("advance", "秘书科", "--force", "--reason", "急", "--from", "mobilization")
    assert again.exit_code == 1 and "was changed by tester" in again.stderr


def test_forced_advance_of_all_needs_from_and_a_repeat_moves_nobody(started: Run, db_path: Path) -> None:
    assert_refused(
        started,
        db_path,
        ["advance", "--all", "--force", "--reason", "急"],
        "--all --force needs --from PHASE: only the offices still in that phase are moved, so that a "
        "repeated command cannot move anyone a second phase",
    )
    assert (
        started("advance", "秘书科", "--force", "--reason", "先行", "--from", "mobilization").exit_code == 0
    )
    args = ["advance", "--all", "--force", "--reason", "统一推进", "--from", "学习动员阶段", "--json"]
    first = started(*args)
    assert first.exit_code == 0, first.output
    moved = {o["office"]: (o["from"], o["to"]) for o in json.loads(first.stdout)}
    assert "秘书科" not in moved and len(moved) == 5  # already past mobilization: not moved again
    assert set(moved.values()) == {("mobilization", "implementation")}
    before = dump(db_path)
    again = started(*args)  # a retried script: nobody is still in mobilization
    assert again.exit_code == 0 and json.loads(again.stdout) == []
    assert dump(db_path) == before
    states = {r["office"]: r["state"] for r in json.loads(started("status", "--json").stdout)}
    assert set(states.values()) == {"implementation"}


@pytest.mark.parametrize(
    "args",
    [
        ["file", "秘书科", "study-plan", "{doc}"],
        ["advance", "--all"],
        ["advance", "秘书科", "--force", "--reason", "r", "--from", "mobilization"],
        ["office", "add", "人秘科"],
        ["score", "add", "秘书科", "--group", "leading-group", "--score", "90"],
        ["rectify", "add", "秘书科", "整改"],
        ["extend", "秘书科", "study-plan", "--to", "2026-05-01", "--reason", "r"],
        ["inspect", "record", "秘书科", "--kind", "announced", "--date", "2026-03-02", "--finding", "f"],
    ],
    ids=["file", "advance", "force", "office", "score", "rectify", "extend", "inspect"],
)
def test_closed_campaign_refuses_writes(started: Run, db_path: Path, tmp_path: Path, args: list[str]) -> None:
    started("file", "领导小组", "work-plan", doc(tmp_path, "plan.txt"))
    assert started("campaign", "close", "2026", "--reason", "误建").exit_code == 0
    argv = [a.replace("{doc}", doc(tmp_path, "p.txt")) for a in args] + ["--campaign", "2026"]
    assert_refused(
        started,
        db_path,
        argv,
        "campaign '2026' is closed; it accepts no more changes (its history stays readable)",
    )
    assert started("status", "--campaign", "2026").exit_code == 0  # still readable


def _init_all(target: Target, n: int) -> list[subprocess.CompletedProcess[str]]:
    env = {**os.environ, "MANYI_LANG": "en"}
    env.pop("MANYI_NOW", None)
    main = "from cli.main import main; main()"
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", main, "--db", str(target), "init"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
            cwd=Path(__file__).resolve().parents[2],
        )
        for _ in range(n)
    ]
    return [subprocess.CompletedProcess(p.args, p.wait(timeout=120), *p.communicate()) for p in procs]


@pytest.mark.slow
def test_concurrent_init_on_an_empty_database(db_path: Target) -> None:
    results = _init_all(db_path, 4)
    for r in results:
        assert r.returncode == 0, r.stderr
        assert r.stderr == ""
    outs = sorted(r.stdout.split(" ")[0] for r in results)
    assert outs.count("Created") == 1 and outs.count("Database") == 3, outs
    if isinstance(db_path, PgSchema):
        assert "alembic_version" in db_path.tables()


def test_forced_advance_leaves_its_skipped_filings_owed_everywhere(started: Run, tmp_path: Path) -> None:
    import json

    started("file", "秘书科", "implementation-opinion", doc(tmp_path, "o.txt"))
    moved = started("advance", "秘书科", "--force", "--reason", "学习方案后补", "--from", "mobilization")
    assert moved.exit_code == 0, moved.output
    rows = {r["office"]: r for r in json.loads(started("status", "--json").stdout)}
    assert rows["秘书科"]["state"] == "implementation"
    assert rows["秘书科"]["owed"] == ["study-plan"] and rows["秘书科"]["owed_titles"] == ["Study plan"]
    assert rows["信息科"]["owed"] == []  # not moved on: what it lacks blocks it instead
    board = started("status", env={"COLUMNS": "140"}).stdout
    assert "1 owed" in board
    assert "owed: documents of earlier phases the office was moved on without" in board
    out = tmp_path / "report.md"
    assert started("report", "--format", "md", "-o", str(out)).exit_code == 0
    text = out.read_text(encoding="utf-8")
    assert "Owed from earlier phases" in text and "| 秘书科 | Organization & implementation | " in text
    line = next(x for x in text.splitlines() if x.startswith("| 秘书科 | Organization & implementation"))
    assert "Study plan" in line
    forced = next(x for x in text.splitlines() if "学习方案后补" in x)
    assert forced.startswith(
        "| 秘书科 | Study & mobilization | Organization & implementation | Study plan | 学习方案后补 | tester |"
    )
    # filing it later clears the debt
    started("file", "秘书科", "study-plan", doc(tmp_path, "s.txt"))
    rows = {r["office"]: r for r in json.loads(started("status", "--json").stdout)}
    assert rows["秘书科"]["owed"] == []


def test_database_passwords_are_never_printed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from click.testing import CliRunner

    from cli.main import cli
    from tests.backends import PG_SERVER, pg_available_or_fail

    monkeypatch.delenv("MANYI_NOW", raising=False)
    monkeypatch.setenv("MANYI_HOME", str(tmp_path))
    bad = CliRunner().invoke(
        cli, ["--db", "postgresql://clerk:S3cret@host:notaport/db", "--lang", "en", "init"]
    )
    assert bad.exit_code == 1 and "S3cret" not in bad.output and "clerk:***@" in bad.output
    pg_available_or_fail()
    schema = PgSchema().create()
    try:
        # trust authentication ignores the password, so the real server shows what init prints
        url = str(schema).replace("://postgres@", "://postgres:S3cret@", 1)
        assert "S3cret" in url and PG_SERVER.split("@")[1] in url
        result = CliRunner().invoke(cli, ["--db", url, "--lang", "en", "init"])
        assert result.exit_code == 0, result.output
        assert "S3cret" not in result.output and "postgres:***@" in result.output
    finally:
        schema.drop()
