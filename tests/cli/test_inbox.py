"""Offices answer by mail: replies to the reminders manyi really sent, taken in from a real Maildir.

Each reply is built as a Chinese client writes it (tests/mailmaker.py) around the
bytes manyi wrote into its outbox; refusals are mailed back through a real SMTP
server on loopback (aiosmtpd).
"""

from __future__ import annotations

import email
import email.policy
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.backends import Target, execute, outbox_in, stored_document
from tests.conftest import FORMAT1_SEED, Run, write_roster
from tests.mailmaker import deliver_maildir, reply
from tests.smtpd import SmtpServer, body

FROM = '"市政府办公室督查室" <duchashi@example.gov.cn>'
MISHU = "mishu@example.gov.cn"
DOCX = "关于开展学习活动的计划（秘书科）.docx"
CONTENT = b"PK\x03\x04 a real .docx would be a zip; these bytes stand for it"


def env(when: str, maildir: Path, **extra: str) -> dict[str, str]:
    return {"MANYI_NOW": when, "MANYI_MAIL_FROM": FROM, "MANYI_INBOX": str(maildir), **extra}


@pytest.fixture
def office(run: Run, tmp_path: Path) -> Run:
    """Two offices; 秘书科 has filed its implementation opinion, so its reminder names the study plan only."""
    roster = write_roster(
        tmp_path / "roster.csv",
        [("秘书科", MISHU, "陈科长"), ("市法制办公室", "fazhi@example.gov.cn", "赵主任")],
    )
    # The format-1 seed: its guards are the filings, so an accepted reply is what moves an office on.
    assert (
        run(
            "campaign",
            "start",
            str(FORMAT1_SEED),
            "--name",
            "2026",
            "--start",
            "2026-03-01",
            "--offices",
            str(roster),
        ).exit_code
        == 0
    )
    (tmp_path / "o.txt").write_text("实施意见", "utf-8")
    assert run("file", "秘书科", "implementation-opinion", str(tmp_path / "o.txt")).exit_code == 0
    result = run("remind", "send", env=env("2026-03-16T10:00", tmp_path / "Maildir"))
    assert result.exit_code == 0, result.output
    return run


def sent_to(tmp_path: Path, address: str) -> bytes:
    (path,) = [p for p in sorted(outbox_in(tmp_path).glob("*.eml")) if address in p.name]
    return path.read_bytes()


def listing(run: Run, tmp_path: Path) -> list[dict[str, object]]:
    result = run("inbox", "list", "--json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)  # type: ignore[no-any-return]


def test_reply_to_a_real_reminder_is_taken_in_once_listed_accepted_and_the_guard_holds(
    office: Run, tmp_path: Path, db_path: Target
) -> None:
    maildir = tmp_path / "Maildir"
    original = sent_to(tmp_path, MISHU)
    sent = email.message_from_bytes(original, policy=email.policy.default)
    assert str(sent["Subject"]).endswith(" [manyi:2026/秘书科/study-plan]")
    deliver_maildir(maildir, reply(original, MISHU, "秘书科", [(DOCX, CONTENT)], style="2231"))
    late = env("2026-03-16T15:10", maildir)
    first = office("inbox", "fetch", env=late)
    assert first.exit_code == 0, first.output
    assert "1 new (1 matched, 0 unmatched, 0 quarantined, 0 refused), 1 submissions received" in first.stdout
    again = office("inbox", "fetch", env=late)
    assert "1 messages, 0 new" in again.stdout
    assert execute(db_path, "SELECT count(*) FROM submission") == [(1,)]
    (row,) = listing(office, tmp_path)
    assert (row["id"], row["status"], row["office"], row["requirement"], row["filename"], row["from"]) == (
        1,
        "received",
        "秘书科",
        "study-plan",
        DOCX,
        MISHU,
    )
    # received is not filed: the guard still holds the office back, and the board says what waits
    blocked = office("advance", "秘书科", "--dry-run")
    assert blocked.exit_code == 3 and "study-plan" in blocked.stdout
    board = office("status")
    assert "Received by mail, waiting to be accepted (manyi inbox list): 秘书科 1" in board.stdout
    report = office("report")
    assert f"| 秘书科 | Study plan | {DOCX} | {MISHU} |" in report.stdout

    accepted = office("inbox", "accept", "1", env=late)
    assert accepted.exit_code == 0, accepted.output
    assert f"Accepted submission 1: filed 'Study plan' for 秘书科: {DOCX}" in accepted.stdout
    moved = office("advance", "秘书科", "--dry-run")
    assert moved.exit_code == 0, moved.output
    history = json.loads(office("history", "秘书科", "--json").stdout)
    filed = history[-1]
    assert filed["action"] == "file" and filed["detail"]["mail"] == "<r1@office.example.gov.cn>"
    assert filed["detail"]["from"] == MISHU and filed["detail"]["filename"] == DOCX
    assert stored_document(db_path, filed["detail"]["sha256"]) == CONTENT
    linked = "SELECT count(*) FROM submission s JOIN filing f ON f.id = s.filing_id AND f.sha256 = s.sha256"
    assert execute(db_path, linked) == [(1,)]
    twice = office("inbox", "accept", "1")
    assert twice.exit_code == 1 and "submission 1 is already accepted" in twice.stderr
    assert office("audit", "verify").exit_code == 0
    assert "Received by mail" not in office("status").stdout


@pytest.mark.parametrize("style", ["2047", "2231", "raw"])
def test_chinese_file_names_in_every_encoding_clients_use(office: Run, tmp_path: Path, style: str) -> None:
    maildir = tmp_path / "Maildir"
    deliver_maildir(
        maildir,
        reply(
            None,
            MISHU,
            "秘书科",
            [(DOCX, CONTENT), ("winmail.dat", b"\x78\x9f\x3e\x22")],
            subject="回复：学习计划 [manyi:2026/秘书科/study-plan]",
            style=style,
            raw_subject=style == "raw",
        ),
    )
    assert office("inbox", "fetch", env=env("2026-03-16T15:10", maildir)).exit_code == 0
    (row,) = listing(office, tmp_path)
    assert row["filename"] == DOCX and row["requirement"] == "study-plan"
    assert row["notes"] == [
        "winmail.dat (Outlook winmail.dat) ignored: ask the office to send plain attachments"
    ]


def test_a_stranger_is_quarantined_and_nothing_is_filed(office: Run, tmp_path: Path, db_path: Target) -> None:
    maildir = tmp_path / "Maildir"
    original = sent_to(tmp_path, MISHU)
    deliver_maildir(maildir, reply(original, "someone@qq.com", "秘书科", [(DOCX, CONTENT)]))
    result = office("inbox", "fetch", env=env("2026-03-16T15:10", maildir))
    assert "1 quarantined" in result.stdout and "0 submissions received" in result.stdout
    (row,) = listing(office, tmp_path)
    assert row["id"] is None and row["status"] == "quarantined" and row["office"] == "秘书科"  # as it claims
    assert row["reason"] == (
        "sender someone@qq.com is not on the roster of 秘书科 (add it with `manyi inbox allow`)"
    )
    assert execute(db_path, "SELECT count(*) FROM submission") == [(0,)]
    # kept whole: the raw message is in the blob store
    (sha,) = execute(db_path, "SELECT raw_sha256 FROM inbound_message")[0]
    assert sha == row["sha256"]
    # once the address is added to the office, its next mail is taken in
    assert office("inbox", "allow", "秘书科", "Someone@QQ.com").exit_code == 0
    deliver_maildir(
        maildir, reply(original, "someone@qq.com", "秘书科", [(DOCX, CONTENT)], message_id="<again@qq.com>")
    )
    assert "1 matched" in office("inbox", "fetch", env=env("2026-03-16T16:00", maildir)).stdout


def test_the_item_reference_added_to_a_digest_reply_names_the_requirement(
    office: Run, tmp_path: Path
) -> None:
    maildir = tmp_path / "Maildir"
    digest = sent_to(tmp_path, "fazhi@example.gov.cn")  # two requirements: the subject names the office only
    subject = email.message_from_bytes(digest, policy=email.policy.default)["Subject"]
    assert str(subject).endswith(" [manyi:2026/市法制办公室]")
    deliver_maildir(
        maildir,
        reply(
            digest,
            "fazhi@example.gov.cn",
            "市法制办公室",
            [(DOCX, CONTENT)],
            subject=f"回复：{subject} [manyi:2026/市法制办公室/study-plan]",
        ),
    )
    deliver_maildir(
        maildir,
        reply(
            digest, "fazhi@example.gov.cn", "市法制办公室", [(DOCX, CONTENT)], message_id="<plain-reply@x>"
        ),
    )
    assert office("inbox", "fetch", env=env("2026-03-16T15:10", maildir)).exit_code == 0
    assert [(r["office"], r["requirement"], r["status"]) for r in listing(office, tmp_path)] == [
        ("市法制办公室", "study-plan", "received"),
        ("市法制办公室", None, "received"),
    ]


def test_unmatched_mail_stays_listed_and_is_accepted_with_the_requirement(
    office: Run, tmp_path: Path
) -> None:
    maildir = tmp_path / "Maildir"
    deliver_maildir(maildir, reply(None, MISHU, "秘书科", [("材料.docx", CONTENT)], subject="材料"))
    deliver_maildir(maildir, reply(None, MISHU, "秘书科", [], subject="收到", message_id="<empty@x>"))
    result = office("inbox", "fetch", env=env("2026-03-16T15:10", maildir))
    assert "2 new (0 matched, 2 unmatched" in result.stdout
    rows = listing(office, tmp_path)
    # (a Maildir lists its messages in no set order: compare regardless of it)
    assert sorted(((r["id"] or 0), r["status"], r["requirement"], r["reason"]) for r in rows) == [
        (0, "unmatched", None, "no attachment"),
        (1, "received", None, "the mail does not say which requirement it answers"),
    ]
    plain = office("inbox", "list")
    assert "m2" in plain.stdout and "no attachment" in plain.stdout
    refused = office("inbox", "accept", "1")
    assert refused.exit_code == 1
    assert refused.stderr.startswith(
        "Error: submission 1 does not say which requirement it answers: give "
        "--requirement KEY (one of implementation-opinion, study-plan"
    )
    ok = office("inbox", "accept", "1", "--requirement", "study-plan")
    assert ok.exit_code == 0, ok.output
    assert office("advance", "秘书科", "--dry-run").exit_code == 0


def test_a_50_mb_attachment_is_refused_with_the_reason_mailed_back(
    office: Run, tmp_path: Path, db_path: Target
) -> None:
    maildir = tmp_path / "Maildir"
    original = sent_to(tmp_path, MISHU)
    big = os.urandom(1024) * (50 * 1024)  # 50 MB
    deliver_maildir(maildir, reply(original, MISHU, "秘书科", [("全部材料.zip", big)]))
    with SmtpServer() as server:
        result = office("inbox", "fetch", env=env("2026-03-16T15:10", maildir, MANYI_SMTP_URL=server.url))
        assert result.exit_code == 0, result.output
        assert "1 refused" in result.stdout and "1 notices mailed back" in result.stdout
        ((mail_from, to, notice),) = server.inbox.received
    assert to == [MISHU] and mail_from == "duchashi@example.gov.cn"
    assert str(notice["In-Reply-To"]) == "<r1@office.example.gov.cn>"
    assert "[manyi:2026/秘书科" in str(notice["Subject"]) and str(notice["Subject"]).startswith("回复：")
    text = body(notice)
    assert "未被接收" in text and "全部材料.zip is about 50.0 MB, over the limit of 20 MB" in text
    (row,) = listing(office, tmp_path)
    assert row["status"] == "refused" and "over the limit of 20 MB" in str(row["reason"])
    assert execute(db_path, "SELECT count(*) FROM submission") == [(0,)]


def test_executables_and_too_many_attachments_are_refused(office: Run, tmp_path: Path) -> None:
    maildir = tmp_path / "Maildir"
    subject = "回复：学习计划 [manyi:2026/秘书科/study-plan]"
    deliver_maildir(maildir, reply(None, MISHU, "秘书科", [("计划.docx .exe", b"MZ")], subject=subject))
    deliver_maildir(
        maildir,
        reply(
            None,
            MISHU,
            "秘书科",
            [(f"{i}.docx", b"x") for i in range(3)],
            subject=subject,
            message_id="<many@x>",
        ),
    )
    result = office("inbox", "fetch", env=env("2026-03-16T15:10", maildir, MANYI_INBOX_MAX_FILES="2"))
    assert "2 refused" in result.stdout
    reasons = [r["reason"] for r in listing(office, tmp_path)]
    assert reasons == [
        "计划.docx .exe is an executable type (.exe), not taken in",
        "3 attachments, more than the limit of 2",
    ]
    deliver_maildir(
        maildir,
        reply(None, MISHU, "秘书科", [("安装.exe", b"MZ")], subject=subject, message_id="<allowed@x>"),
    )
    allowed = office("inbox", "fetch", env=env("2026-03-16T15:10", maildir, MANYI_INBOX_ALLOW_TYPES=".exe"))
    assert "1 matched" in allowed.stdout


def test_reject_tells_the_office_why_by_mail(office: Run, tmp_path: Path) -> None:
    maildir = tmp_path / "Maildir"
    deliver_maildir(maildir, reply(sent_to(tmp_path, MISHU), MISHU, "秘书科", [(DOCX, CONTENT)]))
    assert office("inbox", "fetch", env=env("2026-03-16T15:10", maildir)).exit_code == 0
    empty = office("inbox", "reject", "1", "--reason", "  ")
    assert empty.exit_code == 1 and "--reason must not be empty" in empty.stderr
    with SmtpServer() as server:
        result = office(
            "inbox",
            "reject",
            "1",
            "--reason",
            "缺少领导签字",
            env=env("2026-03-16T16:00", maildir, MANYI_SMTP_URL=server.url),
        )
        assert result.exit_code == 0, result.output
        (notice,) = server.inbox.messages
    assert result.stdout == f"Rejected submission 1; the reason was mailed to {MISHU}.\n"
    assert "原因：缺少领导签字" in body(notice) and DOCX in body(notice)
    assert office("inbox", "accept", "1").stderr == "Error: submission 1 is already rejected (by tester)\n"
    assert office("advance", "秘书科", "--dry-run").exit_code == 3


def test_bad_settings_and_ids_are_one_line_errors(office: Run, tmp_path: Path) -> None:
    nothing = office("inbox", "fetch", env={"MANYI_INBOX": "", "MANYI_IMAP_URL": ""})
    assert nothing.exit_code == 1 and nothing.stderr.startswith(
        "Error: MANYI_IMAP_URL: no mailbox configured"
    )
    not_maildir = office("inbox", "fetch", env={"MANYI_INBOX": str(tmp_path)})
    assert not_maildir.exit_code == 1 and "is not a Maildir folder" in not_maildir.stderr
    bad_url = office("inbox", "fetch", env={"MANYI_IMAP_URL": "pop3://x@host"})
    assert bad_url.stderr == "Error: MANYI_IMAP_URL: 'pop3://x@host' must start with imap:// or imaps://\n"
    bad_limit = office("inbox", "fetch", env={"MANYI_INBOX": str(tmp_path), "MANYI_INBOX_MAX_MB": "lots"})
    assert bad_limit.stderr == "Error: MANYI_INBOX_MAX_MB: 'lots' is not a whole number\n"
    unknown = office("inbox", "accept", "7")
    assert unknown.exit_code == 1 and unknown.stderr.startswith("Error: unknown submission '7'")
    unreachable = office("inbox", "fetch", env={"MANYI_IMAP_URL": "imap://u:p@127.0.0.1:1/INBOX?starttls=0"})
    assert (
        unreachable.exit_code == 1 and "cannot reach the mail server 127.0.0.1:1/INBOX" in unreachable.stderr
    )


CRASHER = """
import sys
from cli.main import main
sys.argv = ["manyi", *sys.argv[1:]]
main()
"""


@pytest.mark.slow
@pytest.mark.parametrize("point", ["before-commit", "after-commit"])
def test_a_fetch_killed_between_fetch_and_commit_neither_loses_nor_duplicates(
    office: Run, tmp_path: Path, db_path: Target, point: str
) -> None:
    maildir = tmp_path / "Maildir"
    deliver_maildir(maildir, reply(sent_to(tmp_path, MISHU), MISHU, "秘书科", [(DOCX, CONTENT)]))
    environ = {
        **os.environ,
        **env("2026-03-16T15:10", maildir),
        "MANYI_LANG": "en",
        "MANYI_INBOX_CRASH": point,
    }
    killed = subprocess.run(
        [sys.executable, "-c", CRASHER, "--db", str(db_path), "inbox", "fetch"],
        env=environ,
        capture_output=True,
        text=True,
        cwd=Path(__file__).parents[2],
    )
    assert killed.returncode == -9, killed.stderr  # SIGKILL, at the point asked for
    stored = execute(db_path, "SELECT count(*) FROM submission")
    assert stored == ([(0,)] if point == "before-commit" else [(1,)])
    result = office("inbox", "fetch", env=env("2026-03-16T15:20", maildir))
    assert result.exit_code == 0, result.output
    assert execute(db_path, "SELECT count(*) FROM submission") == [(1,)]
    assert execute(db_path, "SELECT count(*) FROM inbound_message") == [(1,)]
    assert office("inbox", "accept", "1").exit_code == 0


# -- IMAP: a private Dovecot on loopback ---------------------------------------------
@pytest.fixture(scope="module")
def dovecot() -> object:
    from tests.imapd import Dovecot, available

    if not available():
        if os.environ.get("CI"):
            pytest.fail("dovecot is not installed (.ci/run installs dovecot-imapd)")
        pytest.skip("dovecot is not installed")
    with Dovecot() as server:
        yield server


@pytest.fixture
def imap(dovecot: object) -> object:
    """The module's Dovecot with an empty INBOX."""
    with dovecot.client() as c:  # type: ignore[attr-defined]
        typ, data = c.search(None, "ALL")
        if data and data[0]:
            c.store("1:*", "+FLAGS.SILENT", "(\\Deleted)")
            c.expunge()
    return dovecot


def imap_flags(server: object) -> list[bytes]:
    with server.client() as c:  # type: ignore[attr-defined]
        typ, data = c.fetch("1:*", "(FLAGS)")
    return [row for row in data if row]


def test_imap_reply_is_fetched_once_marked_not_read_and_accepted(
    office: Run, tmp_path: Path, db_path: Target, imap: object
) -> None:
    imap.append(reply(sent_to(tmp_path, MISHU), MISHU, "秘书科", [(DOCX, CONTENT)], style="2047"))  # type: ignore[attr-defined]
    settings = {"MANYI_NOW": "2026-03-16T15:10", "MANYI_MAIL_FROM": FROM, "MANYI_IMAP_URL": imap.url()}  # type: ignore[attr-defined]
    first = office("inbox", "fetch", env=settings)
    assert first.exit_code == 0, first.output
    assert "1 messages, 1 new (1 matched" in first.stdout
    (flags,) = imap_flags(imap)
    assert b"$manyi" in flags and b"\\Seen" not in flags  # marked for manyi, still unread for people
    again = office("inbox", "fetch", env=settings)
    assert "0 messages, 0 new" in again.stdout  # nothing unmarked left to read
    (row,) = listing(office, tmp_path)
    assert (row["filename"], row["requirement"], row["status"]) == (DOCX, "study-plan", "received")
    assert office("inbox", "accept", "1").exit_code == 0
    assert office("advance", "秘书科").exit_code == 0
    assert execute(db_path, "SELECT count(*) FROM submission") == [(1,)]


@pytest.mark.parametrize("scheme", ["imaps", "starttls"])
def test_imap_over_tls(office: Run, tmp_path: Path, imap: object, scheme: str) -> None:
    imap.append(
        reply(
            None,
            MISHU,
            "秘书科",
            [(DOCX, CONTENT)],  # type: ignore[attr-defined]
            subject="回复：学习计划 [manyi:2026/秘书科/study-plan]",
        )
    )
    url = imap.url("imaps") if scheme == "imaps" else imap.url("imap", starttls=True)  # type: ignore[attr-defined]
    untrusted = office("inbox", "fetch", env={"MANYI_IMAP_URL": url, "MANYI_MAIL_FROM": FROM})
    assert untrusted.exit_code == 1 and "certificate verify failed" in untrusted.stderr
    trusted = office(
        "inbox", "fetch", env={"MANYI_IMAP_URL": url, "MANYI_MAIL_FROM": FROM, "SSL_CERT_FILE": imap.cafile}
    )  # type: ignore[attr-defined]
    assert trusted.exit_code == 0, trusted.output
    assert "1 matched" in trusted.stdout


def test_imap_wrong_password_is_one_line(office: Run, imap: object) -> None:
    url = imap.url().replace(":s3cret@", ":wrong@")  # type: ignore[attr-defined]
    result = office("inbox", "fetch", env={"MANYI_IMAP_URL": url})
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: MANYI_IMAP_URL: cannot reach the mail server 127.0.0.1:")
    assert "Authentication failed" in result.stderr and len(result.stderr.splitlines()) == 1


@pytest.mark.slow
def test_imap_fetch_killed_after_commit_takes_the_message_in_once(
    office: Run, tmp_path: Path, db_path: Target, imap: object
) -> None:
    imap.append(reply(sent_to(tmp_path, MISHU), MISHU, "秘书科", [(DOCX, CONTENT)]))  # type: ignore[attr-defined]
    environ = {
        **os.environ,
        "MANYI_NOW": "2026-03-16T15:10",
        "MANYI_MAIL_FROM": FROM,
        "MANYI_LANG": "en",
        "MANYI_IMAP_URL": imap.url(),
        "MANYI_INBOX_CRASH": "after-commit",
    }  # type: ignore[attr-defined]
    killed = subprocess.run(
        [sys.executable, "-c", CRASHER, "--db", str(db_path), "inbox", "fetch"],
        env=environ,
        capture_output=True,
        text=True,
        cwd=Path(__file__).parents[2],
    )
    assert killed.returncode == -9, killed.stderr
    (flags,) = imap_flags(imap)
    assert b"$manyi" not in flags  # killed before marking it
    result = office(
        "inbox",
        "fetch",
        env={"MANYI_NOW": "2026-03-16T15:20", "MANYI_MAIL_FROM": FROM, "MANYI_IMAP_URL": imap.url()},
    )  # type: ignore[attr-defined]
    assert "1 messages, 0 new" in result.stdout
    assert execute(db_path, "SELECT count(*) FROM submission") == [(1,)]
    (flags,) = imap_flags(imap)
    assert b"$manyi" in flags
