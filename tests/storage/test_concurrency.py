"""Concurrent consoles, as real processes racing on one database (SQLite and PostgreSQL).

Each racer imports manyi, then waits on a start gate (a file) so that all of
them enter the command within a millisecond or two of each other.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.backends import Target, execute
from tests.conftest import NOW, Run, doc

# Slow: racing processes (pytest -m 'not slow' leaves it out).
pytestmark = pytest.mark.slow

N = 5
ROOT = Path(__file__).resolve().parents[2]
GATED = (
    "import os, sys, time\n"
    "from cli.main import main\n"
    "import storage.db, workflow.usecases.advancing, storage.repo  # warm imports before the gate\n"
    "gate = os.environ['RACE_GATE']\n"
    "while not os.path.exists(gate):\n"
    "    time.sleep(0.0005)\n"
    "sys.argv = ['manyi'] + sys.argv[1:]\n"
    "main()\n"
)


def race(
    db_path: Target, tmp_path: Path, commands: list[list[str]]
) -> list[subprocess.CompletedProcess[str]]:
    """Start one process per command, release them together, wait for all."""
    gate = tmp_path / f"gate-{time.monotonic_ns()}"
    env = {
        **os.environ,
        "RACE_GATE": str(gate),
        "MANYI_NOW": NOW,
        "MANYI_LANG": "en",
        "PYTHONPATH": str(ROOT),
    }
    env.pop("MANYI_USER", None)
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", GATED, "--db", str(db_path), *cmd],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            encoding="utf-8",
        )
        for cmd in commands
    ]
    time.sleep(1.5)  # let every racer finish importing and reach the gate
    gate.touch()
    out = []
    for p in procs:
        stdout, stderr = p.communicate(timeout=120)
        out.append(subprocess.CompletedProcess(p.args, p.returncode, stdout, stderr))
    return out


def events(db_path: Target, action: str) -> list[tuple]:
    return execute(
        db_path, "SELECT seq, actor, office FROM event WHERE action = :a ORDER BY seq", {"a": action}
    )


def assert_chain_verifies(run: Run) -> None:
    result = run("audit", "verify")
    assert result.exit_code == 0, result.output


CONFLICT = re.compile(
    r"^Error: 秘书科 was changed by (clerk\d) at 20\d\d-\d\d-\d\d [\d:]{8}; re-check and retry$"
)


def ready_to_advance(run: Run, tmp_path: Path) -> None:
    for req in ("study-plan", "implementation-opinion"):
        assert run("file", "秘书科", req, doc(tmp_path, f"{req}.txt", req)).exit_code == 0


def test_racing_advances_land_once(started: Run, db_path: Target, tmp_path: Path) -> None:
    ready_to_advance(started, tmp_path)
    # research-report filed too, so a late racer *could* move it a second phase on
    # if it did not say which transition it meant.
    assert started("file", "秘书科", "research-report", doc(tmp_path, "r.txt")).exit_code == 0
    results = race(
        db_path,
        tmp_path,
        [["--as", f"clerk{i}", "advance", "秘书科", "--from", "mobilization"] for i in range(N)],
    )
    winners = [r for r in results if r.returncode == 0]
    losers = [r for r in results if r.returncode != 0]
    assert len(winners) == 1, [(r.returncode, r.stdout, r.stderr) for r in results]
    assert winners[0].stdout == (
        "秘书科: Study & mobilization → Organization & implementation\n1 advanced, 0 blocked.\n"
    )
    winner = winners[0].args[winners[0].args.index("--as") + 1]
    for r in losers:
        assert r.returncode == 1 and r.stdout == ""
        m = CONFLICT.match(r.stderr.strip())
        assert m, r.stderr
        assert m.group(1) == winner
    moved = events(db_path, "advance")
    assert [(actor, office) for _seq, actor, office in moved] == [(winner, "秘书科")]
    st = {row["office"]: row["state"] for row in json.loads(started("status", "--json").stdout)}
    assert st["秘书科"] == "implementation"
    assert_chain_verifies(started)


def test_racing_advances_without_from_never_skip_a_phase(
    started: Run, db_path: Target, tmp_path: Path
) -> None:
    ready_to_advance(started, tmp_path)
    results = race(db_path, tmp_path, [["--as", f"clerk{i}", "advance", "秘书科"] for i in range(N)])
    codes = sorted(r.returncode for r in results)
    # One moves it; the others either lost the race (1, conflict) or came after it
    # and found implementation's guard closed (3, blocked). Never two transitions.
    assert codes.count(0) == 1, [(r.returncode, r.stderr) for r in results]
    assert set(codes) <= {0, 1, 3}
    for r in results:
        if r.returncode == 1:
            assert CONFLICT.match(r.stderr.strip()), r.stderr
    assert len(events(db_path, "advance")) == 1
    assert_chain_verifies(started)


def test_racing_filings_all_land_in_one_chain(started: Run, db_path: Target, tmp_path: Path) -> None:
    paths = [doc(tmp_path, f"plan-{i}.txt", f"方案 {i}") for i in range(N)]
    before = execute(db_path, "SELECT max(seq) FROM event")[0][0]
    results = race(
        db_path, tmp_path, [["--as", f"clerk{i}", "file", "秘书科", "study-plan", paths[i]] for i in range(N)]
    )
    assert [r.returncode for r in results] == [0] * N, [r.stderr for r in results]
    filed = events(db_path, "file")
    # Each filing is its own intent: N filings, N events, consecutive seqs, no fork.
    assert sorted(actor for _s, actor, _o in filed) == [f"clerk{i}" for i in range(N)]
    assert [seq for seq, _a, _o in filed] == list(range(before + 1, before + N + 1))
    assert execute(db_path, "SELECT count(*) FROM filing")[0][0] == N
    assert_chain_verifies(started)


def test_racing_campaign_wide_advance_and_single(started: Run, db_path: Target, tmp_path: Path) -> None:
    for office in ("秘书科", "信息科"):
        for req in ("study-plan", "implementation-opinion"):
            assert started("file", office, req, doc(tmp_path, f"{office}{req}.txt", req)).exit_code == 0
    results = race(
        db_path,
        tmp_path,
        [
            ["--as", "clerk0", "advance", "--all"],
            ["--as", "clerk1", "advance", "秘书科", "--from", "mobilization"],
            ["--as", "clerk2", "advance", "信息科", "--from", "mobilization"],
        ],
    )
    assert all(r.returncode in (0, 1, 3) for r in results), [r.stderr for r in results]
    moved = sorted(office for _s, _a, office in events(db_path, "advance"))
    assert moved == ["信息科", "秘书科"]  # each moved exactly once, whoever won
    assert_chain_verifies(started)


def test_racing_confirmations_land_once(started: Run, db_path: Target, tmp_path: Path) -> None:
    assert started("rectify", "add", "秘书科", "窗口服务态度").exit_code == 0
    assert started("rectify", "done", "1", "--evidence", doc(tmp_path, "e.txt", "佐证")).exit_code == 0
    results = race(db_path, tmp_path, [["--as", f"clerk{i}", "rectify", "confirm", "1"] for i in range(N)])
    winners = [r for r in results if r.returncode == 0]
    assert len(winners) == 1, [(r.returncode, r.stderr) for r in results]
    winner = winners[0].args[winners[0].args.index("--as") + 1]
    for r in results:
        if r.returncode != 0:
            assert r.returncode == 1
            assert re.match(
                rf"^Error: item #1 was changed by {winner} at [\d: -]{{19}}; re-check and retry$",
                r.stderr.strip(),
            ), r.stderr
    assert [a for _s, a, _o in events(db_path, "rectify-confirm")] == [winner]
    assert_chain_verifies(started)


def test_racing_done_reports_land_once(started: Run, db_path: Target, tmp_path: Path) -> None:
    assert started("rectify", "add", "秘书科", "窗口服务态度").exit_code == 0
    paths = [doc(tmp_path, f"e{i}.txt", f"佐证 {i}") for i in range(N)]
    results = race(
        db_path,
        tmp_path,
        [["--as", f"clerk{i}", "rectify", "done", "1", "--evidence", paths[i]] for i in range(N)],
    )
    assert sorted(r.returncode for r in results) == [0] + [1] * (N - 1), [r.stderr for r in results]
    assert len(events(db_path, "rectify-done")) == 1
    assert_chain_verifies(started)
