"""`manyi backup`: a consistent copy of a SQLite database and its documents, taken while
another process keeps writing; `audit verify` passes on every copy."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from cli.main import cli
from tests.backends import Target, execute
from tests.conftest import Run, doc, dump

ROOT = Path(__file__).resolve().parents[2]
WRITER = """
import sys
from datetime import UTC, datetime
from pathlib import Path
from storage.db import Database
from workflow.usecases import advancing, filings
from workflow.usecases.context import Context
db, folder, n = sys.argv[1], Path(sys.argv[2]), int(sys.argv[3])
ctx = Context(Database(db), "writer", lambda: datetime.now(UTC))
for i in range(n):
    p = folder / f"doc-{i}.txt"
    p.write_text(f"文件 {i}", encoding="utf-8")
    filings.file_document(ctx, None, "秘书科", "study-plan", p)
    if i == n // 2:
        filings.file_document(ctx, None, "秘书科", "implementation-opinion", p)
        advancing.advance(ctx, None, ["秘书科"])
print("done")
"""


def manyi(db: Path | str, *args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, ["--db", str(db), "--lang", "en", "--as", "tester", *args])
    return result.exit_code, result.stdout, result.stderr


@pytest.mark.slow
@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_backup_while_another_process_writes(started: Run, db_path: Target, tmp_path: Path) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    writer = subprocess.Popen(
        [sys.executable, "-c", WRITER, str(db_path), str(docs), "60"],
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    copies = []
    deadline = time.monotonic() + 120
    while writer.poll() is None and time.monotonic() < deadline:
        target = tmp_path / f"copy-{len(copies)}.db"
        code, out, err = manyi(db_path, "backup", str(target))
        assert code == 0, err
        assert out.startswith(f"Backed up to {target} (")
        copies.append(target)
        time.sleep(0.2)
    out, err = writer.communicate(timeout=60)
    assert writer.returncode == 0, err
    final = tmp_path / "final.db"
    assert manyi(db_path, "backup", str(final))[0] == 0
    copies.append(final)
    assert len(copies) >= 2

    counts = []
    for copy in copies:
        code, out, err = manyi(copy, "audit", "verify")
        assert code == 0, (copy, err)
        assert out.endswith("Audit passed: 1 campaigns verified.\n")
        counts.append(execute(copy, "SELECT count(*) FROM event")[0][0])
    assert counts == sorted(counts)  # each copy is a later snapshot
    assert counts[-1] == execute(db_path, "SELECT count(*) FROM event")[0][0] == 7 + 60 + 2
    assert dump(final) == dump(db_path)


def test_backup_refusals(started: Run, db_path: Target, tmp_path: Path, backend: str) -> None:
    target = tmp_path / "b.db"
    if backend != "sqlite":
        result = started("backup", str(target))
        assert result.exit_code == 1
        assert result.stderr == "Error: manyi backup copies SQLite databases; for PostgreSQL use pg_dump\n"
        assert not target.exists()
        return
    assert started("backup", str(target)).exit_code == 0
    again = started("backup", str(target))
    assert again.exit_code == 1
    assert again.stderr == f"Error: {target} already exists; choose a new file name\n"
    itself = started("backup", str(db_path))
    assert itself.stderr == "Error: the backup must not overwrite the database itself\n"
    nowhere = tmp_path / "no" / "b.db"
    assert started("backup", str(nowhere)).stderr == f"Error: folder does not exist: {nowhere.parent}\n"
    assert started("user", "add", "boss", "--role", "supervisor").exit_code == 0
    assert started("user", "add", "obs", "--role", "observer", actor="boss").exit_code == 0
    refused = started("backup", str(tmp_path / "c.db"), actor="obs")
    assert refused.stderr == (
        "Error: obs may not manage campaigns, offices and operators: needs role supervisor\n"
    )
    assert not (tmp_path / "c.db").exists()


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)  # PostgreSQL: refused, tested above
def test_copy_is_self_contained(started: Run, db_path: Target, tmp_path: Path) -> None:
    assert started("file", "秘书科", "study-plan", doc(tmp_path, "p.txt", "方案")).exit_code == 0
    target = tmp_path / "elsewhere" / "b.db"
    target.parent.mkdir()
    assert started("backup", str(target)).exit_code == 0
    moved = tmp_path / "moved"
    target.parent.rename(moved)
    code, out, err = manyi(moved / "b.db", "audit", "verify")
    assert code == 0, err
    assert "1 documents checked" in out
