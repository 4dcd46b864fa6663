"""Filing a document and checking it stream: neither holds the document in memory whole,
in the folder store (SQLite) nor in the database (PostgreSQL's table ``blob``).

(Measured by hand on PostgreSQL, a 150 MB document: `manyi file` 78 MB peak RSS and
`audit verify` 79 MB; before the streaming store, 1.25 GB and 0.96 GB.)
"""

from __future__ import annotations

import hashlib
import os
import tracemalloc
from collections.abc import Iterator
from pathlib import Path

import pytest

from storage.blob_checks import MAX_IN_DATABASE
from storage.blobs import DbBlobStore, StoredBlob
from storage.db import Database
from tests.backends import BACKENDS, Target, execute, stored_documents
from workflow.errors import InputError

SIZE = 24 * 1000 * 1000
#: What may be allocated while a SIZE document passes through: a few chunks and the driver's buffers.
BOUND = 4 * 1000 * 1000


@pytest.fixture
def db(db_path: Target) -> Iterator[Database]:
    database = Database(str(db_path))
    database.ensure_ready(create=True)
    try:
        yield database
    finally:
        database.dispose()


def peak(work: object) -> tuple[object, int]:
    tracemalloc.start()
    try:
        result = work()  # type: ignore[operator]
        return result, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_a_large_document_is_stored_and_checked_in_bounded_memory(
    db: Database, db_path: Target, tmp_path: Path
) -> None:
    source = tmp_path / "scan.pdf"
    with source.open("wb") as f:
        for i in range(SIZE // 1_000_000):
            f.write(os.urandom(1000) * 1000 if i % 2 else os.urandom(1_000_000))
    expected = hashlib.sha256(source.read_bytes()).hexdigest()
    store = db.blobs()

    def file_it() -> StoredBlob:
        blob = store.put(source)
        with db.write() as s:
            store.keep(s, blob)
        return blob

    stored, put_peak = peak(file_it)
    assert stored.sha256 == expected and stored.size == SIZE  # type: ignore[attr-defined]
    problem, check_peak = peak(lambda: store.check(expected))
    assert problem is None
    assert put_peak < BOUND, f"filing allocated {put_peak:,} bytes for a {SIZE:,}-byte document"
    assert check_peak < BOUND, f"checking allocated {check_peak:,} bytes for a {SIZE:,}-byte document"
    assert stored_documents(db_path) == [expected]


@pytest.mark.skipif("postgresql" not in BACKENDS, reason="MANYI_TEST_BACKENDS leaves out PostgreSQL")
@pytest.mark.parametrize("backend", ["postgresql"])
def test_a_document_too_large_for_the_database_names_the_way_out(
    db: Database, db_path: Target, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MANYI_MAX_DOCUMENT", "2GB")
    huge = tmp_path / "video.mp4"
    with huge.open("wb") as f:  # sparse: takes no disk
        f.truncate(MAX_IN_DATABASE + 1)
    store = db.blobs()
    assert isinstance(store, DbBlobStore)
    with pytest.raises(InputError) as refused:
        store.put(huge)
    assert str(refused.value) == (
        f"{huge} is larger than 1 GB, the most a document kept in the database may be; "
        "set MANYI_BLOBS to keep documents in a folder"
    )
    assert execute(db_path, "SELECT count(*) FROM blob") == [(0,)]


@pytest.mark.skipif("postgresql" not in BACKENDS, reason="MANYI_TEST_BACKENDS leaves out PostgreSQL")
@pytest.mark.parametrize("backend", ["postgresql"])
@pytest.mark.parametrize("same_time", [False, True], ids=["touched", "time-put-back"])
def test_a_file_changed_between_reading_and_keeping_is_not_kept(
    db: Database, db_path: Target, tmp_path: Path, same_time: bool
) -> None:
    source = tmp_path / "方案.txt"
    source.write_bytes(b"first version " * 1000)
    store = db.blobs()
    blob = store.put(source)
    seen = source.stat()
    source.write_bytes(b"other version " * 1000)  # same size, other bytes
    if same_time:  # what a copy tool preserving times leaves: only the bytes tell
        os.utime(source, ns=(seen.st_atime_ns, seen.st_mtime_ns))
    with pytest.raises(InputError) as refused, db.write() as s:
        store.keep(s, blob)
    assert str(refused.value) == (
        f"{source} changed while it was being read ({seen.st_size} bytes before, {seen.st_size} read); "
        "file it again once it is complete"
    )
    assert execute(db_path, "SELECT count(*) FROM blob") == [(0,)]
