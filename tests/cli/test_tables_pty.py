"""Every table in a real terminal at 80 and 60 columns: what identifies a row is on screen whole.

Each command runs in a pseudo-terminal whose window size and ``COLUMNS``/``LINES`` say
80×24 or 60×24; what it writes is fed to a VT100 emulator (pyte), and the test reads
the emulator's screen, as a person would read the terminal. The campaign uses the
longest real names of the seed: 市口岸与海防委员会办公室, a 40-character rectification
text, and a head named 刘䶮 (a character outside the basic CJK block).
"""

from __future__ import annotations

import os
import re
import struct
import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from cli.main import cli
from tests.conftest import write_roster

# Slow: the program in a pseudo-terminal, one process per screen (pytest -m 'not slow' leaves it out).
pytestmark = pytest.mark.slow

LONG_OFFICE = "市口岸与海防委员会办公室"
LONG_ITEM = "行政执法案卷归档不及时且未按规定期限向社会公开执法结果的问题需在本月底前完成整改"
HEAD = "刘䶮"
LONG_TITLE = {
    "zh": '《关于开展创建"人民满意单位"活动的工作方案》',
    "en": "Report to the People's Congress standing committee",
}
LONG_KEY = "rectification-report-to-review-group"
assert len(LONG_ITEM) == 40

OFFICES = [
    ("市外事侨务办公室", "waishi@example.gov.cn", "王主任"),
    ("市支前双拥工作办公室", "shuangyong@example.gov.cn", "李主任"),
    (LONG_OFFICE, "kouan@example.gov.cn", HEAD),
    ("市法制办公室", "fazhi@example.gov.cn", "赵主任"),
    ("秘书科", "mishu@example.gov.cn", "陈科长"),
    ("信息科", "xinxi@example.gov.cn", "孙科长"),
]


@pytest.fixture(scope="module")
def campaign_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A campaign started 40 days ago (real clock), with filings, items, scores and sent reminders."""
    home = tmp_path_factory.mktemp("pty")
    db = home / "manyi.db"
    roster = write_roster(home / "roster.csv", OFFICES)
    env = {"MANYI_NOW": None, "MANYI_DB": None, "MANYI_SMTP_URL": None}

    def run(*args: str, actor: str = "督查室", ok: tuple[int, ...] = (0,)) -> None:
        result = CliRunner().invoke(cli, ["--db", str(db), "--lang", "en", "--as", actor, *args], env=env)
        assert result.exit_code in ok, result.output

    def doc(name: str) -> str:
        (home / name).write_text("内容", encoding="utf-8")
        return str(home / name)

    start = date.today() - timedelta(days=40)
    run(
        "campaign",
        "start",
        "people-satisfied-unit",
        "--name",
        "2026",
        "--start",
        start.isoformat(),
        "--offices",
        str(roster),
        "--set",
        "leading-group-email=duchashi@example.gov.cn",
    )
    run("file", "领导小组", "work-plan", doc("plan.txt"))
    for office in (LONG_OFFICE, "市法制办公室"):
        run("file", office, "implementation-opinion", doc("实施意见.txt"), actor=HEAD)
        run("file", office, "study-plan", doc("学习方案.txt"), actor=HEAD)
    run("advance", "--all", ok=(3,))
    due = (date.today() + timedelta(days=10)).isoformat()
    run("rectify", "add", LONG_OFFICE, LONG_ITEM, "--due", due)
    run("rectify", "add", "信息科", "窗口服务不规范", "--source", "inspection", "--due", due)
    run("score", "add", LONG_OFFICE, "--group", "leading-group", "--score", "88", "--scorer", HEAD)
    run("score", "add", "秘书科", "--group", "leading-group", "--score", "91", "--scorer", HEAD)
    run("remind", "send")
    return db


#: Runs each command of argv[1] (JSON) in this one process, a marker line after each:
#: start-up is paid once per terminal, not once per table.
CHILD = """
import json, sys
from cli.main import cli
for i, args in enumerate(json.loads(sys.argv[1])):
    try:
        cli.main(args, prog_name="manyi", standalone_mode=False)
    except SystemExit as exc:
        assert not exc.code, (args, exc.code)
    sys.stdout.flush()
    print(f"@@{i}@@", flush=True)
"""


def screens(db: Path, commands: list[list[str]], columns: int, lang: str) -> list[list[str]]:
    """What a ``columns``×24 terminal shows for each of ``commands`` (scrolled-off lines included)."""
    import fcntl
    import json
    import termios

    import pyte

    master, slave = os.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, columns, 0, 0))
    env = {k: v for k, v in os.environ.items() if not k.startswith("MANYI_")}
    env.update(
        MANYI_DB=str(db),
        MANYI_LANG=lang,
        MANYI_USER="督查室",
        COLUMNS=str(columns),
        LINES="24",
        TERM="xterm-256color",
        MANYI_CACHE_DIR=os.environ.get("MANYI_CACHE_DIR", ""),
    )
    proc = subprocess.Popen(
        [sys.executable, "-c", CHILD, json.dumps(commands)],
        stdin=slave,
        stdout=slave,
        stderr=slave,
        env=env,
        cwd=db.parent,
        start_new_session=True,
    )
    os.close(slave)
    chunks = []
    while True:
        try:
            data = os.read(master, 65536)
        except OSError:  # EIO: the terminal's other end is closed
            break
        if not data:
            break
        chunks.append(data)
    os.close(master)
    assert proc.wait(timeout=120) == 0, b"".join(chunks).decode("utf-8", "replace")
    # A tall screen keeps what a real terminal would have scrolled into its history.
    term = pyte.Screen(columns, 3000)
    pyte.ByteStream(term).feed(b"".join(chunks))
    out: list[list[str]] = [[]]
    for line in (line.rstrip() for line in term.display):
        if line == f"@@{len(out) - 1}@@":
            out.append([])
        else:
            out[-1].append(line)
    assert len(out) == len(commands) + 1, "\n".join(term.display)
    return [[line for line in lines] for lines in out[:-1]]


def screen(db: Path, args: list[str], columns: int, lang: str) -> list[str]:
    return screens(db, [args], columns, lang)[0]


def whole(text: str, lines: list[str]) -> bool:
    """``text`` reads in one piece: on one line, or folded only onto lines that hold nothing else."""
    if any(text in line for line in lines):
        return True
    squeezed = "".join(line.strip() for line in lines)
    return re.sub(r"\s+", "", text) in re.sub(r"\s+", "", squeezed)


#: command, texts that must be whole on screen (both languages)
TABLES: list[tuple[list[str], list[Any]]] = [
    (["status"], [LONG_OFFICE, "市支前双拥工作办公室"]),
    (["office", "list"], [LONG_OFFICE, HEAD, "shuangyong@example.gov.cn"]),
    (["rectify", "list"], [LONG_OFFICE, LONG_ITEM]),
    (["calendar"], [LONG_TITLE, LONG_KEY]),
    (
        ["remind", "preview", "--at", (date.today() + timedelta(days=1)).isoformat() + "T10:00"],
        ["市支前双拥工作办公室", "shuangyong@example.gov.cn"],
    ),
    (["history", LONG_OFFICE], [HEAD, "实施意见.txt", "学习方案.txt"]),
    (["outbox"], ["duchashi@example.gov.cn", "shuangyong@example.gov.cn"]),
    (["rank"], [LONG_OFFICE, "市支前双拥工作办公室"]),
    (["definition", "check", "people-satisfied-unit"], ["implementation-opinion", "rectification-report"]),
    (["definition", "check", "people-satisfied-unit", "--verbose"], [LONG_KEY, LONG_TITLE]),
]


@pytest.mark.parametrize("columns", [80, 60])
@pytest.mark.parametrize("lang", ["zh", "en"])
def test_every_table_keeps_what_identifies_a_row_whole(campaign_db: Path, columns: int, lang: str) -> None:
    shots = screens(campaign_db, [args for args, _texts in TABLES], columns, lang)
    for (args, texts), lines in zip(TABLES, shots, strict=True):
        while lines and not lines[-1]:
            lines.pop()
        shown = "\n".join(lines)
        assert lines, args
        for text in texts:
            text = text[lang] if isinstance(text, dict) else text
            assert whole(text, lines), f"manyi {' '.join(args)} at {columns} ({lang}): {text!r} cut\n{shown}"
        assert "…" not in shown, f"manyi {' '.join(args)} cut something at {columns}:\n{shown}"
        # A key is never split at a hyphen or inside a word.
        assert not re.search(r"[a-z]-$", shown, re.M), shown


def test_the_board_is_stacked_where_its_columns_cannot_fit(campaign_db: Path) -> None:
    wide = screen(campaign_db, ["status"], 80, "zh")
    narrow = screen(campaign_db, ["status"], 60, "zh")
    row = next(line for line in wide if line.startswith(f" {LONG_OFFICE}"))
    assert row.split()[1:5] in (["✓", "●", "·", "·"], ["●", "·", "·", "·"])
    block = narrow.index(LONG_OFFICE)  # the office heads its own block
    assert narrow[block + 1].split()[0] == "阶段"
    assert any(line.split()[:1] == ["亮灯"] for line in narrow[block : block + 6])
