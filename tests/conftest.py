"""Shared fixtures: a real database per test (SQLite file or PostgreSQL schema) and a CLI runner.

``db_path`` is parametrized over the backends in :mod:`tests.backends`: a
``Path`` to a SQLite file, or a :class:`~tests.backends.PgSchema` whose
``str()`` is the URL. Every test that uses ``db_path``, ``run`` or
``started`` therefore runs once per backend. Pass ``str(db_path)`` as
``--db``; compare databases with ``dump(db_path)``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from cli.main import cli
from tests.backends import BACKENDS, PgSchema, Target, pg_available_or_fail
from tests.backends import dump as dump  # re-exported: tests import it from here

NOW = "2026-03-01T10:00:00+08:00"
START = "2026-03-01"

#: The seed as it was written in format 1 (kept verbatim: format-1 files run unchanged).
FORMAT1_SEED = Path(__file__).parent / "data" / "people-satisfied-unit-format1.yaml"

ATTACHED = ["市外事侨务办公室", "市支前双拥工作办公室", "市口岸与海防委员会办公室", "市法制办公室"]
INTERNAL = ["秘书科", "信息科"]
OFFICES = ATTACHED + INTERNAL


@pytest.fixture(autouse=True, scope="session")
def _private_cache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Keep the working-day cache (workflow.calendar.workdays) of the test run out of the user's home."""
    import os

    old = os.environ.get("MANYI_CACHE_DIR")
    os.environ["MANYI_CACHE_DIR"] = str(tmp_path_factory.mktemp("cache"))
    yield
    if old is None:
        os.environ.pop("MANYI_CACHE_DIR", None)
    else:
        os.environ["MANYI_CACHE_DIR"] = old


@pytest.fixture(autouse=True)
def _english_after_each_test() -> Iterator[None]:
    """A test that ran ``manyi --lang zh`` in this process leaves the next test in English.

    The language is process state (one invocation is one process for a user); tests that
    call rules directly expect the English the suite asserts on, whatever ran before them
    in the same worker.
    """
    yield
    from workflow.i18n import set_language

    set_language("en")


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture
def db_path(backend: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Target]:
    """A fresh, empty database for this test only (the name is kept from SQLite days)."""
    if backend == "sqlite":
        yield tmp_path / "manyi.db"
        return
    pg_available_or_fail()
    # A server database has no folder beside it: keep its blob store in this test's tmp_path.
    monkeypatch.setenv("MANYI_HOME", str(tmp_path))
    monkeypatch.delenv("MANYI_BLOBS", raising=False)
    schema = PgSchema().create()
    try:
        yield schema
    finally:
        schema.drop()


Run = Callable[..., Result]


@pytest.fixture
def run(db_path: Target, monkeypatch: pytest.MonkeyPatch) -> Run:
    """Invoke ``manyi`` against the test database, in English, as user 'tester'."""
    monkeypatch.setenv("MANYI_NOW", NOW)
    monkeypatch.delenv("MANYI_DB", raising=False)
    monkeypatch.delenv("MANYI_USER", raising=False)

    def _run(*args: str, actor: str = "tester", env: dict[str, str | None] | None = None) -> Result:
        runner = CliRunner()
        return runner.invoke(
            cli, ["--db", str(db_path), "--lang", "en", "--as", actor, *rehearsing(args, env)],
            env=env, catch_exceptions=False,
        )

    return _run


def rehearsing(args: tuple[str, ...] | list[str], env: dict[str, str | None] | None = None) -> list[str]:
    """``args``, with ``--rehearsal`` added to a ``campaign start`` run under MANYI_NOW.

    The suite pretends the time (MANYI_NOW) to walk a campaign through its phases;
    only a rehearsal database accepts writes at a pretended time, so the campaigns
    the tests start are rehearsals (as a supervisor's dry run would be).
    """
    import os

    args = list(args)
    env = env or {}
    pretended = env["MANYI_NOW"] if "MANYI_NOW" in env else os.environ.get("MANYI_NOW")
    if pretended and args[:2] == ["campaign", "start"] and "--rehearsal" not in args:
        args.append("--rehearsal")
    return args


def write_roster(path: Path, rows: list[tuple[str, str, str]], *, encoding: str = "utf-8",
                 header: tuple[str, ...] = ("科室", "邮箱", "负责人")) -> Path:
    lines = [",".join(header)] + [",".join(r) for r in rows]
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode(encoding))
    return path


def roster_rows(names: list[str]) -> list[tuple[str, str, str]]:
    return [(n, f"office{i}@example.gov.cn", f"负责人{i}") for i, n in enumerate(names)]


@pytest.fixture
def started(run: Run, tmp_path: Path) -> Run:
    """A campaign '2026' of the format-1 seed (the seed before format 2) with the six test offices.

    Format-1 definitions keep running unchanged: most console tests are about the
    engine, not the seed's process, and use this simpler guard set. Tests of the
    seed's own process use :func:`seed_started`.
    """
    return _start(run, tmp_path, str(FORMAT1_SEED))


@pytest.fixture
def seed_started(run: Run, tmp_path: Path) -> Run:
    """A campaign '2026' of the bundled seed definition with the six test offices."""
    return _start(run, tmp_path, "people-satisfied-unit")


def _start(run: Run, tmp_path: Path, definition: str) -> Run:
    roster = write_roster(tmp_path / "roster.csv", roster_rows(OFFICES))
    result = run("campaign", "start", definition, "--name", "2026",
                 "--start", START, "--offices", str(roster))
    assert result.exit_code == 0, result.output
    return run


def doc(tmp_path: Path, name: str, text: str = "内容") -> str:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)
