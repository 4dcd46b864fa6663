"""The status board, pinned at 80 and 120 columns with Chinese office names."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from rich.console import Console

from cli.board import board, legend
from cli.console import paragraph
from storage.db import Database
from tests.conftest import Run, doc
from workflow.i18n import set_language
from workflow.usecases import board as board_usecases
from workflow.usecases.context import Context


@pytest.fixture
def moved(started: Run, tmp_path: Path) -> Run:
    """Four attached offices in implementation, 市法制办公室 in review, 信息科 still in mobilization."""
    started("file", "领导小组", "work-plan", doc(tmp_path, "plan.txt"))
    for office in ["市外事侨务办公室", "市支前双拥工作办公室", "市口岸与海防委员会办公室", "市法制办公室"]:
        for req in ("implementation-opinion", "study-plan"):
            assert started("file", office, req, doc(tmp_path, f"{office}{req}.txt")).exit_code == 0
    started("advance", "--all")
    started("advance", "秘书科", "--force", "--reason", "后补", "--from", "mobilization")
    started("file", "市法制办公室", "research-report", doc(tmp_path, "r.txt"))
    started("advance", "市法制办公室")
    return started


def render(db_path: Path, width: int, lang: str) -> str:
    set_language(lang)
    db = Database(str(db_path))
    try:
        ctx = Context(db, "tester", lambda: datetime(2026, 3, 1, 2, tzinfo=UTC))
        st = board_usecases.status(ctx, None)
        out = io.StringIO()
        con = Console(width=width, file=out, color_system=None, legacy_windows=False)
        con.print(board(st))
        paragraph(legend(st), con)
        return "\n".join(line.rstrip() for line in out.getvalue().splitlines())
    finally:
        db.dispose()
        set_language("en")


ZH = """\
 科室                       1   2   3   4   亮灯   尚缺事项       下一期限
──────────────────────────────────────────────────────────────────────────────
 市外事侨务办公室           ✓   ●   ·   ·   绿灯   调研报告       2026-10-08
 市支前双拥工作办公室       ✓   ●   ·   ·   绿灯   调研报告       2026-10-08
 市口岸与海防委员会办公室   ✓   ●   ·   ·   绿灯   调研报告       2026-10-08
 市法制办公室               ✓   ✓   ●   ·   绿灯   整改情况报告   2027-02-01
 秘书科                     ✓   ●   ·   ·   绿灯   调研报告       2026-03-23*
                                                   欠报2项
 信息科                     ●   ·   ·   ·   绿灯   活动实施意见   2026-03-23
                                                   学习方案

 合计 6                     1   4   1   0          已完成 0
1 学习动员阶段   2 组织实施阶段   3 评议整改阶段   4 总结提升阶段
✓ 已完成   ● 当前阶段   · 未开始
* 为前一阶段尚未报送材料的期限（该科室已被强制推进，材料仍需补报）；详见 history
欠报：科室被强制推进时尚未报送的前期材料，仍需补报并继续催办（材料名称见 status
--json 和报告）"""

EN_80 = """\
 Office                    1 2 3 4  Light  Blocked by              Next due
──────────────────────────────────────────────────────────────────────────────
 市外事侨务办公室          ✓ ● · ·  green  Research report         2026-10-08
 市支前双拥工作办公室      ✓ ● · ·  green  Research report         2026-10-08
 市口岸与海防委员会办公室  ✓ ● · ·  green  Research report         2026-10-08
 市法制办公室              ✓ ✓ ● ·  green  Rectification report    2027-02-01
 秘书科                    ✓ ● · ·  green  Research report         2026-03-23*
                                           2 owed
 信息科                    ● · · ·  green  Implementation opinion  2026-03-23
                                           Study plan

 Total 6                   1 4 1 0         Completed 0
1 Study & mobilization   2 Organization & implementation
3 Review & rectification   4 Summary & improvement
✓ done   ● current phase   · ahead
* due date of an earlier phase's document still not filed (the office was moved
on without it); see history
owed: documents of earlier phases the office was moved on without, still due and
reminded (their titles: status --json, report)"""

# Below the width where the board's columns fit with every name whole: one block per office.
ZH_60 = """\
市外事侨务办公室
  阶段      ✓ ● · ·
  亮灯      绿灯
  尚缺事项  调研报告
  下一期限  2026-10-08

市支前双拥工作办公室
  阶段      ✓ ● · ·
  亮灯      绿灯
  尚缺事项  调研报告
  下一期限  2026-10-08

市口岸与海防委员会办公室
  阶段      ✓ ● · ·
  亮灯      绿灯
  尚缺事项  调研报告
  下一期限  2026-10-08

市法制办公室
  阶段      ✓ ✓ ● ·
  亮灯      绿灯
  尚缺事项  整改情况报告
  下一期限  2027-02-01

秘书科
  阶段      ✓ ● · ·
  亮灯      绿灯
  尚缺事项  调研报告
            欠报2项
  下一期限  2026-03-23*

信息科
  阶段      ● · · ·
  亮灯      绿灯
  尚缺事项  活动实施意见
            学习方案
  下一期限  2026-03-23

合计 6
  阶段      1 4 1 0
            已完成 0
1 学习动员阶段   2 组织实施阶段   3 评议整改阶段
4 总结提升阶段
✓ 已完成   ● 当前阶段   · 未开始
* 为前一阶段尚未报送材料的期限（该科室已被强制推进，材料仍需
补报）；详见 history
欠报：科室被强制推进时尚未报送的前期材料，仍需补报并继续催办
（材料名称见 status --json 和报告）"""

EN_120 = """\
 Office                     1   2   3   4   Light   Blocked by               Next due
─────────────────────────────────────────────────────────────────────────────────────────
 市外事侨务办公室           ✓   ●   ·   ·   green   Research report          2026-10-08
 市支前双拥工作办公室       ✓   ●   ·   ·   green   Research report          2026-10-08
 市口岸与海防委员会办公室   ✓   ●   ·   ·   green   Research report          2026-10-08
 市法制办公室               ✓   ✓   ●   ·   green   Rectification report     2027-02-01
 秘书科                     ✓   ●   ·   ·   green   Research report          2026-03-23*
                                                    2 owed
 信息科                     ●   ·   ·   ·   green   Implementation opinion   2026-03-23
                                                    Study plan

 Total 6                    1   4   1   0           Completed 0
1 Study & mobilization   2 Organization & implementation   3 Review & rectification   4 Summary & improvement
✓ done   ● current phase   · ahead
* due date of an earlier phase's document still not filed (the office was moved on without it); see history
owed: documents of earlier phases the office was moved on without, still due and reminded (their titles: status --json,
report)"""


def test_board_in_chinese_aligns_names(moved: Run, db_path: Path) -> None:
    assert render(db_path, 80, "zh") == ZH
    wide = render(db_path, 120, "zh")  # room enough: no name is cut
    assert " 市口岸与海防委员会办公室 " in wide and "欠报2项" in wide


def test_board_in_english_at_80_and_120(moved: Run, db_path: Path) -> None:
    assert render(db_path, 80, "en") == EN_80
    assert render(db_path, 120, "en") == EN_120


def test_board_at_60_columns_is_stacked_with_names_whole(moved: Run, db_path: Path) -> None:
    assert render(db_path, 60, "zh") == ZH_60


def test_board_is_never_wider_than_the_console(moved: Run, db_path: Path) -> None:
    from rich.cells import cell_len

    for width in (60, 80):
        assert max(cell_len(line) for line in render(db_path, width, "zh").splitlines()) <= width


def test_status_filters_by_office_and_phase(moved: Run) -> None:
    rows = json.loads(moved("status", "--json", "--phase", "implementation").stdout)
    assert [r["office"] for r in rows] == [
        "市外事侨务办公室",
        "市支前双拥工作办公室",
        "市口岸与海防委员会办公室",
        "秘书科",
    ]
    rows = json.loads(moved("status", "--json", "--office", "信息科", "--office", "市法制办公室").stdout)
    assert [(r["office"], r["state"]) for r in rows] == [
        ("市法制办公室", "review"),
        ("信息科", "mobilization"),
    ]
    text = moved("status", "--phase", "review").stdout
    assert [line.split() for line in text.splitlines() if "Total" in line] == [
        ["Total", "1", "0", "0", "1", "0", "Completed", "0"]
    ]
    assert "秘书科" not in text


def test_completed_office_shows_all_ticks(started: Run, tmp_path: Path, db_path: Path) -> None:
    for phase in ("mobilization", "implementation", "review", "summary"):
        assert started("advance", "信息科", "--force", "--reason", "x", "--from", phase).exit_code == 0
    row = next(line for line in render(db_path, 80, "en").splitlines() if "信息科" in line)
    assert row.split() == ["信息科", "✓", "✓", "✓", "✓", "—", "Completed", "—"]


def test_status_json_lines_are_each_rows_own_json(moved: Run, db_path: Path) -> None:
    """The shared-tail encoding of ``status --json`` equals encoding each row on its own."""
    db = Database(str(db_path))
    try:
        ctx = Context(db, "tester", lambda: datetime(2026, 3, 1, 2, tzinfo=UTC))
        rows = board_usecases.status(ctx, None).rows
    finally:
        db.dispose()
    lines = list(board_usecases.status_json_lines(rows))
    assert [json.loads(line) for line in lines] == [r.as_json() for r in rows]
    assert len({line.split('"office": ')[1].split(",")[0] for line in lines}) == len(rows)
    printed = json.loads(moved("status", "--json").stdout)
    assert printed == [r.as_json() for r in rows]


def test_lists_filter_by_office_phase_and_light(moved: Run) -> None:
    def names(*args: str) -> list[str]:
        result = moved(*args, "--json")
        assert result.exit_code == 0, result.output
        return [r["office"] for r in json.loads(result.stdout)]

    assert names("office", "list", "--phase", "implementation") == [
        "市外事侨务办公室",
        "市支前双拥工作办公室",
        "市口岸与海防委员会办公室",
        "秘书科",
    ]
    assert names("office", "list", "--office", "信息科", "--office", "市法制办公室") == [
        "市法制办公室",
        "信息科",
    ]
    assert names("office", "list", "--light", "red") == []
    late = {"MANYI_NOW": "2026-03-25T10:00"}  # due 03-23: 信息科's mobilization filings, 秘书科's report
    red = json.loads(moved("office", "list", "--light", "red", "--json", env=late).stdout)
    assert [r["office"] for r in red] == ["秘书科", "信息科"]
    for office in ("信息科", "市法制办公室"):
        assert moved("rectify", "add", office, f"{office}整改").exit_code == 0
    assert names("rectify", "list", "--phase", "review") == ["市法制办公室"]
    assert names("rectify", "list") == ["信息科", "市法制办公室"]
    ranked = names("rank", "--phase", "mobilization")
    assert ranked == ["信息科"]


def test_open_items_column_at_80_columns_keeps_names_and_dates_whole(moved: Run, db_path: Path) -> None:
    from rich.cells import cell_len

    assert moved("rectify", "add", "信息科", "窗口服务不规范").exit_code == 0
    text = render(db_path, 80, "zh")
    lines = text.splitlines()
    assert max(cell_len(line) for line in lines) <= 80
    assert lines[0].split() == ["科室", "1", "2", "3", "4", "亮灯", "尚缺事项", "未销号整改", "下一期限"]
    row = next(line for line in lines if line.startswith(" 信息科"))
    assert row.split()[-2:] == ["1", "2026-03-23"]  # the open item and the whole date
    assert any(line.startswith(" 市口岸与海防委员会办公室 ") for line in lines)  # the longest name whole
    assert "…" not in text
