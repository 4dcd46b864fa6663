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
| 1 | a one-line error on stderr (`Error: …` / `错误:…`); nothing was stored |
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
            result = runner.invoke(cli, ["--lang", lang, *path[1:], "--help"], prog_name="manyi",
                                   terminal_width=WIDTH, max_content_width=WIDTH)
            if result.exit_code != 0:
                raise RuntimeError(f"{' '.join(path)} --help failed: {result.output}")
            level = "#" * min(len(path) + 1, 4)
            parts.append(f"\n{level} `{' '.join(path)}`\n\n```\n{result.stdout.rstrip()}\n```\n")
    finally:
        set_language("en")
    return "".join(parts)


def main(argv: list[str]) -> int:
    for lang, target in TARGETS.items():
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(render(lang), encoding="utf-8")
        print(f"wrote {target.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
