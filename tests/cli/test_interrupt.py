"""Ctrl-C: exit 130 and one line saying what had been saved, checked against the database.

Real processes get a real SIGINT at several points of long commands: part-way through
a one-transaction import (nothing may be saved), and part-way through a reminder
sweep whose mail goes to a slow SMTP server on loopback (each mail is committed as
sent on its own, so the line must count exactly the mails the database says were sent).
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from datetime import date, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

from cli.main import cli
from tests.conftest import write_roster
from tests.smtpd import SmtpServer

# Slow: real processes interrupted with Ctrl-C (pytest -m 'not slow' leaves it out).
pytestmark = pytest.mark.slow

OFFICES = [(f"第{i}科", f"office{i}@example.gov.cn", f"科长{i}") for i in range(8)]


def _env(db: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MANYI_")}
    env.update(
        MANYI_DB=str(db),
        MANYI_LANG="en",
        MANYI_USER="督查室",
        MANYI_CACHE_DIR=os.environ.get("MANYI_CACHE_DIR", ""),
        **extra,
    )
    return env


def _start(db: Path, home: Path) -> None:
    """A campaign started 40 days ago: every office's first filings are late (real clock)."""
    roster = write_roster(home / "roster.csv", OFFICES)
    result = CliRunner().invoke(
        cli,
        [
            "--db",
            str(db),
            "--lang",
            "en",
            "campaign",
            "start",
            "people-satisfied-unit",
            "--name",
            "2026",
            "--start",
            (date.today() - timedelta(days=40)).isoformat(),
            "--offices",
            str(roster),
            "--set",
            "leading-group-email=duchashi@example.gov.cn",
        ],
        env={"MANYI_NOW": None},
    )
    assert result.exit_code == 0, result.output


def _spawn(args: list[str], env: dict[str, str], cwd: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [str(Path(sys.executable).parent / "manyi"), *args],
        env=env,
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _cpu_seconds(pid: int) -> float:
    with open(f"/proc/{pid}/stat") as fh:
        fields = fh.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _count(db: Path, sql: str) -> int:
    with sqlite3.connect(db) as conn:
        return int(conn.execute(sql).fetchone()[0])


@pytest.mark.parametrize("cpu", [0.9, 1.6])
def test_interrupted_import_saves_nothing_and_says_so(tmp_path: Path, cpu: float) -> None:
    db = tmp_path / "manyi.db"
    _start(db, tmp_path)
    before = _count(db, "select count(*) from section"), _count(db, "select count(*) from event")
    big = write_roster(
        tmp_path / "big.csv", [(f"科室{i}", f"o{i}@example.gov.cn", f"负责人{i}") for i in range(50000)]
    )
    proc = _spawn(["office", "import", str(big)], _env(db), tmp_path)
    # Past start-up and into the work (CPU time, not wall time: the machine may be busy).
    while proc.poll() is None and _cpu_seconds(proc.pid) < cpu:
        time.sleep(0.02)
    assert proc.poll() is None, "the import finished before it could be interrupted"
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert err.strip().splitlines() == ["Interrupted: nothing was saved."]
    assert "Traceback" not in err and "Aborted" not in err
    assert (_count(db, "select count(*) from section"), _count(db, "select count(*) from event")) == before


@pytest.mark.parametrize("after_mails", [1, 3])
def test_interrupted_sweep_counts_the_mails_already_sent(tmp_path: Path, after_mails: int) -> None:
    db = tmp_path / "manyi.db"
    _start(db, tmp_path)
    with SmtpServer(delay=0.4) as server:
        proc = _spawn(
            ["remind", "send"],
            _env(db, MANYI_SMTP_URL=server.url, MANYI_MAIL_FROM="督查室 <dcs@example.gov.cn>"),
            tmp_path,
        )
        deadline = time.monotonic() + 120
        while len(server.inbox.received) < after_mails:
            assert proc.poll() is None, proc.communicate()
            assert time.monotonic() < deadline
            time.sleep(0.02)
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=60)
        delivered = len(server.inbox.received)
    assert proc.returncode == 130, err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in err, err
    sent = _count(db, "select count(*) from mail where status = 'sent'")
    queued = _count(db, "select count(*) from mail")
    assert queued == len(OFFICES) + 1  # one digest per office and the leading group's, all kept
    assert after_mails - 1 <= sent <= delivered
    mails = (
        f"{sent} reminder mails sent and marked so (the rest wait in the outbox for the next sweep); "
        if sent
        else ""
    )
    assert lines == [
        f"Interrupted: already saved: {mails}the due reminders, queued in the outbox; nothing after that."
    ]
