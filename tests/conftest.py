"""Shared fixtures: a real database per test (SQLite file or PostgreSQL schema) and a CLI runner.

``db_path`` is parametrized over the backends in :mod:`tests.backends`: a
``Path`` to a SQLite file, or a :class:`~tests.backends.PgSchema` whose
``str()`` is the URL. Every test that uses ``db_path``, ``run`` or
``started`` therefore runs once per backend. Pass ``str(db_path)`` as
``--db``; compare databases with ``dump(db_path)``.
"""

from __future__ import annotations

import shutil
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


def pytest_xdist_auto_num_workers(config: pytest.Config) -> int | None:
    """``-n auto``: two workers per core (xdist's own choice is one per core).

    Much of a worker's time is spent waiting, not computing: on the manyi processes the
    console tests start, on the PostgreSQL server, the SMTP and IMAP servers on loopback,
    LibreOffice and Chromium, and the scheduler tests' leases. Measured on the 2-core machine,
    idle: the whole suite in 251 s with four workers against 330-360 s with two.
    With ``PYTEST_XDIST_AUTO_NUM_WORKERS`` set this returns None, and xdist's own hook reads it.
    """
    import os

    if os.environ.get("PYTEST_XDIST_AUTO_NUM_WORKERS"):
        return None
    return 2 * (os.cpu_count() or 1)


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


@pytest.fixture(
    params=[
        # The PostgreSQL half repeats every use case on the server: `-m "not slow"` (the edit
        # loop) leaves it out; the README's test command and CI run it.
        pytest.param(b, marks=pytest.mark.slow) if b == "postgresql" else b
        for b in BACKENDS
    ]
)
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
            cli,
            ["--db", str(db_path), "--lang", "en", "--as", actor, *rehearsing(args, env)],
            env=env,
            catch_exceptions=False,
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


def write_roster(
    path: Path,
    rows: list[tuple[str, str, str]],
    *,
    encoding: str = "utf-8",
    header: tuple[str, ...] = ("科室", "邮箱", "负责人"),
) -> Path:
    lines = [",".join(header)] + [",".join(r) for r in rows]
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode(encoding))
    return path


def roster_rows(names: list[str]) -> list[tuple[str, str, str]]:
    return [(n, f"office{i}@example.gov.cn", f"负责人{i}") for i, n in enumerate(names)]


@pytest.fixture
def started(run: Run, db_path: Target, tmp_path: Path, _templates: Templates) -> Run:
    """A campaign '2026' of the format-1 seed (the seed before format 2) with the six test offices.

    Format-1 definitions keep running unchanged: most console tests are about the
    engine, not the seed's process, and use this simpler guard set. Tests of the
    seed's own process use :func:`seed_started`.
    """
    return _start(run, db_path, tmp_path, str(FORMAT1_SEED), _templates)


@pytest.fixture
def seed_started(run: Run, db_path: Target, tmp_path: Path, _templates: Templates) -> Run:
    """A campaign '2026' of the bundled seed definition with the six test offices."""
    return _start(run, db_path, tmp_path, "people-satisfied-unit", _templates)


class Templates:
    """Started campaigns, made once per test session (per xdist worker) and copied per test.

    Each template is made by the real command (``manyi campaign start`` through
    migrations on an empty database, at the suite's pretended time) and then copied:
    the SQLite file byte for byte, a PostgreSQL schema by replaying ``pg_dump``'s
    output under the test's own schema name. A copy is the database the command would
    have written (same rows, same audit chain), at a fraction of the cost: migrating
    and starting takes ~0.1 s on SQLite and ~0.6 s on PostgreSQL per test. The tests
    of ``campaign start`` itself run the command.
    """

    def __init__(self, folder: Path):
        self.folder = folder
        self._made: dict[tuple[str, str], Path | str] = {}
        self._schemas: list[PgSchema] = []

    def copy_into(self, backend: str, definition: str, target: Target) -> None:
        key = (backend, definition)
        if key not in self._made:
            self._made[key] = self._make(backend, definition, len(self._made))
        made = self._made[key]
        if isinstance(target, PgSchema):
            assert isinstance(made, str)
            sql = made.replace("__manyi_template__", target.schema)
            with target.connect() as conn:
                conn.execute(sql)
        else:
            assert isinstance(made, Path)
            shutil.copyfile(made, target)

    def _make(self, backend: str, definition: str, n: int) -> Path | str:
        folder = self.folder / f"t{n}"
        folder.mkdir()
        roster = write_roster(folder / "roster.csv", roster_rows(OFFICES))
        target: Target
        if backend == "sqlite":
            target = folder / "manyi.db"
        else:
            target = PgSchema().create()
            self._schemas.append(target)
        env = {
            "MANYI_NOW": NOW,
            "MANYI_DB": None,
            "MANYI_USER": None,
            "MANYI_HOME": str(folder),
            "MANYI_BLOBS": None,
        }
        result = CliRunner().invoke(
            cli,
            [
                "--db",
                str(target),
                "--lang",
                "en",
                "--as",
                "tester",
                "campaign",
                "start",
                definition,
                "--name",
                "2026",
                "--start",
                START,
                "--offices",
                str(roster),
                "--rehearsal",
            ],
            env=env,
            catch_exceptions=False,
        )
        assert result.exit_code == 0, result.output
        extra = sorted(p.name for p in folder.iterdir() if p.name not in ("roster.csv", "manyi.db"))
        assert not extra, f"campaign start wrote {extra}: copy them with the template"
        if isinstance(target, PgSchema):
            return _pg_script(target)
        return target

    def drop(self) -> None:
        for schema in self._schemas:
            schema.drop()


def _pg_script(schema: PgSchema) -> str:
    """The SQL that rebuilds ``schema`` (tables, sequences, rows) under the name
    ``__manyi_template__`` (``pg_dump`` qualifies every object with its schema)."""
    import subprocess

    from tests.backends import PG_SERVER, _libpq

    pg_dump = shutil.which("pg_dump")
    assert pg_dump, "pg_dump is not installed (Debian: apt-get install postgresql-client)"
    done = subprocess.run(
        [
            pg_dump,
            "--no-owner",
            "--no-privileges",
            "--inserts",
            f"--schema={schema.schema}",
            _libpq(PG_SERVER),
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    # Leave out psql's meta-commands (\restrict), comments and the CREATE SCHEMA (the test's
    # schema exists already).
    lines = [ln for ln in done.stdout.splitlines() if not ln.startswith(("\\", "--", "CREATE SCHEMA "))]
    script = "\n".join(lines)
    assert "__manyi_template__" not in script
    return script.replace(f'"{schema.schema}"', "__manyi_template__").replace(
        schema.schema, "__manyi_template__"
    )


@pytest.fixture(scope="session")
def _templates(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Templates]:
    templates = Templates(tmp_path_factory.mktemp("templates"))
    yield templates
    templates.drop()


def _start(run: Run, db_path: Target, tmp_path: Path, definition: str, templates: Templates) -> Run:
    write_roster(tmp_path / "roster.csv", roster_rows(OFFICES))
    templates.copy_into("sqlite" if isinstance(db_path, Path) else "postgresql", definition, db_path)
    return run


def doc(tmp_path: Path, name: str, text: str = "内容") -> str:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)
