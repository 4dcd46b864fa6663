"""One bad campaign, address or recipient fails alone: the rest of the sweep goes out."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.backends import execute
from tests.conftest import Run, dump, write_roster
from tests.smtpd import SmtpServer, free_port

FROM = '"市政府办公室督查室" <duchashi@example.gov.cn>'
LATE = "2026-04-02T10:00:00+08:00"  # 10 days after the offices' 2026-03-23 due date
REFUSED = "gone@example.gov.cn"


def at(when: str = LATE, **extra: str) -> dict[str, str]:
    return {"MANYI_NOW": when, "MANYI_MAIL_FROM": FROM, **extra}


@pytest.fixture
def crowd(run: Run, tmp_path: Path, db_path: object) -> Run:
    """Campaign 2026 with 50 good offices, one refused by the server and one with a non-ASCII address
    (planted by SQL, as an older manyi accepted it); campaign 'poison' whose name holds CR/LF."""
    rows = [(f"科室{i:02d}", f"office{i:02d}@example.gov.cn", f"负责人{i}") for i in range(50)]
    rows += [("已撤销科室", REFUSED, "王"), ("王主任科", "wang@example.gov.cn", "王")]
    roster = write_roster(tmp_path / "roster.csv", rows)
    assert (
        run(
            "campaign",
            "start",
            "people-satisfied-unit",
            "--name",
            "2026",
            "--start",
            "2026-03-01",
            "--offices",
            str(roster),
        ).exit_code
        == 0
    )
    other = write_roster(tmp_path / "other.csv", [("毒科", "poison@example.gov.cn", "李")])
    assert (
        run(
            "campaign",
            "start",
            "people-satisfied-unit",
            "--name",
            "poison",
            "--start",
            "2026-03-01",
            "--offices",
            str(other),
        ).exit_code
        == 0
    )
    execute(db_path, "UPDATE section SET email = '王主任@example.gov.cn' WHERE name = '王主任科'")  # type: ignore[arg-type]
    execute(
        db_path,
        "UPDATE campaign SET name = :n WHERE name = 'poison'",  # type: ignore[arg-type]
        {"n": "poison\r\nBcc: spy@example.org"},
    )
    return run


def test_sweep_delivers_the_good_50_and_says_why_for_each_failure(crowd: Run) -> None:
    with SmtpServer(refuse={REFUSED: "550 5.1.1 <gone@example.gov.cn>: mailbox unavailable"}) as server:
        result = crowd("remind", "send", env=at(MANYI_SMTP_URL=server.url))
        delivered = {addr for _f, rcpts, _m in server.inbox.received for addr in rcpts}
    assert result.exit_code == 4, result.output
    assert delivered == {f"office{i:02d}@example.gov.cn" for i in range(50)}
    assert "50 sent, 3 failed." in result.stdout
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 3
    assert any(
        line.startswith(
            "failed: campaign 'poison\\x0d\\x0aBcc: spy@example.org' → poison@example.gov.cn: "
            "cannot compose the reminder: Header values may not contain linefeed"
        )
        and line.endswith("(not retried)")
        for line in lines
    ), lines
    assert (
        "failed: campaign '2026' → 王主任@example.gov.cn: cannot compose the reminder: recipient: "
        "'王主任@example.gov.cn' has non-ASCII "
        "characters before the @; manyi sends mail without SMTPUTF8, ask for an ASCII address "
        "(not retried)"
    ) in lines, lines
    assert (
        f"failed: campaign '2026' → {REFUSED}: the mail server 127.0.0.1:{server.port} refused: recipient "
        f"{REFUSED}: 550 5.1.1 <gone@example.gov.cn>: mailbox unavailable (not retried)"
    ) in lines, lines
    rows = json.loads(crowd("outbox", "--json").stdout)
    by_to = {r["to"]: r for r in rows}
    assert {r["status"] for r in rows if r["to"].startswith("office")} == {"sent"}
    for bad in (REFUSED, "王主任@example.gov.cn", "poison@example.gov.cn"):
        assert by_to[bad]["status"] == "undeliverable"
        assert "{" not in by_to[bad]["last_error"] and "(550," not in by_to[bad]["last_error"]
    assert by_to[REFUSED]["last_error"].endswith("550 5.1.1 <gone@example.gov.cn>: mailbox unavailable")

    # Permanent failures are not retried: a later sweep and `outbox retry` send nothing more.
    with SmtpServer(port=server.port) as again:
        later = crowd("remind", "send", env=at(MANYI_SMTP_URL=again.url))
        retried = crowd("outbox", "retry", env=at(MANYI_SMTP_URL=again.url))
        assert again.inbox.received == []
    assert later.exit_code == 0, later.output
    assert retried.exit_code == 0 and retried.stdout.strip() == "Retried: 0 sent, 0 failed."


def test_a_4xx_reply_is_retried_and_a_5xx_is_not(run: Run, tmp_path: Path) -> None:
    rows = [("甲科", "busy@example.gov.cn", "甲"), ("乙科", "gone@example.gov.cn", "乙")]
    assert (
        run(
            "campaign",
            "start",
            "people-satisfied-unit",
            "--name",
            "2026",
            "--start",
            "2026-03-01",
            "--offices",
            str(write_roster(tmp_path / "r.csv", rows)),
        ).exit_code
        == 0
    )
    port = free_port()
    refuse = {"busy@example.gov.cn": "451 4.3.0 try again later", "gone@example.gov.cn": "550 no such user"}
    with SmtpServer(port=port, refuse=refuse):
        result = run("remind", "send", env=at(MANYI_SMTP_URL=f"smtp://127.0.0.1:{port}"))
    assert result.exit_code == 4
    assert (
        f"busy@example.gov.cn: the mail server 127.0.0.1:{port} refused: recipient busy@example.gov.cn: 451 4.3.0 "
        "try again later (retried later)" in result.stderr
    )
    status = {r["to"]: r["status"] for r in json.loads(run("outbox", "--json").stdout)}
    assert status == {"busy@example.gov.cn": "failed", "gone@example.gov.cn": "undeliverable"}
    with SmtpServer(port=port) as server:
        result = run("outbox", "retry", env=at(MANYI_SMTP_URL=f"smtp://127.0.0.1:{port}"))
        assert [r for _f, r, _m in server.inbox.received] == [["busy@example.gov.cn"]]
    assert result.stdout.strip() == "Retried: 1 sent, 0 failed."


@pytest.mark.slow
def test_time_budget_bounds_a_slow_server(run: Run, tmp_path: Path) -> None:
    rows = [(f"科{i}", f"o{i}@example.gov.cn", "x") for i in range(6)]
    assert (
        run(
            "campaign",
            "start",
            "people-satisfied-unit",
            "--name",
            "2026",
            "--start",
            "2026-03-01",
            "--offices",
            str(write_roster(tmp_path / "r.csv", rows)),
        ).exit_code
        == 0
    )
    # The server answers the first message at once and holds the second's recipient unanswered:
    # the budget runs out while the sender waits on it (a fixed delay per recipient raced the
    # budget against the machine's speed). 3 s: the budget also covers the claims and the first
    # message, which a loaded machine can stretch past 1 s.
    with SmtpServer(hold=("RCPT", 2)) as server:
        result = run("remind", "send", env=at(MANYI_SMTP_URL=server.url, MANYI_SWEEP_BUDGET="3"))
        first = len(server.inbox.received)
        assert server.inbox.held.is_set()
    assert first == 1
    status = [r["status"] for r in json.loads(run("outbox", "--json").stdout)]
    # the message on the wire when the budget ran out timed out (retried later); the rest were not tried
    assert (status.count("sent"), status.count("failed"), status.count("pending")) == (1, 1, 4)
    assert "4 messages wait for the next sweep" in result.stdout
    assert result.exit_code == 4, result.output
    with SmtpServer(port=server.port) as server2:
        later = run("remind", "send", env=at("2026-04-02T10:05:00+08:00", MANYI_SMTP_URL=server2.url))
        assert later.exit_code == 0, later.output
        assert len(server2.inbox.received) == 6 - first


def test_smtp_needs_a_sender_and_never_prints_the_password(started: Run, db_path: object) -> None:
    before = dump(db_path)  # type: ignore[arg-type]
    result = started("remind", "send", env={"MANYI_NOW": LATE, "MANYI_SMTP_URL": "smtp://127.0.0.1:25"})
    assert result.exit_code == 1
    assert result.stderr == (
        "Error: MANYI_MAIL_FROM: must be set when MANYI_SMTP_URL is: the address reminders come from, like "
        "督查室 <dcs@example.gov.cn> (mail servers refuse manyi@localhost)\n"
    )
    for url in (
        "smtp://clerk:S3cret!pw@mail.example.gov.cn:notaport",
        "smtp://clerk:S3c/ret@mail.example.gov.cn:25",
        "smtpx://clerk:S3cret@mail.example.gov.cn",
    ):
        result = started("remind", "send", env=at(MANYI_SMTP_URL=url))
        assert result.exit_code == 1
        assert "S3c" not in result.output and "clerk:***@" in result.stderr, result.stderr
        assert len(result.stderr.splitlines()) == 1
    assert dump(db_path) == before  # type: ignore[arg-type]
