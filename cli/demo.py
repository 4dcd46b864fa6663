"""``manyi demo``: a narrated tour of the seed campaign into a fresh demo database.

The tour runs the real commands (the same code paths a user types), printing
each command line before its output, so every step can be repeated by hand.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import zlib
from collections.abc import Callable, Iterator
from contextlib import closing, contextmanager
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import click

from cli.console import console, say
from cli.main import HELP, cli, settings
from workflow.errors import InputError
from workflow.i18n import _, language

DEMO_DB = "manyi-demo.db"
DEMO_CAMPAIGN = "2026"
REPORT = "报告.html"
ROSTER = [
    ("科室", "邮箱", "负责人"),
    ("市外事侨务办公室", "waishi@example.gov.cn", "王主任"),
    ("市支前双拥工作办公室", "shuangyong@example.gov.cn", "李主任"),
    ("市口岸与海防委员会办公室", "kouan@example.gov.cn", "张主任"),
    ("市法制办公室", "fazhi@example.gov.cn", "赵主任"),
    ("秘书科", "mishu@example.gov.cn", "陈科长"),
    ("信息科", "xinxi@example.gov.cn", "刘科长"),
]


# Written into the SQLite header (``PRAGMA application_id``) when the demo creates its
# database: "mnyd". A file without it was not made by the demo and is never touched.
DEMO_MARK = 0x6D6E7964
COMPANIONS = ("-wal", "-shm", ".blobs", ".outbox", ".files")


def _companions(db_path: Path) -> list[Path]:
    """The files and folders that belong to the demo database ``db_path`` (and only to it)."""
    return [Path(str(db_path) + suffix) for suffix in COMPANIONS]


def _fingerprint(conn: sqlite3.Connection) -> int:
    """What the database holds, in 31 bits: its events and its mail (both only ever grow)."""
    events = conn.execute("SELECT count(*), coalesce(max(id), 0) FROM event").fetchone()
    last = conn.execute("SELECT hash FROM event ORDER BY id DESC LIMIT 1").fetchone()
    mail = conn.execute("SELECT count(*), coalesce(max(id), 0) FROM mail").fetchone()
    text = f"{events[0]}:{events[1]}:{last[0] if last else ''}:{mail[0]}:{mail[1]}"
    return zlib.crc32(text.encode()) & 0x7FFFFFFF


def _untouched_demo(db_path: Path) -> bool:
    """True when ``db_path`` was created by ``manyi demo`` and nobody has used it since.

    Opened as ``immutable``: no lock, no ``-wal``/``-shm`` created, nothing written. A
    write-ahead log with content means someone is using (or crashed in) it: not ours to
    delete. A tour that stopped half-way (no fingerprint yet) counts as the demo's own.
    """
    if db_path.is_symlink() or not db_path.is_file():
        return False
    wal = Path(str(db_path) + "-wal")
    if wal.exists() and wal.stat().st_size > 0:
        return False
    try:
        with closing(sqlite3.connect(f"{db_path.as_uri()}?immutable=1", uri=True)) as conn:
            if conn.execute("PRAGMA application_id").fetchone()[0] != DEMO_MARK:
                return False
            stamp = conn.execute("PRAGMA user_version").fetchone()[0]
            return bool(stamp == 0 or stamp == _fingerprint(conn))
    except sqlite3.Error:
        return False


def _prepare(db_path: Path) -> None:
    """Make room for a fresh demo database at ``db_path``, deleting only what an earlier
    demo made there and nobody has used since; refuse anything else, changing nothing."""
    if db_path.exists() or db_path.is_symlink():
        if not _untouched_demo(db_path):
            raise InputError(
                _(
                    "{path} exists and is not an unused demo database; the demo only writes a "
                    "database it creates: choose another path with --db"
                ).format(path=db_path)
            )
        db_path.unlink()
        for path in _companions(db_path):
            if path.is_dir() and not path.is_symlink():
                shutil.rmtree(path)
            else:
                path.unlink(missing_ok=True)
    else:
        for path in _companions(db_path):
            if path.exists() or path.is_symlink():
                raise InputError(
                    _(
                        "{path} exists but its demo database does not; the demo only writes folders "
                        "it creates: choose another path with --db"
                    ).format(path=path)
                )
    with closing(sqlite3.connect(db_path)) as conn:
        conn.execute(f"PRAGMA application_id = {DEMO_MARK}")
        conn.commit()


def _stamp(db_path: Path) -> None:
    """Record what the finished tour left, so a later demo replaces it only if still unused."""
    with closing(sqlite3.connect(db_path)) as conn:
        conn.execute(f"PRAGMA user_version = {_fingerprint(conn)}")
        conn.commit()


@contextmanager
def _offline() -> Iterator[None]:
    """The tour's mail goes to its own outbox, never to a configured SMTP server, and it reads
    only its own Maildir, never a configured mailbox."""
    names = ("MANYI_SMTP_URL", "MANYI_IMAP_URL", "MANYI_INBOX")
    saved = {name: os.environ.pop(name) for name in names if name in os.environ}
    try:
        yield
    finally:
        os.environ.update(saved)


@cli.command(help=HELP["demo"])
@click.pass_context
def demo(click_ctx: click.Context) -> None:
    opts = settings(click_ctx)
    db_path = Path(opts.db or DEMO_DB).expanduser().resolve()
    if "://" in (opts.db or ""):
        raise InputError(_("the demo writes a SQLite file; give --db a file path"))
    _prepare(db_path)
    with _offline():
        _tour(opts, db_path)
    _stamp(db_path)


def _tour(opts: Any, db_path: Path) -> None:
    files = Path(str(db_path) + ".files")
    files.mkdir()
    roster = files / "科室名单.csv"
    # Saved the way Excel on a Chinese Windows saves "CSV": GBK.
    roster.write_bytes("\r\n".join(",".join(r) for r in ROSTER).encode("gbk") + b"\r\n")

    now = opts.context().now()
    # The seed's first phase is a month and is not left early: start five weeks ago, so
    # mobilization has just ended and the tour shows sections moving on.
    start = (now + timedelta(hours=8)).date() - timedelta(days=35)

    from rich.rule import Rule

    def doc(name: str, text: str) -> str:
        path = files / name
        path.write_text(text + "\n", encoding="utf-8")
        return str(path)

    def step(note: str) -> None:
        """A numbered heading; the commands of that step follow it."""
        console.print(Rule(note, style="cyan"))

    def run(*args: str) -> None:
        shown = " ".join(a if " " not in a else f'"{a}"' for a in args)
        console.print(f"$ manyi {shown}", style="bold", markup=False)
        # --lang: each command speaks the tour's language, whatever MANYI_LANG or the locale say.
        base = ["--db", str(db_path), "--as", opts.actor, "--lang", language()]
        try:
            cli.main(args=[*base, *args], prog_name="manyi", standalone_mode=False)
        except SystemExit:
            pass
        except click.ClickException as exc:  # pragma: no cover - the tour's own commands are valid
            exc.show()

    say(
        _(
            "This tour starts the People-Satisfied Unit campaign for six offices and walks it "
            "through its first phases. Every step is a real command you can type yourself."
        )
    )
    step(_("1. Check the seed definition"))
    run("definition", "check", "people-satisfied-unit")
    step(_("2. Start the campaign with its roster (a GBK CSV saved by Excel)"))
    run(
        "campaign",
        "start",
        "people-satisfied-unit",
        "--name",
        DEMO_CAMPAIGN,
        "--start",
        start.isoformat(),
        "--offices",
        str(roster),
        "--set",
        "leading-group-email=duchashi@example.gov.cn",
        "--rehearsal",
    )  # not real data
    step(_("3. Where everyone stands"))
    run("status")
    step(_("4. Nobody can leave mobilization before the leading group's steps and its own filings"))
    run("advance", "--all")
    step(_("5. The leading group files the work plan, the working group and the mobilization meeting"))
    run("file", "领导小组", "work-plan", doc("工作方案.txt", "关于开展创建“人民满意单位”活动的工作方案"))
    run("file", "领导小组", "working-group", doc("工作小组.txt", "关于成立创建工作小组的通知"))
    run("file", "领导小组", "mobilization-meeting", doc("动员大会.txt", "创建工作动员大会纪要"))
    step(_("6. Four offices file their implementation opinions and study plans"))
    for office in [r[0] for r in ROSTER[1:5]]:
        run(
            "file",
            office,
            "implementation-opinion",
            doc(f"{office}-活动实施意见.txt", f"{office}创建“人民满意科室”活动实施意见"),
        )
        run("file", office, "study-plan", doc(f"{office}-学习方案.txt", f"{office}学习方案"))
    step(_("7. Advance everyone: four move on, two stay blocked and say why"))
    run("advance", "--all")
    step(_("8. A leader overrides the guard for 秘书科, with a reason"))
    run("advance", "秘书科", "--force", "--reason", "经领导小组同意,学习方案后补", "--from", "mobilization")
    step(
        _(
            "9. 市法制办公室 files its research report; "
            "the democratic evaluation and the phase's months still hold it"
        )
    )
    run("file", "市法制办公室", "research-report", doc("市法制办公室-调研报告.txt", "走访调研报告"))
    run("advance", "市法制办公室")
    step(_("10. The board now"))
    run("status")
    step(_("11. Everything that happened to 秘书科, with actor and reason"))
    run("history", "秘书科")
    step(
        _(
            "12. The reminder sweep: a digest per recipient for what is due or late "
            "(into the demo's own outbox folder)"
        )
    )
    run("remind", "send")
    step(_("13. What went out"))
    run("outbox")
    _ledger_and_scoring_tour(step, run, doc, files, today=(now + timedelta(hours=8)).date())
    _mail_round_trip(step, run, Path(str(db_path) + ".outbox"), files)
    console.print(Rule(style="cyan"))
    outbox = Path(str(db_path) + ".outbox")
    say(_("Reminder mail was written as .eml files into {folder}.").format(folder=outbox))
    say(_("The report for the standing committee is {path}.").format(path=files / REPORT))
    say(_("The demo database is {db}. Keep exploring, for example:").format(db=db_path))
    say(f"  export MANYI_DB={db_path}")
    say("  manyi status")
    say("  manyi history 市法制办公室")
    say("  manyi advance --all --dry-run")


def _ledger_and_scoring_tour(
    step: Callable[[str], None],
    run: Callable[..., None],
    doc: Callable[[str, str], str],
    files: Path,
    today: date,
) -> None:
    """Review and rectification (items 1 and 2 of the fresh database), scores, rank, the report."""
    office = "市法制办公室"
    due = (today + timedelta(days=10)).isoformat()
    step(_("14. The review group's opinion becomes a rectification item for {office}").format(office=office))
    run("rectify", "add", office, "行政执法案卷归档不及时", "--source", "review", "--due", due)
    step(_("15. An unannounced inspection finds a problem and turns it into an item"))
    run(
        "inspect",
        "record",
        office,
        "--kind",
        "unannounced",
        "--date",
        today.isoformat(),
        "--finding",
        "窗口工作人员未佩戴工作牌",
        "--rectify",
        "--due",
        due,
    )
    step(_("16. {office} reports item 1 done, with its evidence").format(office=office))
    run("rectify", "done", "1", "--evidence", doc("整改证明-案卷归档.txt", "案卷已全部归档，附归档清单"))
    step(_("17. The supervision office confirms it"))
    run("rectify", "confirm", "1")
    step(_("18. The ledger: one confirmed, one still open"))
    run("rectify", "list")
    step(_("19. Scores and votes from the evaluator groups"))
    for name, score in ((office, "92"), ("秘书科", "88"), ("信息科", "85")):
        run("score", "add", name, "--group", "leading-group", "--score", score, "--scorer", "评委甲")
    run("score", "add", office, "--group", "party-delegates", "--score", "90", "--scorer", "代表乙")
    for name, vote, count in ((office, "satisfied", "6"), (office, "basic", "1")):
        run("score", "vote", name, "--group", "npc-deputies", "--vote", vote, "--count", count)
    for name, vote, count in (
        (office, "satisfied", "40"),
        (office, "basic", "5"),
        ("秘书科", "satisfied", "30"),
        ("秘书科", "unsatisfied", "3"),
    ):
        run("score", "vote", name, "--group", "questionnaire", "--vote", vote, "--count", count)
    step(_("20. The ranking (missing evaluator groups are flagged, not renormalised)"))
    run("rank")
    step(_("21. The report for the standing committee, one HTML file to open offline"))
    run("report", "--format", "html", "-o", str(files / REPORT))


def _mail_round_trip(
    step: Callable[[str], None], run: Callable[..., None], outbox: Path, files: Path
) -> None:
    """信息科 answers its reminder by mail (into a local Maildir); the supervision office accepts it."""
    office, address = "信息科", "xinxi@example.gov.cn"
    maildir = files / "Maildir"
    step(
        _(
            "22. {office} answers its reminder by mail, the study plan attached "
            "(the reply lands in a local Maildir)"
        ).format(office=office)
    )
    _office_reply(outbox, maildir, office, address)
    os.environ["MANYI_INBOX"] = str(maildir)  # inside _offline(): the user's own settings are put back
    try:
        run("inbox", "fetch")
    finally:
        os.environ.pop("MANYI_INBOX", None)
    run("inbox", "list")
    step(_("23. Received is not filed: the supervision office accepts it, and it counts"))
    run("inbox", "accept", "1")
    run("history", office)


def _office_reply(outbox: Path, maildir: Path, office: str, address: str) -> None:
    """What the office's mail client sends: a reply to manyi's reminder with a .docx attached."""
    import email
    import email.policy
    import mailbox
    from email.message import EmailMessage
    from email.utils import make_msgid

    from workflow.mail.mailtext import reference

    sent = next(p for p in sorted(outbox.glob("*.eml")) if address in p.name)
    original = email.message_from_bytes(sent.read_bytes(), policy=email.policy.default)
    msg = EmailMessage()
    msg["From"] = f"{office} <{address}>"
    msg["To"] = str(original["From"])
    # As the reminder asks: reply, keeping (or adding) the item's reference in the subject.
    msg["Subject"] = f"回复：{original['Subject']} {reference(DEMO_CAMPAIGN, office, 'study-plan')}"
    msg["In-Reply-To"] = str(original["Message-ID"])
    msg["References"] = f"{original.get('References', '')} {original['Message-ID']}".strip()
    msg["Message-ID"] = make_msgid(domain=address.split("@")[1])
    msg.set_content("学习方案已附上，请查收。\n信息科")
    msg.add_attachment(
        "信息科创建“人民满意科室”学习方案".encode(),
        maintype="application",
        subtype="vnd.openxmlformats-officedocument.wordprocessingml.document",
        filename=f"{office}学习方案.docx",
    )
    mailbox.Maildir(str(maildir), create=True).add(msg.as_bytes())
