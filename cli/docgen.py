"""Generate ``docs/cli.md`` (English) and ``docs/cli.zh.md`` from the commands' ``--help``.

``python -m cli.docgen`` rewrites both files; ``tests/test_docs.py`` fails when they
are stale, so a changed option or help text cannot ship with old documentation.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import click
from click.testing import CliRunner

ROOT = Path(__file__).resolve().parent.parent
TARGETS = {"en": ROOT / "docs" / "cli.md", "zh": ROOT / "docs" / "cli.zh.md"}
WIDTH = 100

INTRO = {
    "en": """\
# manyi command reference

Generated from `manyi --help` by `python -m cli.docgen`; do not edit by hand
(`tests/test_docs.py` checks it is current). 中文版: [cli.zh.md](cli.zh.md).

## Exit codes

| code | meaning |
|---|---|
| 0 | success |
| 1 | a one-line error on stderr (`Error: …` / `错误：…`); nothing was stored |
| 2 | usage error (unknown option, missing argument), reported by click |
| 3 | `advance`: at least one named office stayed blocked |

## JSON output

Every reading command takes `--json` and prints UTF-8 JSON on stdout. These keys are
stable: later versions may add keys, never rename or remove them. Dates are
`YYYY-MM-DD`; times ISO 8601 in UTC.

| command | JSON |
|---|---|
| `campaign list` | list of `{name, definition, title, start, end, timezone, status, offices, parameters}` |
| `office list` | list of `{office, email, head, state}` |
| `status` | list of `{office, state, state_title, blockers, blocker_titles, next_due, next_due_requirement}` (`blockers`: unmet requirement keys) |
| `history` | list, oldest first, of `{seq, at, actor, action, from, to, reason, detail}` |
| `advance` | list of `{office, from, to, moved, forced, blockers, final}` |
| `timeline` | `{campaign, start, end, today, completed, phases: [{key, title, start, end, sections, due: [{requirement, title, due, filer, exit}]}]}` |
| `definition check` | `{key, title, source, timezone, phases: [{key, title, requirements: [{key, title, filer, count, due, exit}]}], parameters: {key: {title, default}}}` |

Lists can be narrowed: `status --office NAME --phase KEY --light COLOUR` (each repeatable).

## Shell completion

bash: `eval "$(_MANYI_COMPLETE=bash_source manyi)"` (in `~/.bashrc`);
zsh: `eval "$(_MANYI_COMPLETE=zsh_source manyi)"` (in `~/.zshrc`).
Office names, requirement keys, phase keys and campaign names complete from the database
named by `--db`/`MANYI_DB`.

## Commands
""",
    "zh": """\
# manyi 命令参考

由 `python -m cli.docgen` 根据 `manyi --help` 生成，请勿手工修改（`tests/test_docs.py` 检查其是否最新）。
English: [cli.md](cli.md)。退出码、JSON 键名与命令补全见英文版。

## 命令
""",
}


def commands(cmd: click.Command, path: tuple[str, ...] = ("manyi",)) -> Iterator[tuple[str, ...]]:
    if len(path) == 1:
        from cli.main import load_all

        load_all()
    yield path
    if isinstance(cmd, click.Group):
        for name in sorted(cmd.commands):
            yield from commands(cmd.commands[name], (*path, name))


def render(lang: str) -> str:
    from cli.main import cli
    from workflow.i18n import set_language

    runner = CliRunner()
    parts = [INTRO[lang]]
    try:
        for path in commands(cli):
            result = runner.invoke(
                cli,
                ["--lang", lang, *path[1:], "--help"],
                prog_name="manyi",
                terminal_width=WIDTH,
                max_content_width=WIDTH,
            )
            if result.exit_code != 0:
                raise RuntimeError(f"{' '.join(path)} --help failed: {result.output}")
            level = "#" * min(len(path) + 1, 4)
            parts.append(f"\n{level} `{' '.join(path)}`\n\n```\n{result.stdout.rstrip()}\n```\n")
    finally:
        set_language("en")
    return "".join(parts)


README = ROOT / "README.md"
COMMANDS_BEGIN, COMMANDS_END = "<!-- commands:start -->", "<!-- commands:end -->"


def _token(param: click.Parameter) -> str | None:
    """How one parameter reads in a synopsis: ``--to YYYY-MM-DD``, ``[--json]``, ``[OFFICES]...``."""
    if isinstance(param, click.Argument):
        name = param.metavar or (param.name or "").upper()
        if param.nargs == -1:
            return f"{name}..." if param.required else f"[{name}]..."
        return name if param.required else f"[{name}]"
    if not isinstance(param, click.Option) or param.hidden or param.name == "help":
        return None
    opt = max(param.opts, key=len)
    if param.is_flag:
        text = opt
    else:
        if param.metavar:
            metavar = param.metavar
        elif isinstance(param.type, click.Choice):
            metavar = "|".join(str(c) for c in param.type.choices)
        elif isinstance(param.type, (click.IntRange, click.FloatRange)):
            metavar = "N"
        else:
            metavar = param.type.name.upper()
        text = f"{opt} {metavar}"
    if param.required:
        return text + ("..." if param.multiple else "")
    return f"[{text}]" + ("..." if param.multiple else "")


def command_list() -> str:
    """Every command a person can run, with its arguments, options and one line of help.

    The README's command list is this text (``python -m cli.docgen`` writes it;
    ``tests/test_docs.py`` fails when it is stale).
    """
    import textwrap

    from cli.main import cli
    from workflow.i18n import set_language

    set_language("en")
    globals_ = " ".join(t for p in cli.params if (t := _token(p)))
    lines = [f"manyi {globals_} COMMAND ...", ""]
    for path in commands(cli):
        if len(path) == 1:
            continue
        cmd: click.Command = cli
        for name in path[1:]:
            cmd = cmd.commands[name]  # type: ignore[attr-defined]  # only groups are walked into
        if isinstance(cmd, click.Group) and not cmd.invoke_without_command:
            continue
        tokens = [t for p in cmd.params if (t := _token(p))]
        if isinstance(cmd, click.Group):
            tokens.append("| " + " | ".join(sorted(cmd.commands)))
        line = " ".join(path)
        for token in tokens:  # each token whole: "[--campaign NAME]" is never split
            if len(line) + 1 + len(token) > WIDTH:
                lines.append(line)
                line = "      " + token
            else:
                line += " " + token
        lines.append(line)
        lines.extend(
            textwrap.wrap(
                cmd.get_short_help_str(limit=1000),
                WIDTH,
                initial_indent="    ",
                subsequent_indent="    ",
                break_on_hyphens=False,
            )
        )
    return "\n".join(lines)


def readme(text: str) -> str:
    """``text`` (the README) with its command list regenerated."""
    head, rest = text.split(COMMANDS_BEGIN, 1)
    _old, tail = rest.split(COMMANDS_END, 1)
    return f"{head}{COMMANDS_BEGIN}\n```\n{command_list()}\n```\n{COMMANDS_END}{tail}"


SHOTS = [  # (file, title, language, command): screenshots of real runs on a demo database
    ("status.svg", "manyi status", "en", ["status"]),
    ("status.zh.svg", "manyi status", "zh", ["status"]),
    ("timeline.svg", "manyi timeline", "en", ["timeline"]),
    ("advance.zh.svg", "manyi advance --all --dry-run", "zh", ["advance", "--all", "--dry-run"]),
]


def _fix_wide_text(svg: str) -> str:
    """Put every character of a text run on its own terminal cell (CJK characters take two).

    rich (15.0) positions runs by cell width but sets ``textLength`` from the number of
    characters, which squeezes Chinese text to half its width; stretching ``textLength`` to the
    cell width instead letter-spaces it ("绿 灯") and lets the Latin text after it drift off its
    column. Here every character is a ``tspan`` at its own cell, and a wide one is fitted to its
    two cells (as a terminal with a CJK monospace font draws it): columns stay straight and
    Chinese is neither squeezed nor spaced out.
    """
    import html
    import re

    from rich.cells import cell_len

    def fix(m: re.Match[str]) -> str:
        prefix, x0, middle, length, rest, content = m.groups()
        text = html.unescape(content)
        if not text or cell_len(text) == len(text):
            return m.group(0)
        cell = float(length) / len(text)  # rich's width of one cell
        pieces, at = [], float(x0)
        for run in re.findall(r"(?:[^\S\n]|.)", text):
            wide = cell_len(run)
            shown = html.escape(run, quote=False).replace(" ", "&#160;")
            fit = f' textLength="{cell * wide:.1f}" lengthAdjust="spacingAndGlyphs"' if wide == 2 else ""
            pieces.append(f'<tspan x="{at:.1f}"{fit}>{shown}</tspan>')
            at += cell * wide
        return f'{prefix}x="{x0}"{middle}{rest}{"".join(pieces)}</text>'

    return re.sub(r'(<text [^>]*?)x="([\d.]+)"([^>]*?) textLength="([\d.]+)"([^>]*>)([^<]*)</text>', fix, svg)


def _widest_line(text: str) -> int:
    from rich.cells import cell_len

    return max([cell_len(line) for line in text.splitlines()] + [0])


def screenshots(now: str = "2026-03-26T10:00") -> None:
    """Run the demo into a scratch folder, then save each SHOTS command's output as SVG."""
    import os
    import tempfile

    from cli.console import rich_console
    from cli.main import cli

    os.environ["MANYI_NOW"] = now
    with tempfile.TemporaryDirectory() as tmp:
        db = str(Path(tmp) / "manyi-demo.db")
        cli.main(
            ["--db", db, "--as", "督查室", "--lang", "zh", "demo"], prog_name="manyi", standalone_mode=False
        )
        console = rich_console()  # the real Console: record and width are set on it
        console.width = WIDTH
        for name, title, lang, args in SHOTS:
            console.record = True
            console.export_text(clear=True)
            try:
                cli.main(["--db", db, "--lang", lang, *args], prog_name="manyi", standalone_mode=False)
            except SystemExit:
                pass
            # A line longer than the terminal would be cut at the SVG's edge: widen the picture.
            # One spare column, so a line that reaches the edge is visibly one that was cut.
            console.width = max(WIDTH, _widest_line(console.export_text(clear=False)) + 1)
            svg = _fix_wide_text(console.export_svg(title=title))
            console.width = WIDTH
            (ROOT / "docs" / name).write_text(svg, encoding="utf-8")
            console.record = False
            print(f"wrote docs/{name}")


def main(argv: list[str]) -> int:
    if argv[:1] == ["screenshots"]:
        screenshots()
        return 0
    for lang, target in TARGETS.items():
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(render(lang), encoding="utf-8")
        print(f"wrote {target.relative_to(ROOT)}")
    README.write_text(readme(README.read_text(encoding="utf-8")), encoding="utf-8")
    print("wrote README.md (command list)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
