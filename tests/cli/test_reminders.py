"""Reminder mail end to end: real SMTP on loopback, the outbox folder, lights, catch-up, filing."""

from __future__ import annotations

import email
import email.policy
import json
from pathlib import Path

import pytest

from tests.backends import execute, outbox_in
from tests.conftest import OFFICES, Run, doc, write_roster
from tests.smtpd import SmtpServer, body, free_port

FROM = '"市政府办公室督查室" <duchashi@example.gov.cn>'
LG = "dcs@example.gov.cn"
LATE = "2026-04-02T10:00:00+08:00"  # 10 days after the offices' 2026-03-23 due date


def heads(i: int) -> str:
    return f"负责人{i} <head{i}@example.gov.cn>" if i % 2 == 0 else f"负责人{i}"


@pytest.fixture
def campaign(run: Run, tmp_path: Path) -> Run:
    """The seed campaign with the six offices, heads with and without addresses, the leading group's address."""
    rows = [(n, f"office{i}@example.gov.cn", heads(i)) for i, n in enumerate(OFFICES)]
    roster = write_roster(tmp_path / "roster.csv", rows)
    result = run(
        "campaign",
        "start",
        "people-satisfied-unit",
        "--name",
        "2026",
        "--start",
        "2026-03-01",
        "--offices",
        str(roster),
        "--set",
        f"leading-group-email={LG}",
    )
    assert result.exit_code == 0, result.output
    return run


def at(when: str, **extra: str) -> dict[str, str]:
    return {"MANYI_NOW": when, "MANYI_MAIL_FROM": FROM, **extra}


def eml(folder: Path) -> dict[str, list[email.message.EmailMessage]]:
    out: dict[str, list[email.message.EmailMessage]] = {}
    for path in sorted(folder.glob("*.eml")):
        msg = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        out.setdefault(str(msg["To"]), []).append(msg)  # type: ignore[arg-type]
    return out


def test_smtp_delivers_decodable_chinese_headers_and_body(campaign: Run) -> None:
    with SmtpServer() as server:
        result = campaign("remind", "send", env=at("2026-03-16T10:00:00+08:00", MANYI_SMTP_URL=server.url))
        assert result.exit_code == 0, result.output
        got = {tuple(to): msg for _f, to, msg in server.inbox.received}
    # 7 days before 2026-03-23: one digest per office, nothing escalated yet
    assert set(got) == {(f"office{i}@example.gov.cn",) for i in range(6)} | {(LG,)}
    msg = got[("office3@example.gov.cn",)]
    # the subject carries the reply reference of the office (two requirements: no single one)
    assert msg["Subject"] == '【提醒】创建"人民满意单位"活动（2026）：2项待办 [manyi:2026/市法制办公室]'
    assert msg["From"].addresses[0].display_name == "市政府办公室督查室"
    assert msg["From"].addresses[0].addr_spec == "duchashi@example.gov.cn"
    assert msg["Message-ID"] and msg["Date"]
    text = body(msg)
    assert "市法制办公室：活动实施意见（implementation-opinion）" in text
    assert "截止日期：2026-03-23（还有7天）" in text
    assert "manyi file" not in text and "报送命令" not in text  # offices do not run manyi
    # every item says how to submit (the definition's words), with its own reply reference
    assert (
        "   报送方式：直接回复本邮件并附上文件，主题中须含 [manyi:2026/市法制办公室/study-plan]；"
        "纸质材料报送领导小组办公室（设在督查室）备案\r\n"
    ) in text
    assert "[manyi:2026/市法制办公室/implementation-opinion]" in text
    section_id = str(msg["Message-ID"]).split(".manyi.")[1].split(".")[1]
    assert ".manyi.1." in str(msg["Message-ID"]) and section_id.isdigit()
    assert str(msg["References"]) == f"<thread.manyi.1.{section_id}.-@example.gov.cn>"
    rows = json.loads(campaign("outbox", "--json").stdout)
    assert {r["status"] for r in rows} == {"sent"} and len(rows) == 7


def test_long_mixed_subject_round_trips(run: Run, tmp_path: Path) -> None:
    definition = (
        Path("definitions/people-satisfied-unit.yaml")
        .read_text("utf-8")
        .replace(
            "  warning_days: 3\n",
            "  warning_days: 3\n  templates:\n"
            '    subject: "{tag}: {campaign_title} / People-Satisfied Unit campaign round 3 '
            '第三批创建活动 — {count} item(s) pending for 各科室 and attached offices (附属单位)"\n',
        )
    )
    (tmp_path / "d.yaml").write_text(definition, "utf-8")
    roster = write_roster(tmp_path / "r.csv", [("秘书科", "mishu@example.gov.cn", "陈科长")])
    assert (
        run(
            "campaign",
            "start",
            str(tmp_path / "d.yaml"),
            "--name",
            "2026",
            "--start",
            "2026-03-01",
            "--offices",
            str(roster),
        ).exit_code
        == 0
    )
    with SmtpServer() as server:
        assert run("remind", "send", env=at("2026-03-22T10:00", MANYI_SMTP_URL=server.url)).exit_code == 0
        (msg,) = server.inbox.messages
    assert msg["Subject"] == (
        '提醒: 创建"人民满意单位"活动 / People-Satisfied Unit campaign round 3 '
        "第三批创建活动 — 2 item(s) pending for 各科室 and attached offices (附属单位)"
        " [manyi:2026/秘书科]"
    )


def test_catch_up_sends_each_missed_reminder_once_with_escalations(
    campaign: Run, tmp_path: Path, db_path: object
) -> None:
    result = campaign("remind", "send", env=at(LATE))
    assert result.exit_code == 0, result.output
    (stored,) = execute(db_path, "SELECT count(*) FROM reminder")  # type: ignore[arg-type]
    assert (
        stored[0] > 0 and f": {stored[0]} new reminders, " in result.stdout
    )  # counted right on both backends
    mails = eml(outbox_in(tmp_path))
    for i, office in enumerate(OFFICES):
        (msg,) = mails[f"office{i}@example.gov.cn"]
        text = body(msg)
        assert text.count("（implementation-opinion）") == 1 and text.count("（study-plan）") == 1
        assert "已逾期10天，已抄送领导小组" in text
        assert (
            msg["Subject"]
            == f'【催办】创建"人民满意单位"活动（2026）：2项待办，2项已逾期 [manyi:2026/{office}]'
        )
        if i % 2 == 0:  # the head with an address is copied on the escalation
            assert len(mails[f"head{i}@example.gov.cn"]) == 1
    (lg,) = mails[LG]
    text = body(lg)
    for office in OFFICES:
        assert text.count(f"{office}：活动实施意见") == 1
    assert '领导小组：《关于开展创建"人民满意单位"活动的工作方案》（work-plan）' in text
    # coalesced: one plain slot (the latest) plus the escalation per requirement
    slots = execute(
        db_path,
        "SELECT slot FROM reminder WHERE requirement = 'study-plan' "  # type: ignore[arg-type]
        "AND section_id = (SELECT min(id) FROM section)",
    )
    assert sorted(s for (s,) in slots) == ["2026-03-23/escalate", "2026-03-23/late-9"]
    # a second sweep at the same moment finds nothing new
    again = campaign("remind", "send", env=at(LATE))
    assert "0 new reminders, 0 messages, 0 sent" in again.stdout
    assert len(list((outbox_in(tmp_path)).glob("*.eml"))) == sum(len(v) for v in mails.values())


def test_filing_stops_reminders(campaign: Run, tmp_path: Path) -> None:
    office = OFFICES[0]
    assert campaign("remind", "send", env=at("2026-03-16T10:00")).exit_code == 0
    assert campaign("file", office, "study-plan", doc(tmp_path, "p.txt")).exit_code == 0
    assert campaign("remind", "send", env=at("2026-03-22T10:00")).exit_code == 0
    mine = eml(outbox_in(tmp_path))["office0@example.gov.cn"]
    assert len(mine) == 2 and "study-plan" in body(mine[0]) and "study-plan" not in body(mine[1])
    assert campaign("file", office, "implementation-opinion", doc(tmp_path, "o.txt")).exit_code == 0
    assert campaign("remind", "send", env=at(LATE)).exit_code == 0
    mine = eml(outbox_in(tmp_path))["office0@example.gov.cn"]
    assert len(mine) == 2  # nothing more for office0
    lg = body(eml(outbox_in(tmp_path))[LG][-1])
    assert f"{office}：" not in lg and f"{OFFICES[1]}：活动实施意见" in lg


def test_overdue_is_red_in_status_and_json(campaign: Run, tmp_path: Path) -> None:
    assert campaign("file", OFFICES[0], "study-plan", doc(tmp_path, "p.txt")).exit_code == 0
    assert campaign("file", OFFICES[0], "implementation-opinion", doc(tmp_path, "o.txt")).exit_code == 0
    rows = json.loads(campaign("status", "--json", env={"MANYI_NOW": "2026-03-25T10:00"}).stdout)
    lights = {r["office"]: (r["light"], r["next_due"]) for r in rows}
    assert lights[OFFICES[0]] == ("green", None)
    assert lights[OFFICES[1]] == ("red", "2026-03-23")
    yellow = json.loads(campaign("status", "--json", env={"MANYI_NOW": "2026-03-20T10:00"}).stdout)
    assert yellow[1]["light"] == "yellow"
    text = campaign("status", "--overdue", env={"MANYI_NOW": "2026-03-25T10:00"}).stdout
    assert OFFICES[0] not in text
    line = next(x for x in text.splitlines() if OFFICES[1] in x)
    assert line.split()[5:7] == ["red", "Campaign"]  # the first blocker: the leading group's work plan


def test_extension_moves_the_due_date_and_keeps_the_original(campaign: Run) -> None:
    result = campaign("extend", OFFICES[1], "study-plan", "--to", "2026-04-10", "--reason", "领导批准延期")
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == (
        f"Extended {OFFICES[1]} 'study-plan' from 2026-03-23 to 2026-04-10 (originally 2026-03-23)."
    )
    hist = json.loads(campaign("history", OFFICES[1], "--json").stdout)
    assert hist[-1]["action"] == "extend" and hist[-1]["detail"]["original"] == "2026-03-23"
    assert hist[-1]["reason"] == "领导批准延期"
    assert campaign("file", OFFICES[1], "implementation-opinion", "/etc/hostname").exit_code == 0
    row = json.loads(
        campaign("status", "--json", "--office", OFFICES[1], env={"MANYI_NOW": "2026-03-25T10:00"}).stdout
    )[0]
    assert (row["light"], row["next_due"]) == ("green", "2026-04-10")
    bad = campaign("extend", OFFICES[1], "study-plan", "--to", "10/04/2026", "--reason", "x")
    assert (bad.exit_code, bad.stderr.strip()) == (
        1,
        "Error: --to: '10/04/2026' is not a date: expected YYYY-MM-DD",
    )


def test_extension_before_the_first_sweep_is_what_the_reminders_use(
    campaign: Run, tmp_path: Path, db_path: object
) -> None:
    """Deadlines are laid out by the first sweep; an extension made before it must not be lost."""
    assert (
        campaign(
            "extend", OFFICES[1], "study-plan", "--to", "2026-04-10", "--reason", "领导批准延期"
        ).exit_code
        == 0
    )
    assert campaign("remind", "send", env=at(LATE)).exit_code == 0
    text = body(eml(outbox_in(tmp_path))["office1@example.gov.cn"][0])
    assert "（study-plan）" not in text, text  # due 2026-04-10: its first reminder is 7 days before
    assert "截止日期：2026-03-23（已逾期10天" in text  # implementation-opinion was not extended
    other = body(eml(outbox_in(tmp_path))["office0@example.gov.cn"][0])
    assert other.count("已逾期10天") == 2
    assert campaign("remind", "send", env=at("2026-04-03T10:00:00+08:00")).exit_code == 0
    later = [body(m) for m in eml(outbox_in(tmp_path))["office1@example.gov.cn"]]
    assert any("（study-plan）" in t and "截止日期：2026-04-10（还有7天）" in t for t in later), later


def test_escalation_without_a_leading_group_address_does_not_claim_a_copy(run: Run, tmp_path: Path) -> None:
    roster = write_roster(
        tmp_path / "roster.csv", [("秘书科", "mishu@example.gov.cn", "陈科长 <chen@example.gov.cn>")]
    )
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
    assert run("remind", "send", env=at(LATE)).exit_code == 0
    mails = eml(outbox_in(tmp_path))
    text = body(mails["mishu@example.gov.cn"][0])
    assert "已逾期10天" in text and "已抄送领导小组" not in text
    assert len(mails["chen@example.gov.cn"]) == 1  # the head is still copied on the escalation


def test_outage_keeps_the_error_and_delivers_once_when_back(campaign: Run) -> None:
    port = free_port()
    env = at(LATE, MANYI_SMTP_URL=f"smtp://127.0.0.1:{port}")
    result = campaign("remind", "send", env=env)
    assert result.exit_code == 1
    assert result.stderr.startswith(f"Error: MANYI_SMTP_URL: cannot reach the mail server 127.0.0.1:{port}: ")
    assert len(result.stderr.strip().splitlines()) == 1
    rows = json.loads(campaign("outbox", "--json").stdout)
    assert {r["status"] for r in rows} == {"failed"}
    assert all("cannot reach the mail server" in r["last_error"] for r in rows)
    with SmtpServer(port=port) as server:
        # still inside the backoff: nothing is retried by a sweep at the same moment
        assert campaign("remind", "send", env=env).exit_code == 0
        assert server.inbox.messages == []
        result = campaign("outbox", "retry", env=env)
        assert result.exit_code == 0, result.output
        assert result.stdout.strip() == f"Retried: {len(rows)} sent, 0 failed."
        assert campaign("outbox", "retry", env=env).stdout.strip() == "Retried: 0 sent, 0 failed."
        ids = [m["Message-ID"] for m in server.inbox.messages]
    assert len(ids) == len(rows) == len(set(ids))
    assert {r["status"] for r in json.loads(campaign("outbox", "--json").stdout)} == {"sent"}


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        (
            "MANYI_SMTP_URL",
            "smtp//mail.example",
            "Error: MANYI_SMTP_URL: 'smtp//mail.example' must start with smtp:// or smtps://",
        ),
        (
            "MANYI_SMTP_URL",
            "smtp://h:notaport",
            "Error: MANYI_SMTP_URL: 'smtp://h:notaport' is not a URL like smtp://user:pass@host:port",
        ),
        (
            "MANYI_SMTP_URL",
            "smtp://host?tls=1",
            "Error: MANYI_SMTP_URL: unknown option 'tls' (known: starttls)",
        ),
        ("MANYI_NOW", "next tuesday", "Error: MANYI_NOW: 'next tuesday' is not an ISO 8601 date or time"),
        (
            "MANYI_MAIL_FROM",
            "督查室",
            "Error: MANYI_MAIL_FROM: '督查室' is not an address like 名称 <addr@host>",
        ),
    ],
)
def test_bad_configuration_names_the_setting(
    campaign: Run, db_path: object, name: str, value: str, message: str
) -> None:
    from tests.conftest import dump

    before = dump(db_path)  # type: ignore[arg-type]
    result = campaign("remind", "send", env={"MANYI_NOW": LATE, name: value})
    assert result.exit_code == 1
    assert result.stderr.strip().splitlines()[0].startswith(message)
    assert len(result.stderr.strip().splitlines()) == 1
    assert dump(db_path) == before  # type: ignore[arg-type]


def test_preview_sends_nothing(campaign: Run, tmp_path: Path, db_path: object) -> None:
    from tests.conftest import dump

    before = dump(db_path)  # type: ignore[arg-type]
    result = campaign("remind", "preview", "--at", "2026-04-02T10:00", "--json")
    assert result.exit_code == 0, result.output
    plan = json.loads(result.stdout)
    assert {m["to"] for m in plan} >= {LG, "office0@example.gov.cn", "head0@example.gov.cn"}
    assert dump(db_path) == before  # type: ignore[arg-type]
    assert not list(tmp_path.glob("*outbox"))
    assert campaign("remind", "preview", "--at", "soon").stderr.strip() == (
        "Error: --at: 'soon' is not an ISO 8601 date or time"
    )


def test_demo_leaves_readable_eml_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from click.testing import CliRunner

    from cli.main import cli

    monkeypatch.chdir(tmp_path)
    for var in ("MANYI_DB", "MANYI_SMTP_URL", "MANYI_NOW", "MANYI_MAIL_FROM"):
        monkeypatch.delenv(var, raising=False)
    result = CliRunner().invoke(cli, ["--lang", "en", "--as", "tester", "demo"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    files = sorted((tmp_path / "manyi-demo.db.outbox").glob("*.eml"))
    assert files
    # LF on disk, as mail programs read local files (mutt shows CRLF as ^M on every header line).
    assert all(b"\r" not in f.read_bytes() and b"\nSubject: " in f.read_bytes() for f in files)
    # The outbox read as a Maildir, as docs/reminders.md tells mutt users to (new/ is the outbox).
    import mailbox

    box = tmp_path / "box"
    (box / "cur").mkdir(parents=True)
    (box / "tmp").mkdir()
    (box / "new").symlink_to(files[0].parent, target_is_directory=True)
    subjects = sorted(str(m["Subject"]) for m in mailbox.Maildir(box, factory=None, create=False))
    assert len(subjects) == len(files) and all("\r" not in s for s in subjects)
    msg = email.message_from_bytes(files[0].read_bytes(), policy=email.policy.default)
    assert str(msg["Subject"]).startswith(("【催办】创建", "【提醒】创建"))
    # How to submit is the definition's own text; no console command is mailed to an office.
    assert "纸质材料报送领导小组办公室（设在督查室）备案" in body(msg)
    assert "manyi file" not in body(msg)


def test_an_outbox_folder_that_cannot_be_written_fails_every_message_for_a_retry(
    campaign: Run, db_path: object
) -> None:
    """A file where the outbox folder should be: one line saying so, a non-zero exit, every
    composed message kept as failed (retried later) and counted so in the summary."""
    from storage.db import Database

    db = Database(str(db_path))
    folder = db.outbox
    db.dispose()
    folder.parent.mkdir(parents=True, exist_ok=True)
    folder.write_text("not a folder")
    result = campaign("remind", "send", env=at("2026-03-16T10:00:00+08:00"))
    assert result.exit_code != 0
    # The folder and what is wrong with it, in the clerk's words (not the mail server's, not
    # the operating system's English).
    assert result.stderr.strip().splitlines()[-1] == (
        f"Error: cannot write to the outbox folder {folder}: a file stands where a folder is needed"
    )
    assert "7 messages, 0 sent, 7 failed." in result.stdout, result.stdout
    rows = json.loads(campaign("outbox", "--json").stdout)
    assert [r["status"] for r in rows] == ["failed"] * 7
    again = campaign("--lang", "zh", "outbox", "retry", env=at("2026-03-16T10:05:00+08:00"))
    assert again.exit_code != 0
    assert again.stderr.strip().splitlines()[-1] == (
        f"错误：无法写入发件箱文件夹 {folder}：此处应为文件夹，却是一个文件"
    )
