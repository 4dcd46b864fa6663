"""``manyi demo``: the tour ends with the ledger, scoring and the HTML report, quickly, offline."""

from __future__ import annotations

import hashlib
import json
import os
import re
import sqlite3
import time
from contextlib import closing
from pathlib import Path

import pytest
from click.testing import CliRunner

from cli import demo as demo_module
from cli.main import cli
from tests.conftest import NOW, OFFICES, roster_rows, write_roster
from workflow.usecases import demo as demo_usecases


def tree(root: Path) -> dict[str, str]:
    """Every file under ``root`` (and ``root`` itself if a file) with the sha256 of its bytes."""
    paths = [root] if root.is_file() else sorted(p for p in root.rglob("*") if p.is_file())
    return {str(p.relative_to(root.parent)): hashlib.sha256(p.read_bytes()).hexdigest() for p in paths}


def manyi(*args: str, lang: str = "en") -> object:
    return CliRunner().invoke(cli, ["--lang", lang, "--as", "tester", *args], catch_exceptions=False)


def test_demo_tours_the_ledger_scores_and_report(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    for var in ("MANYI_DB", "MANYI_NOW", "MANYI_MAIL_FROM", "MANYI_USER"):
        monkeypatch.delenv(var, raising=False)
    # A configured mail server is not the tour's: nothing listens there, the tour still mails.
    monkeypatch.setenv("MANYI_SMTP_URL", "smtp://127.0.0.1:9")
    # Mail of another database in the folder's old shared outbox: never touched.
    (tmp_path / "outbox").mkdir()
    (tmp_path / "outbox" / "000001-a@example.gov.cn.eml").write_bytes(b"Subject: real\r\n\r\nsent\r\n")
    before = tree(tmp_path / "outbox")
    began = time.monotonic()
    result = CliRunner().invoke(cli, ["--lang", "en", "--as", "tester", "demo"], catch_exceptions=False)
    elapsed = time.monotonic() - began
    assert result.exit_code == 0, result.output
    print(f"demo took {elapsed:.1f} s")
    for line in ("$ manyi rectify confirm 1", "$ manyi rectify list", "$ manyi rank"):
        assert line in result.stdout
    # One heading per step, numbered 1, 2, 3, ... (several commands may follow one heading).
    numbers = [int(m) for m in re.findall(r"^─+ (\d+)\. ", result.stdout, flags=re.MULTILINE)]
    assert numbers == list(range(1, 24)), numbers
    # Every command of the tour speaks the tour's language, not the locale's.
    assert "valid definition 'people-satisfied-unit'" in result.stdout
    assert "Recorded 6 'satisfied' votes for 市法制办公室 from People's Congress deputies." in result.stdout
    assert sorted((tmp_path / "manyi-demo.db.outbox").glob("*.eml"))  # the demo's own outbox
    assert tree(tmp_path / "outbox") == before
    assert os.environ["MANYI_SMTP_URL"] == "smtp://127.0.0.1:9"

    def manyi(*args: str) -> object:
        out = CliRunner().invoke(
            cli, ["--db", str(tmp_path / "manyi-demo.db"), "--lang", "en", *args], catch_exceptions=False
        )
        assert out.exit_code == 0, out.output
        return json.loads(out.stdout)

    items = manyi("rectify", "list", "--json")
    assert [(i["office"], i["source"], i["status"]) for i in items] == [  # type: ignore[union-attr]
        ("市法制办公室", "review", "confirmed"),
        ("市法制办公室", "inspection", "published"),
    ]
    ranks = {r["office"]: r["rank"] for r in manyi("rank", "--json")}  # type: ignore[union-attr]
    assert (ranks["市法制办公室"], ranks["秘书科"], ranks["信息科"]) == (1, 2, 3)
    report = (tmp_path / "manyi-demo.db.files" / "报告.html").read_text("utf-8")
    assert report.startswith("<!DOCTYPE html>") or report.lower().startswith("<!doctype html>")
    assert "窗口工作人员未佩戴工作牌" in report and "行政执法案卷归档不及时" in report
    # the round trip by mail: 信息科's reply from its roster address, taken in and accepted
    assert "1 new (1 matched, 0 unmatched, 0 quarantined, 0 refused), 1 submissions received" in result.stdout
    assert "Accepted submission 1: filed 'Study plan' for 信息科: 信息科学习方案.docx" in result.stdout
    (row,) = manyi("inbox", "list", "--json")  # type: ignore[misc]
    assert (row["status"], row["from"], row["requirement"]) == (
        "accepted",
        "xinxi@example.gov.cn",
        "study-plan",
    )


@pytest.fixture
def real_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A folder with a real database (campaign '2026', 6 offices, a filing, reminder mail in
    its outbox) named like the demo's, and a real shared ``outbox/`` holding its .eml files."""
    monkeypatch.chdir(tmp_path)
    for var in ("MANYI_DB", "MANYI_SMTP_URL", "MANYI_MAIL_FROM", "MANYI_USER"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.delenv("MANYI_NOW", raising=False)  # a real database runs on the real clock
    db = str(tmp_path / "manyi-demo.db")
    roster = write_roster(tmp_path / "roster.csv", roster_rows(OFFICES))
    for args in (
        (
            "campaign",
            "start",
            "people-satisfied-unit",
            "--name",
            "2026",
            "--start",
            "2026-03-01",
            "--offices",
            str(roster),
        ),
        ("file", "秘书科", "study-plan", str(roster)),
    ):
        result = manyi("--db", db, *args)
        assert result.exit_code == 0, result.output
    assert manyi("--db", db, "remind", "send").exit_code == 0
    mails = sorted((tmp_path / "manyi-demo.db.outbox").glob("*.eml"))
    assert mails
    (tmp_path / "outbox").mkdir()
    for mail in mails:
        (tmp_path / "outbox" / mail.name).write_bytes(mail.read_bytes())
    return tmp_path


def test_demo_refuses_a_real_database_and_touches_nothing(real_folder: Path) -> None:
    db = real_folder / "manyi-demo.db"
    with closing(sqlite3.connect(db)) as conn:  # closed now, not whenever it is collected
        assert conn.execute("SELECT count(*) FROM event").fetchone()[0] >= 8
    before = tree(real_folder)
    for args, lang, message in (
        (
            ("demo",),
            "en",
            f"Error: {db} exists and is not an unused demo database; the demo only "
            "writes a database it creates: choose another path with --db",
        ),
        (
            ("--db", str(db), "demo"),
            "zh",
            f"错误：{db} 已存在，且不是未使用过的演示数据库；演示只写入"
            "它自己创建的数据库：请用 --db 换一个路径",
        ),
    ):
        result = manyi(*args, lang=lang)
        assert (result.exit_code, result.stdout, result.stderr.strip()) == (1, "", message)
        assert tree(real_folder) == before


@pytest.mark.parametrize("content", [b"", b"not a database at all\n", b"SQLite format 3\x00junk"])
def test_demo_refuses_any_other_file(tmp_path: Path, content: bytes) -> None:
    target = tmp_path / "mine.db"
    target.write_bytes(content)
    result = manyi("--db", str(target), "demo")
    assert result.exit_code == 1 and "is not an unused demo database" in result.stderr
    assert target.read_bytes() == content and sorted(tmp_path.iterdir()) == [target]


def test_demo_refuses_a_folder_it_did_not_make(tmp_path: Path) -> None:
    outbox = tmp_path / "d.db.outbox"
    outbox.mkdir()
    (outbox / "000001-x.eml").write_bytes(b"mail")
    result = manyi("--db", str(tmp_path / "d.db"), "demo")
    assert (result.exit_code, result.stderr.strip()) == (
        1,
        (
            f"Error: {outbox} exists but its demo database does not; the demo only writes folders "
            "it creates: choose another path with --db"
        ),
    )
    assert tree(outbox) == {"d.db.outbox/000001-x.eml": hashlib.sha256(b"mail").hexdigest()}
    assert not (tmp_path / "d.db").exists()


def test_a_demo_database_is_replaced_only_while_unused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MANYI_NOW", NOW)
    db = tmp_path / "d.db"
    demo_usecases.prepare(db)  # what the demo creates: an empty file carrying its mark
    files = tmp_path / "d.db.files"
    files.mkdir()
    (files / "note.txt").write_text("x")
    assert (
        manyi(
            "--db",
            str(db),
            "campaign",
            "start",
            "people-satisfied-unit",
            "--name",
            "2026",
            "--start",
            "2026-03-01",
            "--rehearsal",
        ).exit_code
        == 0
    )
    demo_usecases.stamp(db)  # the tour finished here
    demo_usecases.prepare(db)  # so a second demo may start over
    assert not files.exists()
    assert sqlite3.connect(db).execute("SELECT name FROM sqlite_master").fetchall() == []
    # Used after the tour (an event more): it is somebody's database now.
    assert (
        manyi(
            "--db",
            str(db),
            "campaign",
            "start",
            "people-satisfied-unit",
            "--name",
            "2026",
            "--start",
            "2026-03-01",
            "--rehearsal",
        ).exit_code
        == 0
    )
    demo_usecases.stamp(db)
    assert manyi("--db", str(db), "office", "add", "新科室").exit_code == 0
    before = tree(tmp_path)
    result = manyi("--db", str(db), "demo")
    assert result.exit_code == 1 and "is not an unused demo database" in result.stderr
    assert tree(tmp_path) == before


def test_demo_names_the_tours_it_has(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("MANYI_DB", raising=False)
    result = manyi("demo", "no-such-campaign")
    assert (result.exit_code, result.stderr.strip()) == (
        1,
        "Error: no demo tour for 'no-such-campaign'; tours: business-environment-appraisal, "
        "people-satisfied-unit",
    )
    assert list(tmp_path.iterdir()) == []  # nothing created


def test_no_campaign_wording_in_the_demo_code() -> None:
    """The tour is data (definitions/tours/): the command's code names no office or step."""
    source = (Path(demo_module.__file__)).read_text("utf-8")
    for word in (
        "市法制办公室",
        "秘书科",
        "领导小组",
        "study-plan",
        "leading-group",
        "people-satisfied-unit",
    ):
        assert word not in source, word


def test_the_second_campaigns_tour_runs_offline(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The appraisal's tour: a category column deciding what applies, five-level votes, a veto."""
    monkeypatch.chdir(tmp_path)
    for var in ("MANYI_DB", "MANYI_NOW", "MANYI_MAIL_FROM", "MANYI_USER", "MANYI_SMTP_URL"):
        monkeypatch.delenv(var, raising=False)
    result = manyi("demo", "business-environment-appraisal")
    assert result.exit_code == 0, result.output
    numbers = [int(m) for m in re.findall(r"^─+ (\d+)\. ", result.stdout, flags=re.MULTILINE)]
    assert numbers == list(range(1, 12)), numbers
    out = result.stdout
    refused = "'service-commitment' applies only to those tagged 涉企部门; 市机关事务管理局 is not"
    assert refused in result.stderr  # the tour shows the refusal as the command gives it
    assert "市机关事务管理局: Self-inspection → Public appraisal" in out
    assert "Commended department (top 5): 市市场监督管理局, 市机关事务管理局" in out  # after the veto
    assert (tmp_path / "manyi-demo.db.files" / "评议报告.html").is_file()
