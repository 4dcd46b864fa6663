"""``manyi definition graph``: Mermaid for the seed definition, SVG through Graphviz."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from tests.conftest import Run, doc

SEED_MERMAID = """\
---
title: "People-Satisfied Unit campaign"
---
stateDiagram-v2
  direction TB
  classDef s_default fill:white,color:black
  classDef s_inactive fill:white,color:black
  classDef s_parallel color:black,fill:white
  classDef s_active color:red,fill:darksalmon
  classDef s_previous color:blue,fill:azure
  classDef s_shade0 fill:#ffffff,color:black
  classDef s_shade1 fill:#eff3ff,color:black
  classDef s_shade2 fill:#c6dbef,color:black
  classDef s_shade3 fill:#9ecae1,color:black
  classDef s_shade4 fill:#6baed6,color:black
<blank>
  state "Study & mobilization" as mobilization
  class mobilization s_default
  state "Organization & implementation" as implementation
  class implementation s_default
  state "Review & rectification" as review
  class review s_default
  state "Summary & improvement" as summary
  class summary s_default
  state "Completed" as completed
  class completed s_default
<blank>
  mobilization --> implementation: advance [Campaign work plan & Working group formed & Mobilization meeting held & Implementation opinion & Study plan & not before the phase window's last day] | force + reason
  implementation --> review: advance [Research report & Democratic evaluation representatives' meeting & Questionnaires sent to the grassroots & not before the phase window's last day] | force + reason
  review --> summary: advance [Report to the People's Congress review group & Rectification items published & Rectification report & Evaluation forms issued & all rectification items confirmed & every evaluator group has given its results & not before the phase window's last day] | force + reason
  summary --> completed: advance [Campaign summary & Report to the People's Congress standing committee & all rectification items confirmed & not before the phase window's last day] | force + reason
  [*] --> mobilization
  completed --> [*]
""".replace("<blank>", "  ")


def test_mermaid_of_the_seed_definition(run: Run) -> None:
    result = run("definition", "graph", "people-satisfied-unit")
    assert result.exit_code == 0, result.output
    assert result.stdout == SEED_MERMAID


def test_campaign_colours_phases_by_section_count(started: Run, tmp_path: Path) -> None:
    for req in ("implementation-opinion", "study-plan"):
        started("file", "市法制办公室", req, doc(tmp_path, f"{req}.txt"))
    started("advance", "市法制办公室")
    out = started("definition", "graph", "people-satisfied-unit", "--campaign", "2026").stdout
    assert out.startswith('---\ntitle: "People-Satisfied Unit campaign — 2026"\n---\n')
    assert '  state "Study & mobilization (5)" as mobilization\n  class mobilization s_shade3\n' in out
    assert (
        '  state "Organization & implementation (1)" as implementation\n  class implementation s_shade1\n'
    ) in out
    assert '  state "Completed (0)" as completed\n  class completed s_shade0\n' in out


def test_mermaid_in_chinese(run: Run) -> None:
    out = run("--lang", "zh", "definition", "graph", "people-satisfied-unit").stdout
    # The title as written, with its Chinese quotation marks, as Mermaid's front-matter title.
    assert out.startswith('---\ntitle: "创建“人民满意单位”活动"\n---\nstateDiagram-v2\n  direction TB\n')
    assert '  state "学习动员阶段" as mobilization\n' in out
    assert (
        "  mobilization --> implementation: 推进 [《关于开展创建“人民满意单位”活动的工作方案》 & "
        "组建创建工作小组 & 召开创建工作动员大会 & 活动实施意见 & 学习方案 & 不早于阶段窗口的最后一天] | "
        "强制推进（须说明理由）\n"
    ) in out
    assert (
        "  review --> summary: 推进 [向人大评议工作小组汇报创建活动情况 & 公告各科室需要整改内容 & "
        "整改情况报告 & 发放测评表 & 整改事项全部确认 & 各评价主体均已给出结果 & 不早于阶段窗口的最后一天] | "
        "强制推进（须说明理由）\n"
    ) in out


def test_mermaid_front_matter_and_labels_survive_hostile_titles(run: Run, tmp_path: Path) -> None:
    """Front-matter is YAML: the title is a quoted string whatever it holds; a label never holds
    an ASCII double quote (it would end the label)."""
    import json

    from workflow.adapters import definition_files
    from workflow.engine import diagram

    seed = definition_files.load("people-satisfied-unit")
    out = diagram.mermaid(seed, title='a: "b" # c\'d — 创建"满意"活动')
    lines = out.splitlines()
    assert lines[0] == lines[2] == "---" and lines[1].startswith("title: ")
    assert json.loads(lines[1][len("title: ") :]) == 'a: "b" # c\'d — 创建“满意”活动'
    for line in lines[3:]:
        if line.lstrip().startswith("state "):
            assert line.count('"') == 2, line


def test_output_into_a_missing_folder_is_one_line(run: Run, tmp_path: Path) -> None:
    target = tmp_path / "nope" / "seed.mmd"
    result = run("definition", "graph", "people-satisfied-unit", "-o", str(target))
    assert (result.exit_code, result.stderr) == (1, f"Error: cannot write {target}: no such file or folder\n")
    assert not target.parent.exists()


@pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz (dot) is not installed")
def test_svg_through_graphviz(run: Run, tmp_path: Path) -> None:
    target = tmp_path / "seed.svg"
    result = run("definition", "graph", "people-satisfied-unit", "--format", "svg", "-o", str(target))
    assert result.exit_code == 0, result.output
    assert result.stdout == f"Wrote {target} ({target.stat().st_size} bytes).\n"
    svg = target.read_text(encoding="utf-8")
    assert svg.lstrip().startswith("<?xml") and "<svg" in svg
    assert "Organization &amp; implementation" in svg
    assert "Democratic evaluation" in svg and ">force + reason</text>" in svg
    # Top to bottom: taller than wide, and narrow enough for a portrait page (A4: 595 x 842 pt).
    size = re.search(r'<svg width="([\d.]+)pt" height="([\d.]+)pt"', svg)
    assert size is not None
    width, height = float(size[1]), float(size[2])
    assert width < height and width <= 595
    assert result.stderr == ""  # a Chinese font is installed (fonts-noto-cjk): no warning


@pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz (dot) is not installed")
def test_png_without_a_chinese_font_warns(run: Run, tmp_path: Path) -> None:
    """fontconfig pointed at an empty font folder: Graphviz would draw boxes, and we say so."""
    conf = tmp_path / "fonts.conf"
    conf.write_text(
        f'<?xml version="1.0"?>\n<fontconfig><dir>{tmp_path / "no-fonts"}</dir>'
        f"<cachedir>{tmp_path / 'cache'}</cachedir></fontconfig>\n",
        encoding="utf-8",
    )
    target = tmp_path / "seed.png"
    result = run(
        "definition",
        "graph",
        "people-satisfied-unit",
        "--format",
        "png",
        "-o",
        str(target),
        env={"FONTCONFIG_FILE": str(conf)},
    )
    assert result.exit_code == 0, result.output
    assert result.stderr == (
        "Warning: no Chinese font is installed (fc-list :lang=zh finds none), so "
        "Chinese text in the PNG shows as boxes; install one (Debian: apt-get "
        "install fonts-noto-cjk).\n"
    )
    assert target.read_bytes().startswith(b"\x89PNG")


def test_svg_without_graphviz_says_so(run: Run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    empty = tmp_path / "bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    result = run(
        "definition", "graph", "people-satisfied-unit", "--format", "svg", "-o", str(tmp_path / "x.svg")
    )
    assert result.exit_code == 1
    assert result.stderr == (
        "Error: --format: svg needs Graphviz's dot program (Debian: apt-get "
        "install graphviz); or use --format mermaid\n"
    )
    assert not (tmp_path / "x.svg").exists()


def test_item_lifecycle_is_drawn_from_the_item_machine(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from cli.main import cli
    from workflow.review.items import item_machine

    runner = CliRunner()
    text = runner.invoke(
        cli,
        ["--lang", "en", "definition", "graph", "people-satisfied-unit", "--lifecycle", "items"],
        catch_exceptions=False,
    ).stdout
    drawn = [line.strip() for line in text.splitlines() if "-->" in line and "[*]" not in line]
    assert len(drawn) == len(item_machine().edges()) == 4
    assert "returned --> done: report done + evidence" in drawn
    assert "done --> returned: return + reason" in drawn
    zh = runner.invoke(
        cli,
        ["--lang", "zh", "definition", "graph", "people-satisfied-unit", "--lifecycle", "items"],
        catch_exceptions=False,
    ).stdout
    assert "done --> confirmed: 确认" in zh and 'state "已退回" as returned' in zh
