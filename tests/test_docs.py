"""The generated documentation is current, and the README's walkthrough is the real one."""

from __future__ import annotations

import pytest

from cli import docgen


@pytest.mark.parametrize("lang", sorted(docgen.TARGETS))
def test_cli_reference_is_current(lang: str) -> None:
    target = docgen.TARGETS[lang]
    assert target.read_text(encoding="utf-8") == docgen.render(lang), (
        f"{target.name} is stale: run `python -m cli.docgen`"
    )


def test_cli_reference_documents_every_command() -> None:
    from cli.main import cli

    text = docgen.TARGETS["en"].read_text(encoding="utf-8")
    for path in docgen.commands(cli):
        assert f"`{' '.join(path)}`" in text


def test_readme_command_list_is_current() -> None:
    readme = (docgen.ROOT / "README.md").read_text(encoding="utf-8")
    assert readme == docgen.readme(readme), "README.md's command list is stale: run `python -m cli.docgen`"
    listed = readme.split(docgen.COMMANDS_BEGIN)[1].split(docgen.COMMANDS_END)[0]
    import click

    from cli.main import cli

    for path in docgen.commands(cli):
        cmd: click.Command = cli
        for name in path[1:]:
            cmd = cmd.commands[name]  # type: ignore[attr-defined]
        if len(path) > 1 and not (isinstance(cmd, click.Group) and not cmd.invoke_without_command):
            assert f"\n{' '.join(path)}" in listed, path  # every command a person can run


@pytest.mark.slow
def test_readme_walkthrough_runs_verbatim(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """The walkthrough block, run as it stands on today's real clock: its board shows more than red."""
    import os
    import re
    import subprocess
    import sys
    from datetime import datetime, timedelta
    from pathlib import Path
    from zoneinfo import ZoneInfo

    readme = (docgen.ROOT / "README.md").read_text(encoding="utf-8")
    block = readme.split("<!-- walkthrough:start -->")[1].split("<!-- walkthrough:end -->")[0]
    script = block.split("```bash\n", 1)[1].rsplit("```", 1)[0]
    env = {k: v for k, v in os.environ.items() if not k.startswith("MANYI_")}
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    env["MANYI_CACHE_DIR"] = os.environ.get("MANYI_CACHE_DIR", "")
    env["COLUMNS"] = "100"
    # A clerk's shell runs on China Standard Time, as the campaign does: `date` in the block
    # and manyi's "today" must agree even after 16:00 UTC, when China is already on the next day.
    env["TZ"] = "Asia/Shanghai"
    done = subprocess.run(
        ["bash", "-e", "-c", script], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr
    out = done.stdout
    today = datetime.now(ZoneInfo("Asia/Shanghai")).date()
    start = today - timedelta(days=40)
    assert f"Started campaign 'round3' (People-Satisfied Unit campaign): {start.isoformat()} to " in out
    assert "市法制办公室: Study & mobilization → Organization & implementation" in out
    assert "exit code 3: some offices are blocked, and it said why" in out
    assert (
        "秘书科: Study & mobilization → Organization & implementation (forced; overrode "
        "implementation-opinion, study-plan)"
    ) in out
    assert f"│ today {today.isoformat()}" in out
    assert '"office": "市外事侨务办公室"' in out
    # The second board (after the filings, the forced move and the extension): a mix of lights.
    board = out.split("Campaign 'round3'")[2]
    lights = {
        name: re.search(rf"^ {name} .*?(green|yellow|red)", board, re.M).group(1)  # type: ignore[union-attr]
        for name in ("市外事侨务办公室", "市法制办公室", "秘书科")
    }
    assert lights == {"市外事侨务办公室": "yellow", "市法制办公室": "green", "秘书科": "red"}
    assert (
        (tmp_path / "campaign.mmd")
        .read_text(encoding="utf-8")
        .startswith('---\ntitle: "People-Satisfied Unit campaign — round3"\n---\nstateDiagram-v2\n')
    )


def svg_problems(svg: str) -> list[str]:
    """Lines of a docs/ screenshot that reach its right edge (rich cuts a line longer than the
    console there), and Chinese stretched by a run-wide ``textLength`` (so letter-spaced)
    instead of fitted character by character."""
    import html
    import re

    from rich.cells import cell_len

    clip = re.search(r'clip-terminal">\s*<rect x="0" y="0" width="([\d.]+)"', svg)
    assert clip is not None
    edge = float(clip[1])
    problems = []
    for attrs, body in re.findall(r"<text ([^>]*)>(.*?)</text>", svg):
        if "clip-path" not in attrs:
            continue  # the window title
        text = html.unescape(re.sub("<[^>]+>", "", body))
        x = re.search(r'\bx="([\d.]+)"', attrs)
        length = re.search(r'textLength="([\d.]+)"', attrs)
        if "<tspan" in body:
            spans = re.findall(r'<tspan x="([\d.]+)"(?: textLength="([\d.]+)")?[^>]*>([^<]*)</tspan>', body)
            end = max(float(sx) + (float(sl) if sl else 12.2 * len(html.unescape(t))) for sx, sl, t in spans)
        elif x is not None and length is not None:
            if cell_len(text) != len(text):
                problems.append(f"letter-spaced: {text}")
            end = float(x[1]) + float(length[1])
        else:
            continue
        if text.strip() and end >= edge - 6:
            problems.append(f"reaches the right edge (cut): {text}")
    return problems


def test_docs_screenshots_are_neither_cut_nor_letter_spaced() -> None:
    from cli.docgen import SHOTS

    for name, *_rest in SHOTS:
        svg = (docgen.ROOT / "docs" / name).read_text(encoding="utf-8")
        assert svg_problems(svg) == [], name
