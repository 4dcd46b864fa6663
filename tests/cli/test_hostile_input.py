"""Hostile names and addresses: refused at the door, and inert on the terminal if they get in anyway."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.backends import execute
from tests.cli.test_bad_input import assert_refused
from tests.conftest import START, Run, doc, dump, write_roster

NOT_ALLOWED = "; control and invisible formatting characters are not allowed"

HOSTILE = [
    ("a\x1b[2Jb", "U+001B (control character)"),  # ESC: clear screen
    ("a\x1b]0;pwned\x07b", "U+001B (control character)"),  # OSC: set the window title
    ("a\x07b", "U+0007 (control character)"),  # BEL
    ("a\x00b", "U+0000 (control character)"),  # NUL
    ("abc\u202etxt.exe", "U+202E (RIGHT-TO-LEFT OVERRIDE)"),
    ("a\u2066b", "U+2066 (LEFT-TO-RIGHT ISOLATE)"),
    ("甲\u200b", "U+200B (ZERO WIDTH SPACE)"),
    ("\ufeff甲", "U+FEFF (ZERO WIDTH NO-BREAK SPACE)"),
    ("a\x9bb", "U+009B (control character)"),  # C1 CSI
    ("2026\r\nBcc: x@example.gov.cn", "U+000D (control character)"),
    ("a\nb", "U+000A (control character)"),
]
IDS = ["esc", "osc", "bel", "nul", "rlo", "lri", "zwsp", "bom", "c1", "crlf", "lf"]


@pytest.mark.parametrize(("value", "char"), HOSTILE, ids=IDS)
def test_hostile_campaign_name_refused(started: Run, db_path: Path, value: str, char: str) -> None:
    assert_refused(
        started,
        db_path,
        ["campaign", "start", "people-satisfied-unit", "--name", value, "--start", START],
        f"--name: contains {char}{NOT_ALLOWED}",
    )


@pytest.mark.parametrize(("value", "char"), HOSTILE, ids=IDS)
def test_hostile_office_name_and_head_refused(started: Run, db_path: Path, value: str, char: str) -> None:
    assert_refused(started, db_path, ["office", "add", value], f"NAME: contains {char}{NOT_ALLOWED}")
    assert_refused(
        started,
        db_path,
        ["office", "add", "人秘科", "--head", value],
        f"--head: contains {char}{NOT_ALLOWED}",
    )


@pytest.mark.parametrize(
    "args",
    [
        ["file", "秘书科", "self-check-report", "{doc}", "--note", "{bad}"],
        ["advance", "秘书科", "--force", "--reason", "{bad}"],
        ["extend", "秘书科", "self-check-report", "--to", "2026-09-01", "--reason", "{bad}"],
        ["rectify", "add", "秘书科", "{bad}"],
        ["inspect", "record", "秘书科", "--kind", "announced", "--date", "2026-03-02", "--finding", "{bad}"],
        ["score", "add", "秘书科", "--group", "leading-group", "--score", "90", "--scorer", "{bad}"],
        ["campaign", "close", "2026", "--reason", "{bad}"],
        ["user", "add", "{bad}", "--role", "supervisor"],
    ],
    ids=["note", "reason", "extend", "item", "finding", "scorer", "close", "operator"],
)
def test_hostile_text_in_every_option_refused(
    started: Run, db_path: Path, tmp_path: Path, args: list[str]
) -> None:
    path = doc(tmp_path, "自查报告.docx")
    argv = [a.replace("{doc}", path).replace("{bad}", "ok\x1b]0;pwned\x07") for a in args]
    label = next(
        (argv[i - 1] for i, a in enumerate(argv) if "\x1b" in a and argv[i - 1].startswith("--")), None
    )
    label = label or {"rectify": "TEXT", "user": "NAME"}[args[0]]
    assert_refused(started, db_path, argv, f"{label}: contains U+001B (control character){NOT_ALLOWED}")


def test_hostile_as_and_file_name_refused(started: Run, db_path: Path, tmp_path: Path) -> None:
    before = dump(db_path)
    result = started("status", actor="ad\u202emin")
    assert result.exit_code == 1
    assert result.stderr == f"Error: --as: contains U+202E (RIGHT-TO-LEFT OVERRIDE){NOT_ALLOWED}\n"
    evil = tmp_path / "report\x1b[2J.docx"
    evil.write_text("x", encoding="utf-8")
    assert_refused(
        started,
        db_path,
        ["file", "秘书科", "self-check-report", str(evil)],
        f"PATH: contains U+001B (control character){NOT_ALLOWED}",
    )
    assert dump(db_path) == before


def test_blank_names_refused(started: Run, db_path: Path) -> None:
    assert_refused(started, db_path, ["office", "add", "   "], "office name must not be empty")
    assert_refused(
        started,
        db_path,
        ["office", "add", "\u200b"],
        f"NAME: contains U+200B (ZERO WIDTH SPACE){NOT_ALLOWED}",
    )


def test_names_are_nfc_so_lookalikes_are_one_office(started: Run, db_path: Path) -> None:
    assert started("office", "add", "Caf\u00e9").exit_code == 0
    assert_refused(started, db_path, ["office", "add", "Cafe\u0301"], "office 'Caf\u00e9' already exists")
    # a decomposed spelling finds the office too
    result = started("history", "Cafe\u0301", "--json")
    assert result.exit_code == 0, result.output
    assert '"action": "office-add"' in result.stdout


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (
            "dcs@example.gov.cn\r\nBcc: spy@example.org",
            "--set: contains U+000D (control character)" + NOT_ALLOWED,
        ),
        (
            "督查室@example.gov.cn",
            "--set leading-group-email: '督查室@example.gov.cn' has non-ASCII characters "
            "before the @; manyi sends mail without SMTPUTF8, ask for an ASCII address",
        ),
        (
            "dcs-at-gov",
            "--set leading-group-email: 'dcs-at-gov' is not an e-mail address "
            "(An email address must have an @-sign)",
        ),
    ],
)
def test_leading_group_email_checked(started: Run, db_path: Path, value: str, message: str) -> None:
    assert_refused(
        started,
        db_path,
        [
            "campaign",
            "start",
            "people-satisfied-unit",
            "--name",
            "2027",
            "--start",
            START,
            "--set",
            f"leading-group-email={value}",
        ],
        message,
    )


def test_internationalized_and_broken_addresses_refused_at_entry(
    started: Run, db_path: Path, tmp_path: Path
) -> None:
    assert_refused(
        started,
        db_path,
        ["office", "add", "人秘科", "--email", "王主任@example.gov.cn"],
        "--email: '王主任@example.gov.cn' has non-ASCII characters before the @; manyi sends "
        "mail without SMTPUTF8, ask for an ASCII address",
    )
    assert_refused(
        started,
        db_path,
        ["office", "add", "人秘科", "--email", "a@b.cn\nBcc: c@d.cn"],
        f"--email: contains U+000A (control character){NOT_ALLOWED}",
    )
    roster = write_roster(tmp_path / "r.csv", [("人秘科", "王主任@example.gov.cn", "王")])
    assert_refused(
        started,
        db_path,
        ["office", "import", str(roster)],
        f"{roster} row 2: e-mail: '王主任@example.gov.cn' has non-ASCII characters before the @; "
        "manyi sends mail without SMTPUTF8, ask for an ASCII address",
    )
    roster = write_roster(tmp_path / "r2.csv", [("人秘\u202e科", "rmk@example.gov.cn", "王")])
    assert_refused(
        started,
        db_path,
        ["office", "import", str(roster)],
        f"{roster} row 2: office name: contains U+202E (RIGHT-TO-LEFT OVERRIDE){NOT_ALLOWED}",
    )


def test_domain_is_normalised(started: Run) -> None:
    result = started("office", "add", "人秘科", "--email", "Renmi@Example.GOV.cn")
    assert result.exit_code == 0, result.output
    rows = started("office", "list", "--json").stdout
    assert '"email": "Renmi@example.gov.cn"' in rows


HIDDEN = "科\x1b]0;pwned\x07\x1b[2J\u202e室\x9b"


def test_terminal_output_is_inert_when_hostile_data_got_in(started: Run, db_path: Path) -> None:
    """A name planted by direct SQL cannot drive the terminal through any listing or error."""
    execute(db_path, "UPDATE section SET name = :n, head = :n WHERE name = '秘书科'", {"n": HIDDEN})
    execute(db_path, "UPDATE event SET actor = :n WHERE seq = 1", {"n": HIDDEN})
    shown = "科\\x1b]0;pwned\\x07\\x1b[2J\\u202e室\\x9b"
    outputs = []
    for args in (["status"], ["office", "list"], ["history", "信息科"], ["rank"], ["remind", "preview"]):
        result = started(*args)
        outputs.append(result.stdout + result.stderr)
    result = started("office", "list", "--json")
    assert "\\u001b]0;pwned\\u0007" in result.stdout and "\\u202e" in result.stdout
    outputs.append(result.stdout)
    result = started("advance", "不存在的科室")  # the error lists known offices, the planted one among them
    assert result.exit_code == 1
    outputs.append(result.stderr)
    everything = "".join(outputs)
    for raw in ("\x1b", "\x07", "\u202e", "\x9b"):
        assert raw not in everything
    assert shown in "".join(outputs[:2])
    assert shown in result.stderr
