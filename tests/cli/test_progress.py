"""Progress displays: shown on a terminal, never in a pipe (scripts and --json stay clean)."""

from __future__ import annotations

import os
import pty
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import NOW, write_roster

# Slow: the program in a pseudo-terminal (pytest -m 'not slow' leaves it out).
pytestmark = pytest.mark.slow


def manyi(args: list[str], env: dict[str, str], *, terminal: bool) -> str:
    """Run the installed console in a pseudo-terminal (or a pipe); its whole output."""
    cmd = [sys.executable, "-c", "from cli.main import main; main()", *args]
    if not terminal:
        done = subprocess.run(cmd, env=env, capture_output=True, timeout=60)
        assert done.returncode == 0, done.stderr
        return done.stdout.decode()
    leader, follower = pty.openpty()
    proc = subprocess.Popen(cmd, env=env, stdin=follower, stdout=follower, stderr=follower)
    os.close(follower)
    chunks = []
    while True:
        try:
            data = os.read(leader, 4096)
        except OSError:  # EIO: the child closed the terminal
            break
        if not data:
            break
        chunks.append(data)
    os.close(leader)
    assert proc.wait(timeout=60) == 0
    return b"".join(chunks).decode(errors="replace")


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith("MANYI_")}
    base.update(
        MANYI_DB=str(tmp_path / "p.db"),
        MANYI_NOW="2026-04-02T10:00",
        MANYI_LANG="en",
        MANYI_USER="tester",
        TERM="xterm-256color",
        COLUMNS="100",
    )
    roster = write_roster(tmp_path / "r.csv", [("秘书科", "mishu@example.gov.cn", "陈科长")])
    subprocess.run(
        [
            sys.executable,
            "-c",
            "from cli.main import main; main()",
            "campaign",
            "start",
            "people-satisfied-unit",
            "--name",
            "2026",
            "--start",
            "2026-03-01",
            "--offices",
            str(roster),
            "--rehearsal",
        ],
        env={**base, "MANYI_NOW": NOW},
        check=True,
        capture_output=True,
    )
    return base


@pytest.mark.parametrize(
    "args,label",
    [
        (["remind", "send"], "Sweeping reminders"),
        (["report", "--format", "md"], "Writing the report"),
        (["audit", "verify"], "Verifying the history"),
    ],
)
def test_progress_on_a_terminal_only(env: dict[str, str], args: list[str], label: str) -> None:
    shown = manyi(args, env, terminal=True)
    assert label in shown
    piped = manyi(args, env, terminal=False)
    assert label not in piped and "\x1b[" not in piped
