"""``manyi scheduler run`` as real processes: SIGKILL and restart, two at once, clean SIGTERM."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest

from tests.conftest import write_roster
from tests.smtpd import SmtpServer, body

MANYI = str(Path(sys.executable).parent / "manyi")
NOW = "2026-04-02T10:00:00+08:00"  # 10 days past the offices' due date: everything is due at once
OFFICES = [f"第{i}科" for i in range(1, 13)]


def manyi(db: Path, *args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [MANYI, "--db", str(db), "--lang", "en", *args], env=env, text=True, capture_output=True, timeout=120
    )


@pytest.fixture
def setup(tmp_path: Path) -> tuple[Path, dict[str, str]]:
    db = tmp_path / "manyi.db"
    env = {k: v for k, v in os.environ.items() if not k.startswith("MANYI_")}
    env.update(
        MANYI_NOW=NOW, MANYI_LANG="en", MANYI_USER="tester", MANYI_MAIL_FROM='"督查室" <dcs@example.gov.cn>'
    )
    roster = write_roster(
        tmp_path / "r.csv", [(n, f"o{i}@example.gov.cn", "科长") for i, n in enumerate(OFFICES)]
    )
    result = manyi(
        db,
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
        "--set",
        "leading-group-email=lg@example.gov.cn",
        env=env,
    )
    assert result.returncode == 0, result.stderr
    return db, env


def start(db: Path, env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("ab") as out:  # the child keeps its own copy of the descriptor
        return subprocess.Popen(
            [MANYI, "--db", str(db), "scheduler", "run", "--interval", "0.3"],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )


def wait_for(predicate, timeout: float = 60.0) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.1)
    raise AssertionError("timed out")


def outbox(db: Path, env: dict[str, str]) -> list[dict]:
    result = manyi(db, "outbox", "--json", env=env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def all_sent(db: Path, env: dict[str, str]) -> bool:
    rows = outbox(db, env)
    return bool(rows) and all(r["status"] == "sent" for r in rows)


def check_exactly_once(server: SmtpServer, db: Path, env: dict[str, str]) -> None:
    rows = outbox(db, env)
    received = server.inbox.received
    ids = Counter(str(m["Message-ID"]) for _f, _t, m in received)
    assert ids and max(ids.values()) == 1, ids
    assert set(ids) == {r["message_id"] for r in rows}
    per_office = Counter(tuple(to) for _f, to, _m in received)
    assert per_office == Counter(
        {(f"o{i}@example.gov.cn",): 1 for i in range(12)} | {("lg@example.gov.cn",): 1}
    )
    lg = next(m for _f, to, m in received if to == ["lg@example.gov.cn"])
    for office in OFFICES:
        assert body(lg).count(f"{office}：活动实施意见") == 1


def kill_when_held_then_restart(server: SmtpServer, db: Path, env: dict[str, str], tmp_path: Path) -> int:
    """A scheduler SIGKILLed while the server holds its reply, then a second one run until
    everything is sent and stopped with SIGTERM. Returns how many messages had arrived at the kill."""
    first = start(db, env, tmp_path / "first.log")
    assert server.inbox.held.wait(60), (tmp_path / "first.log").read_text()
    first.send_signal(signal.SIGKILL)
    first.wait()
    server.inbox.release.set()
    at_kill = len(server.inbox.received)
    second = start(db, env, tmp_path / "second.log")
    wait_for(lambda: all_sent(db, env))
    second.send_signal(signal.SIGTERM)
    assert second.wait(timeout=30) == 0
    return at_kill


@pytest.mark.slow
def test_sigkill_mid_run_then_restart_sends_each_reminder_once(setup, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    db, env = setup
    # The server holds the 4th recipient unanswered: three messages were accepted (and, each
    # right after its 250, marked sent), the rest of the batch is claimed and not sent.
    with SmtpServer(hold=("RCPT", 4)) as server:
        env = {**env, "MANYI_SMTP_URL": server.url}
        assert kill_when_held_then_restart(server, db, env, tmp_path) == 3
        check_exactly_once(server, db, env)
    log = (tmp_path / "second.log").read_text()
    assert "signal SIGTERM: stopping after the current sweep" in log and "Scheduler stopped." in log


@pytest.mark.slow
def test_sigkill_after_the_server_kept_a_message_resends_only_that_one_under_its_message_id(
    setup, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    """The design's one at-least-once window (docs/reminders.md): the server kept the 3rd
    message and the sender died before its 250 came back, so it was never marked sent."""
    db, env = setup
    with SmtpServer(hold=("DATA", 3)) as server:
        env = {**env, "MANYI_SMTP_URL": server.url}
        assert kill_when_held_then_restart(server, db, env, tmp_path) == 3
        kept = str(server.inbox.received[2][2]["Message-ID"])
        ids = Counter(str(m["Message-ID"]) for _f, _t, m in server.inbox.received)
        assert ids[kept] == 2  # sent again, under the same Message-ID
        assert {i: n for i, n in ids.items() if n > 1} == {kept: 2}
        assert set(ids) == {r["message_id"] for r in outbox(db, env)}
        assert len(ids) == 13


@pytest.mark.slow
def test_two_schedulers_on_one_sqlite_database(setup, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    db, env = setup
    with SmtpServer(delay=0.02) as server:
        env = {**env, "MANYI_SMTP_URL": server.url}
        procs = [start(db, env, tmp_path / f"p{i}.log") for i in range(2)]
        try:
            wait_for(lambda: all_sent(db, env))
            # Both are running (each has taken or been refused the lease), so both have their
            # signal handlers: one still importing would die of SIGINT with exit 130.
            wait_for(
                lambda: all(
                    "holds the lease and sweeps" in (tmp_path / f"p{i}.log").read_text()
                    or "another scheduler holds the lease" in (tmp_path / f"p{i}.log").read_text()
                    for i in range(2)
                )
            )
            time.sleep(1.0)  # both keep sweeping; nothing more may go out
        finally:
            for p in procs:
                p.send_signal(signal.SIGINT)
            codes = [p.wait(timeout=30) for p in procs]
        assert codes == [0, 0]
        check_exactly_once(server, db, env)


@pytest.mark.slow
def test_the_scheduler_reads_the_mailbox_on_its_interval(
    setup: tuple[Path, dict[str, str]], tmp_path: Path
) -> None:
    from tests.mailmaker import deliver_maildir, reply

    db, env = setup
    maildir = tmp_path / "Maildir"
    deliver_maildir(
        maildir,
        reply(
            None,
            "o0@example.gov.cn",
            "第1科",
            [("学习计划.docx", b"PK")],
            subject="回复：学习计划 [manyi:2026/第1科/study-plan]",
        ),
    )
    env = {**env, "MANYI_INBOX": str(maildir)}
    proc = start(db, env, tmp_path / "scheduler.log")
    try:

        def listed() -> list[dict]:
            result = manyi(db, "inbox", "list", "--json", env=env)
            return json.loads(result.stdout) if result.returncode == 0 else []

        wait_for(lambda: bool(listed()))
        (row,) = listed()
        assert (row["office"], row["requirement"], row["status"]) == ("第1科", "study-plan", "received")
        deliver_maildir(
            maildir,
            reply(
                None,
                "o1@example.gov.cn",
                "第2科",
                [("计划.docx", b"PK2")],
                subject="回复：学习计划 [manyi:2026/第2科/study-plan]",
                message_id="<second@x>",
            ),
        )
        wait_for(lambda: len(listed()) == 2)  # the next interval takes the new one in, and only it
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(30)
    log = (tmp_path / "scheduler.log").read_text("utf-8")
    assert "1 new (1 matched" in log and "Scheduler stopped." in log
    assert [r["status"] for r in listed()] == ["received", "received"]  # nothing accepted by itself
