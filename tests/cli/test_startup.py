"""Start-up stays light: commands are defined on first use, and the lazy registry is true."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from click.testing import CliRunner

from cli.main import COMMANDS, cli, load_all
from storage import schema
from tests.backends import Target
from tests.conftest import Run


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


#: Tables ``manyi status`` has no use for with the bundled seed: their modules stay unloaded
#: (a table class costs 3-5 ms to create; the board reads 12 of the 20, scores among them:
#: the seed has a condition on them).
NOT_FOR_STATUS = {
    "blob",
    "deadline",
    "deadline_plan",
    "event",
    "mail",
    "office_sender",
    "operator_event",
    "reminder",
}


@pytest.mark.parametrize("as_json", [False, True], ids=["table", "json"])
def test_status_loads_only_the_tables_it_reads(seed_started: Run, db_path: Target, as_json: bool) -> None:
    code = (
        "import sys\n"
        "from cli.main import main\n"
        "try:\n    main()\nexcept SystemExit as e:\n    assert not e.code, e.code\n"
        "from sqlmodel import SQLModel\n"
        "import json; print(json.dumps(sorted(SQLModel.metadata.tables)))"
    )
    args = ["--db", str(db_path), "--lang", "en", "status", *(["--json"] if as_json else [])]
    done = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    loaded = set(json.loads(done.stdout.splitlines()[-1]))
    assert {"campaign", "section", "record", "filing", "deadline_extension", "score_entry"} <= loaded
    assert not loaded & NOT_FOR_STATUS, loaded & NOT_FOR_STATUS
    assert "Review" in done.stdout or '"office"' in done.stdout  # the board itself was printed


@pytest.mark.parametrize("module", schema.TABLE_MODULES)
def test_a_table_module_loads_the_tables_its_foreign_keys_name(module: str) -> None:
    """Imported alone, in a fresh process, every foreign key of what it defines resolves: a
    command that loads only this module can insert rows (the ORM orders inserts by them)."""
    code = (
        "import importlib, sys\n"
        "from sqlmodel import SQLModel\n"
        "importlib.import_module(sys.argv[1])\n"
        "for t in SQLModel.metadata.tables.values():\n"
        "    for fk in t.foreign_keys:\n"
        "        fk.column  # raises NoReferencedTableError for a table not loaded\n"
        "print(len(SQLModel.metadata.tables))"
    )
    done = subprocess.run([sys.executable, "-c", code, module], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert int(done.stdout.strip()) >= 1


def test_the_schema_module_lists_every_table_module() -> None:
    """storage.schema loads every module that defines a table (Alembic compares against it)."""
    import ast
    from pathlib import Path

    root = Path(schema.__file__).parent
    defining = set()
    for path in root.glob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        if any(
            isinstance(node, ast.ClassDef) and any(k.arg == "table" for k in node.keywords)
            for node in ast.walk(tree)
        ):
            defining.add(f"storage.{path.stem}")
    assert defining == set(schema.TABLE_MODULES)
