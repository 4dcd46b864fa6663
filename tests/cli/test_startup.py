"""Start-up stays light: commands are defined on first use, and the lazy registry is true."""

from __future__ import annotations

import json
import subprocess
import sys

from click.testing import CliRunner

from cli.main import COMMANDS, cli, load_all


def test_registry_names_every_top_level_command_and_its_module() -> None:
    root = load_all()
    assert sorted(root.commands) == sorted(COMMANDS)
    for name, (module, text) in COMMANDS.items():
        cmd = root.commands[name]
        assert cmd.callback is not None and cmd.callback.__module__ == module, name
        assert cmd._help_msgid == text, name  # type: ignore[attr-defined]


def test_help_imports_no_command_module_and_no_database_stack() -> None:
    code = (
        "import sys; sys.argv = ['manyi', '--lang', 'en', '--help']\n"
        "from cli.main import main\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        "import json; print(json.dumps(sorted(sys.modules)))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    loaded = set(json.loads(out.splitlines()[-1]))
    assert "Commands:" in out and "status" in out
    heavy = {
        "cli.commands",
        "cli.campaigns",
        "cli.shared",
        "cli.ledger",
        "cli.scoring",
        "cli.reminders",
        "sqlalchemy",
        "sqlmodel",
        "rich.console",
        "workflow.usecases.board",
        "workflow.usecases.advancing",
        "yaml",
    }
    assert not heavy & loaded, heavy & loaded


def test_root_help_lists_each_command_with_its_own_short_help() -> None:
    listed = CliRunner().invoke(cli, ["--lang", "en", "--help"], terminal_width=200).output
    for name, (_module, text) in COMMANDS.items():
        line = next(x for x in listed.splitlines() if x.strip().startswith(name + " "))
        assert line.split(None, 1)[1].rstrip(".") in text, (name, line)
    sub = CliRunner().invoke(cli, ["--lang", "en", "rectify", "--help"])
    assert sub.exit_code == 0 and "confirm" in sub.output
