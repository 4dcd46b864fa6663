"""The default Chinese console: no English msgid, key or library message shows through."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import OFFICES, Run, write_roster
from workflow.i18n import set_language

LG = "dcs@example.gov.cn"
LATE = "2026-04-02T10:00:00+08:00"  # 10 days after the offices' 2026-03-23 due date


@pytest.fixture(autouse=True)
def _english_afterwards() -> Iterator[None]:
    """``--lang zh`` switches the process; leave it in English for the tests that follow."""
    yield
    set_language("en")


@pytest.fixture
def mailed(run: Run, tmp_path: Path) -> Run:
    """The seed campaign with addresses, after one reminder sweep wrote mail to outbox/."""
    rows = [(n, f"office{i}@example.gov.cn", f"负责人{i}") for i, n in enumerate(OFFICES)]
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
    sent = run("remind", "send", env={"MANYI_NOW": LATE})
    assert sent.exit_code == 0, sent.output
    return run


def header(text: str) -> list[str]:
    """The column titles of the first table in ``text`` (the line above its rule)."""
    lines = text.splitlines()
    rule = next(i for i, x in enumerate(lines) if x.startswith("─"))
    return re.split(r"\s{2,}", lines[rule - 1].strip())


def body(text: str) -> list[str]:
    """The lines of the first table in ``text`` under its rule."""
    lines = text.splitlines()
    rule = next(i for i, x in enumerate(lines) if x.startswith("─"))
    return [x for x in lines[rule + 1 :] if x.startswith(" ")]


def test_outbox_names_the_recipient_column(mailed: Run) -> None:
    zh = mailed("--lang", "zh", "outbox", env={"COLUMNS": "160"})
    assert zh.exit_code == 0, zh.output
    assert header(zh.stdout)[2] == "收件人"
    assert "新阶段" not in zh.stdout
    assert header(mailed("outbox").stdout)[2] == "Recipient"
    preview = mailed("--lang", "zh", "remind", "preview", "--at", "2026-04-10T10:00", env={"COLUMNS": "160"})
    assert header(preview.stdout)[0] == "收件人" and header(preview.stdout)[2] == "到期或逾期事项"
    assert "活动实施意见" in preview.stdout and "implementation-opinion" not in preview.stdout


def test_office_list_and_calendar_show_phase_titles(started: Run) -> None:
    wide = {"COLUMNS": "200"}
    offices = started("--lang", "zh", "office", "list", env=wide).stdout
    assert "学习动员阶段" in offices and "mobilization" not in offices
    assert "Study & mobilization" in started("office", "list", env=wide).stdout
    rows = json.loads(started("office", "list", "--json").stdout)
    assert {(r["state"], r["state_title"]) for r in rows} == {("mobilization", "Study & mobilization")}

    calendar = started("--lang", "zh", "calendar", env=wide).stdout
    lines = body(calendar)
    phase_column = [
        line.split()[-1]
        for line, below in zip(lines, lines[1:], strict=False)
        if below.strip() == "（阶段结束）"
    ]
    assert phase_column == ["学习动员阶段", "组织实施阶段", "评议整改阶段", "总结提升阶段"]
    entries = json.loads(started("--lang", "zh", "calendar", "--json").stdout)
    assert (entries[0]["phase"], entries[0]["phase_title"], entries[0]["requirement"]) == (
        "mobilization",
        "学习动员阶段",
        None,
    )
    assert {e["phase_title"] for e in entries if e["phase"] == "review"} == {"评议整改阶段"}


def test_definition_errors_are_all_chinese(run: Run, tmp_path: Path) -> None:
    from tests.workflow.test_definition import MINIMAL

    bad = tmp_path / "bad.yaml"
    bad.write_text(MINIMAL.replace("exit: true", "exit: maybe"), encoding="utf-8")
    result = run("--lang", "zh", "definition", "check", str(bad))
    assert result.exit_code == 1
    assert result.stderr.strip().endswith(
        f"{bad}:13: phase 'one': requirement 'a': exit: 必须是 true 或 false"
    )
    assert "Input should" not in result.stderr
    gbk = tmp_path / "gbk.yaml"
    gbk.write_bytes(MINIMAL.encode("gbk"))
    result = run("--lang", "zh", "definition", "check", str(gbk))
    assert result.exit_code == 1
    assert result.stderr.strip().endswith(f"{gbk}:2: 不是 UTF-8 文本；请将定义文件另存为 UTF-8 编码")
    assert len(result.stderr.strip().splitlines()) == 1 and "codec" not in result.stderr


def test_scores_votes_and_rank_show_group_titles_and_vote_words(started: Run) -> None:
    def zh(*args: str) -> str:
        result = started("--lang", "zh", *args, env={"COLUMNS": "200"})
        assert result.exit_code == 0, result.output
        return result.stdout

    assert zh("score", "add", "秘书科", "--group", "leading-group", "--score", "88") == (
        "已录入领导小组对秘书科的评分 88。\n"
    )
    words = {"satisfied": "满意", "basic": "基本满意", "unsatisfied": "不满意", "unknown": "不了解"}
    for key, word in words.items():
        assert zh("score", "vote", "秘书科", "--group", "questionnaire", "--vote", key, "--count", "2") == (
            f"已录入民主测评问卷对秘书科的“{word}”评价 2 票。\n"
        )
    assert started("score", "vote", "信息科", "--group", "npc-deputies", "--vote", "basic").stdout == (
        "Recorded 1 'basically satisfied' votes for 信息科 from People's Congress deputies.\n"
    )
    row = next(x for x in zh("rank").splitlines() if "秘书科" in x)
    assert re.split(r"\s{2,}", row.strip())[-1] == "党代表、人大代表"
    assert zh("score", "explain", "秘书科").splitlines()[-1] == (
        "缺少评价主体（按 0 分计，权重不重新归一）：党代表、人大代表"
    )
    ranked = json.loads(started("rank", "--json").stdout)
    assert ranked[0]["missing_groups"] == ["party-delegates", "npc-deputies"]  # JSON keeps the keys


def test_a_bad_database_names_the_option_or_the_variable_used(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from click.testing import CliRunner

    from cli.main import cli

    monkeypatch.delenv("MANYI_DB", raising=False)
    missing = tmp_path / "no-such-folder" / "x.db"

    def init(*args: str, env: dict[str, str] | None = None) -> str:
        result = CliRunner().invoke(cli, [*args, "init"], env=env, catch_exceptions=False)
        assert result.exit_code == 1
        return result.stderr.strip()

    assert init("--lang", "en", "--db", str(missing)) == (
        f"Error: --db: folder does not exist: {missing.parent}"
    )
    assert init("--lang", "en", env={"MANYI_DB": str(missing)}) == (
        f"Error: MANYI_DB: folder does not exist: {missing.parent}"
    )
    # --db wins over MANYI_DB, and is the one named
    assert init("--lang", "en", "--db", str(missing), env={"MANYI_DB": str(tmp_path / "ok.db")}).startswith(
        "Error: --db: "
    )
    assert init("--lang", "zh", "--db", "://x") == "错误：--db：不是数据库地址：://x"


def test_an_unknown_manyi_lang_warns_once_and_goes_on_in_chinese(started: Run, db_path: object) -> None:
    from click.testing import CliRunner

    from cli.main import cli

    def status(*args: str, lang: str) -> tuple[int, str, str]:
        result = CliRunner().invoke(
            cli, [*args, "--db", str(db_path), "status"], env={"MANYI_LANG": lang}, catch_exceptions=False
        )
        return result.exit_code, result.stdout, result.stderr

    code, out, err = status(lang="fr")
    assert code == 0
    assert err == "警告：MANYI_LANG=fr 不是 manyi 支持的语言（zh、en），改用中文。\n"
    assert out.startswith("活动“2026”")
    assert status(lang="en_US.UTF-8")[2] == "" and status(lang="zh_CN")[2] == ""
    code, out, err = status("--lang", "en", lang="fr")  # the option decides: nothing to warn about
    assert (code, err) == (0, "") and out.startswith("Campaign '2026'")


#: Help texts whose ASCII commas are a CSV header, written as the file has it.
CSV_HEADERS = {
    "Import offices from a roster CSV (name,email,head or 科室,邮箱,负责人; UTF-8 or GBK).",
    "Import items from a CSV (office,text,source,due; UTF-8 or GBK); all rows or none.",
    "Import scores/votes from CSV or .xlsx (office,group,scorer,score|vote[,count]); all rows or none.",
    "Import offices from a roster CSV or .xlsx (name,email,head[,tags] or 科室,邮箱,负责人[,标签]; "
    "UTF-8 or GBK). Offices already there are reported, not refused.",
    # tag values as typed: 涉企部门;窗口单位 and the separators themselves
    "Roster categories, e.g. 涉企部门;窗口单位 (separated by ; 、 or ,); "
    "a requirement marked only: applies to offices with one of them.",
}


def test_chinese_sentences_use_full_width_punctuation() -> None:
    """No ASCII : , ; ( ) next to Chinese text in a translation, outside code, fields and URLs."""
    import re

    from cli import catalog

    wide = "[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef“”《》]"
    half = re.compile(f"(?<={wide})[:,;()]|[:,;()](?={wide})")
    found = []
    for msg in catalog.read("zh", "manyi"):
        if not msg.id or not msg.string or msg.id in CSV_HEADERS:
            continue
        text = re.sub(r"`[^`]*`", "", str(msg.string))  # commands
        text = re.sub(r"\{[^}]*\}", "X", text)  # format fields
        text = re.sub(r"\S+://\S*", "", text)  # URLs
        if half.search(text):
            found.append(f"{msg.id!r} => {msg.string!r}")
    assert found == []


def test_chinese_messages_read_with_full_width_punctuation(started: Run) -> None:
    result = started("--lang", "zh", "advance", "--all")
    assert "市法制办公室：停留在 学习动员阶段，尚缺 " in result.stdout
    result = started("--lang", "zh", "file", "无此科", "study-plan", "x.txt")
    assert result.stderr.startswith("错误：未知科室“无此科”；现有：市外事侨务办公室")
