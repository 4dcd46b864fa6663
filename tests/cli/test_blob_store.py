"""Where filed documents live: beside a SQLite file; inside a PostgreSQL database (table
``blob``) unless MANYI_BLOBS names a folder. Whatever folder a command runs in, every
client sees the same documents and ``audit verify`` finds them."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.backends import Target, blob_root, stored_document, stored_documents, tamper_document
from tests.conftest import Run, doc


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
