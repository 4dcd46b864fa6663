"""Where filed documents live: beside a SQLite file; inside a PostgreSQL database (table
``blob``) unless MANYI_BLOBS names a folder. Whatever folder a command runs in, every
client sees the same documents and ``audit verify`` finds them."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.backends import (
    BACKENDS,
    PG_SERVER,
    PgSchema,
    Target,
    blob_root,
    dump,
    stored_document,
    stored_documents,
    tamper_document,
)
from tests.conftest import Run, doc


def sha256_of(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def test_documents_are_found_from_any_folder(
    started: Run, db_path: Target, tmp_path: Path, backend: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    one, other = tmp_path / "desk-a", tmp_path / "desk-b"
    one.mkdir(), other.mkdir()
    path = doc(tmp_path, "学习方案.txt", "秘书科学习方案")
    monkeypatch.chdir(one)
    monkeypatch.delenv("MANYI_HOME", raising=False)  # what a clerk's shell has: nothing set
    filed = started("file", "秘书科", "study-plan", path)
    assert filed.exit_code == 0, filed.output
    monkeypatch.chdir(other)
    verified = started("audit", "verify")
    assert verified.exit_code == 0, verified.output
    assert "1 documents checked" in verified.stdout
    assert not (one / "manyi-blobs").exists() and not (other / "manyi-blobs").exists()
    (sha,) = stored_documents(db_path)
    assert stored_document(db_path, sha) == Path(path).read_bytes()
    if backend == "sqlite":
        assert blob_root(db_path) == Path(str(db_path) + ".blobs")
    else:
        assert blob_root(db_path) is None  # in the database itself
        tamper_document(db_path, sha, b"forged")
        broken = started("audit", "verify")
        assert broken.exit_code != 0 and "altered" in broken.output


def test_a_blobs_folder_can_still_be_chosen(
    started: Run, db_path: Target, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "shared-documents"
    monkeypatch.setenv("MANYI_BLOBS", str(folder))
    filed = started("file", "秘书科", "study-plan", doc(tmp_path, "p.txt", "方案"))
    assert filed.exit_code == 0, filed.output
    stored = [p for p in folder.rglob("*") if p.is_file()]
    if isinstance(db_path, Path):  # SQLite: always beside the database file
        assert stored == []
    else:
        assert len(stored) == 1 and stored[0].read_text("utf-8") == "方案"
        assert os.environ["MANYI_BLOBS"] == str(folder)
    assert started("audit", "verify").exit_code == 0


def test_a_relative_blobs_folder_is_refused(
    started: Run, db_path: Target, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A relative folder is the bug this store fixed: each working folder its own documents.
    desk = tmp_path / "desk"
    desk.mkdir()
    monkeypatch.chdir(desk)
    before = dump(db_path)
    result = started("file", "秘书科", "study-plan", doc(tmp_path, "p.txt"), env={"MANYI_BLOBS": "shared"})
    if isinstance(db_path, Path):  # SQLite: MANYI_BLOBS is not read, the folder is beside the file
        assert result.exit_code == 0, result.output
    else:
        assert result.exit_code == 1
        assert result.stderr == (
            "Error: MANYI_BLOBS: 'shared' is a relative path: each folder a command runs in would hold "
            "other documents; give an absolute path\n"
        )
        assert dump(db_path) == before
    assert not (desk / "shared").exists()


@pytest.mark.skipif("postgresql" not in BACKENDS, reason="MANYI_TEST_BACKENDS leaves out PostgreSQL")
@pytest.mark.parametrize("backend", ["postgresql"])
def test_pg_dump_carries_the_documents(started: Run, db_path: Target, tmp_path: Path) -> None:
    if shutil.which("pg_dump") is None or shutil.which("psql") is None:
        pytest.skip("pg_dump and psql are not installed")
    assert isinstance(db_path, PgSchema)
    assert started("file", "秘书科", "study-plan", doc(tmp_path, "p.txt", "学习方案")).exit_code == 0
    server = PG_SERVER.replace("postgresql+psycopg://", "postgresql://", 1)
    saved = tmp_path / "manyi.sql"
    subprocess.run(["pg_dump", "-d", server, "-n", db_path.schema, "-f", str(saved)], check=True)
    db_path.drop()
    subprocess.run(
        ["psql", "-q", "-v", "ON_ERROR_STOP=1", "-d", server, "-f", str(saved)],
        check=True,
        capture_output=True,
    )
    verified = started("audit", "verify")
    assert verified.exit_code == 0, verified.output
    assert "1 documents checked" in verified.stdout
    assert stored_document(db_path, sha256_of("学习方案")) == "学习方案".encode()
