"""Engines, sessions and the schema version.

``Database`` is the one place that knows the URL, the SQLite pragmas, the
write-transaction discipline and how SQLAlchemy's errors are told to a user.

SQLite runs in WAL mode with a busy timeout; write transactions start with
``BEGIN IMMEDIATE`` so two writers serialise at the start of a command
instead of failing half-way. Read transactions use a plain deferred BEGIN.
"""

from __future__ import annotations

import os
import signal
import threading
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import Connection, Engine, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, IntegrityError, SQLAlchemyError
from sqlalchemy.orm import Session

from storage.blobs import BlobStore, DbBlobStore
from workflow.errors import ConfigError, StorageError
from workflow.i18n import _

DEFAULT_DB = "manyi.db"
BUSY_TIMEOUT_MS = 15000
MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def _head_of(versions: Path) -> str:
    """The newest revision of Alembic's script directory: the one no other revision revises.

    Read from the files' ``revision``/``down_revision`` lines, as Alembic writes them,
    instead of importing Alembic (a third of a second) on every command;
    tests/storage/test_migrations.py checks it against ``ScriptDirectory.get_current_head()``.
    """
    import re

    revs: dict[str, str | None] = {}
    for path in versions.glob("*.py"):
        text = path.read_text(encoding="utf-8")
        rev = re.search(r"^revision\s*=\s*['\"]([^'\"]+)['\"]", text, re.M)
        down = re.search(r"^down_revision\s*=\s*(?:['\"]([^'\"]+)['\"]|None)", text, re.M)
        if rev is not None:
            revs[rev.group(1)] = down.group(1) if down is not None else None
    heads = set(revs) - set(revs.values())
    if len(heads) != 1:
        raise RuntimeError(f"migrations in {versions} have {len(heads)} heads: {sorted(heads)}")
    return heads.pop()


SCHEMA_HEAD = _head_of(MIGRATIONS / "versions")


def setting_of(value: str | None) -> str:
    """The setting a database came from, as messages name it: ``--db`` when given, else ``MANYI_DB``."""
    return "--db" if value else "MANYI_DB"


def resolve_url(value: str | None, setting: str | None = None) -> str:
    """``--db``/``MANYI_DB`` to an SQLAlchemy URL; a plain path means a SQLite file."""
    setting = setting or setting_of(value)
    value = value or os.environ.get("MANYI_DB") or DEFAULT_DB
    if "://" not in value:
        return "sqlite:///" + str(Path(value).expanduser().resolve())
    if value.startswith(("postgresql://", "postgres://")):
        value = "postgresql+psycopg://" + value.split("://", 1)[1]
    try:
        make_url(value)
    except (ArgumentError, ValueError):  # ValueError: a port that is not a number
        from workflow.errors import mask_password

        raise ConfigError(setting, _("not a database URL: {v}").format(v=mask_password(value))) from None
    return value


def server_label(url: str) -> str:
    """A file-name-safe name of a server database: ``host-port-database`` (plus ``-schema``
    when the URL sets a ``search_path``), so each database has its own outbox folder."""
    parsed = make_url(url)
    parts = [parsed.host or "localhost", str(parsed.port or 5432), parsed.database or "postgres"]
    options = parsed.query.get("options") or ""
    options = options if isinstance(options, str) else " ".join(options)
    for opt in options.split():
        if "search_path=" in opt:
            parts.append(opt.split("search_path=", 1)[1])
    return "-".join("".join(c if c.isalnum() or c in "._" else "_" for c in p) for p in parts)


#: What this process has committed, by kind (see :meth:`Database.write`), over every
#: database it opened (the demo runs many commands): an interrupted command says from it
#: whether anything was saved.
COMMITTED: Counter[str] = Counter()


class _InterruptHeld:
    """Ctrl-C held back from a commit until it is counted in :data:`COMMITTED`.

    Python raises KeyboardInterrupt as soon as the driver's COMMIT call returns, so
    without this a commit that reached the disk could go uncounted and an interrupted
    command would say less was saved than was. Only the main thread may set handlers;
    elsewhere nothing is held.
    """

    def __init__(self) -> None:
        self.previous: Any = None
        self.caught = False

    def hold(self) -> None:
        if threading.current_thread() is threading.main_thread():
            self.previous = signal.signal(signal.SIGINT, self._catch)

    def _catch(self, signum: int, frame: Any) -> None:
        self.caught = True

    def release(self) -> None:
        if self.previous is None:
            return
        previous, self.previous = self.previous, None
        signal.signal(signal.SIGINT, previous)
        if self.caught:
            if callable(previous):
                previous(signal.SIGINT, None)  # default_int_handler raises KeyboardInterrupt
            elif previous == signal.SIG_DFL:
                raise KeyboardInterrupt


class Database:
    """A database plus the folders that live beside it (blobs, outbox)."""

    def __init__(self, url: str | None = None, *, setting: str | None = None):
        #: What errors about the URL name: ``--db`` for a URL given, else ``MANYI_DB``.
        self.setting = setting or setting_of(url)
        self.url = resolve_url(url, self.setting)
        parsed = make_url(self.url)
        self.is_sqlite = parsed.get_backend_name() == "sqlite"
        if self.is_sqlite:
            path = Path(parsed.database or DEFAULT_DB)
            self.path: Path | None = path
            self.home = path.parent
            if not self.home.is_dir():
                raise ConfigError(self.setting, _("folder does not exist: {p}").format(p=self.home))
            self.blob_root: Path | None = Path(str(path) + ".blobs")
            # Per database, beside it: two databases in one folder never share their mail.
            self.outbox = Path(str(path) + ".outbox")
        else:
            self.path = None
            self.home = Path(os.environ.get("MANYI_HOME", ".")).resolve()
            # Documents live in the database itself unless MANYI_BLOBS names a folder for them:
            # an absolute one, or every folder a command runs in would hold other documents.
            folder = os.environ.get("MANYI_BLOBS", "").strip()
            if folder and not Path(folder).expanduser().is_absolute():
                raise ConfigError(
                    "MANYI_BLOBS",
                    _(
                        "'{v}' is a relative path: each folder a command runs in would hold "
                        "other documents; give an absolute path"
                    ).format(v=folder),
                )
            self.blob_root = Path(folder).expanduser().resolve() if folder else None
            label = server_label(self.url) + ".outbox"
            self.outbox = Path(os.environ.get("MANYI_OUTBOX") or self.home / label)
        #: Set when MANYI_NOW pretends the time: writes then need a rehearsal database.
        self.simulated_clock = False
        #: The OS login running manyi, recorded in every event beside the acting name.
        self.os_user: str | None = None
        self.engine = self._make_engine()

    def _make_engine(self) -> Engine:
        try:
            if self.is_sqlite:
                engine = create_engine(self.url, connect_args={"timeout": BUSY_TIMEOUT_MS / 1000})

                @event.listens_for(engine, "connect")
                def _on_connect(dbapi_conn, _record):
                    dbapi_conn.isolation_level = None  # we issue BEGIN ourselves
                    cur = dbapi_conn.cursor()
                    cur.execute("PRAGMA journal_mode=WAL")
                    cur.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
                    cur.execute("PRAGMA foreign_keys=ON")
                    cur.execute("PRAGMA synchronous=NORMAL")
                    cur.close()

                @event.listens_for(engine, "begin")
                def _on_begin(conn):
                    if conn.get_execution_options().get("manyi_write"):
                        conn.exec_driver_sql("BEGIN IMMEDIATE")
                    else:
                        conn.exec_driver_sql("BEGIN")

                return engine
            return create_engine(self.url, pool_pre_ping=False)
        except (SQLAlchemyError, ImportError) as exc:
            raise ConfigError(self.setting, str(exc).splitlines()[0]) from None

    @property
    def shown_url(self) -> str:
        """The URL as messages show it: the password masked (``***``)."""
        return make_url(self.url).render_as_string(hide_password=True)

    # -- schema ------------------------------------------------------------
    def schema_revision(self) -> str | None:
        with self._translate():
            with self.engine.connect() as conn:
                has = conn.dialect.has_table(conn, "alembic_version")
                if not has:
                    return None
                return conn.execute(text("SELECT version_num FROM alembic_version")).scalar()

    def upgrade(self) -> tuple[str | None, str]:
        """Create or upgrade the schema to this code's head; safe to repeat.

        Returns ``(before, after)`` revisions.
        """
        before = self.schema_revision()
        self._refuse_newer(before)
        if before == SCHEMA_HEAD:
            return before, before
        from alembic import command
        from alembic.config import Config

        cfg = Config()
        cfg.set_main_option("script_location", str(MIGRATIONS))
        with self._translate(), self.engine.execution_options(manyi_write=True).begin() as conn:
            if not self.is_sqlite:
                # One migrator at a time per schema; the others wait here, then find it done.
                # (SQLite: BEGIN IMMEDIATE already serialises them.)
                conn.execute(
                    text("SELECT pg_advisory_xact_lock(hashtext('manyi-migrate:' || current_schema()))")
                )
            now = (
                conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
                if conn.dialect.has_table(conn, "alembic_version")
                else None
            )
            self._refuse_newer(now)
            if now == SCHEMA_HEAD:  # another process did it while we waited
                return now, SCHEMA_HEAD
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, SCHEMA_HEAD)
        return before, SCHEMA_HEAD

    def ensure_ready(self, *, create: bool, rehearsal: bool = False) -> None:
        """Check the schema before a command; create it on first use when ``create``.

        ``rehearsal``: the command creates a rehearsal database (``--rehearsal``),
        which may be written at a pretended time (MANYI_NOW); any other new
        database is not created under a pretended time.
        """
        if self.simulated_clock and create and not rehearsal and self._is_new():
            raise _pretended_time_refused()
        if self.path is not None and not create and not self.path.exists():
            raise StorageError(
                _("no manyi database at {where}; run `manyi init` or `manyi campaign start`").format(
                    where=self.path
                )
            )
        rev = self.schema_revision()
        if rev == SCHEMA_HEAD:
            return
        self._refuse_newer(rev)
        if rev is None and create:
            self.upgrade()
            return
        if rev is None:
            where = self.path if self.path else self.shown_url
            raise StorageError(
                _("no manyi database at {where}; run `manyi init` or `manyi campaign start`").format(
                    where=where
                )
            )
        raise StorageError(
            _("database schema {rev} is older than this manyi ({head}); run `manyi init`").format(
                rev=rev, head=SCHEMA_HEAD
            )
        )

    def _is_new(self) -> bool:
        if self.path is not None and not self.path.exists():
            return True
        return self.schema_revision() is None

    def _refuse_newer(self, rev: str | None) -> None:
        # A revision this code has no migration for: a later manyi wrote it, or another
        # branch, or someone edited it. We cannot tell which, so we do not guess "newer".
        if rev is not None and rev not in known_revisions():
            raise StorageError(
                _(
                    "database schema {rev} is unknown to this manyi (its newest is {head}): it was "
                    "written by another version; use that version or upgrade manyi"
                ).format(rev=rev, head=SCHEMA_HEAD)
            )

    # -- sessions ----------------------------------------------------------
    @contextmanager
    def write(
        self, kind: str = "change", *, pretended_ok: bool = False, dry_run: bool = False, count: int = 1
    ) -> Iterator[Session]:
        """One write transaction: committed on success, rolled back on any error.

        Under a pretended time (MANYI_NOW) it is refused unless the database is a
        rehearsal (``pretended_ok``: the caller is making it one).

        Args:
            kind: what a commit saves, counted in :data:`COMMITTED` (``mail-sent`` for
                reminder mails marked sent; ``change`` for anything else).
            count: how many of ``kind`` the commit saves (the mails of a batch marked sent).
            dry_run: the same transaction, with the same locks, rolled back at the end
                instead of committed: what a change would do, without doing it.
        """
        with self._translate():
            with Session(self.engine.execution_options(manyi_write=True), expire_on_commit=False) as session:
                held = _InterruptHeld()
                try:
                    with session.begin() as tx:
                        session.info["os_user"] = self.os_user
                        if self.simulated_clock and not pretended_ok:
                            from storage import clock

                            if not clock.is_rehearsal(session):
                                raise _pretended_time_refused()
                        yield session
                        if dry_run:
                            tx.rollback()
                            return
                        held.hold()  # the commit and its count below are one step for Ctrl-C
                    COMMITTED[kind] += count
                finally:
                    held.release()

    @contextmanager
    def connect(self) -> Iterator[Connection]:
        """A plain connection (who is connected, before any transaction of a command)."""
        with self._translate(), self.engine.connect() as conn:
            yield conn

    @contextmanager
    def read(self) -> Iterator[Session]:
        with self._translate():
            with Session(self.engine, expire_on_commit=False) as session:
                with session.begin():
                    yield session

    @contextmanager
    def _translate(self) -> Iterator[None]:
        """The one place SQLAlchemy's errors become messages a person can act on."""
        try:
            yield
        except IntegrityError as exc:
            raise StorageError(
                _("the database refused a conflicting change: {e}").format(e=_first_line(exc))
            ) from None
        except DBAPIError as exc:
            msg = _first_line(exc)
            if "locked" in msg or "busy" in msg:
                raise StorageError(_("the database is busy (another manyi is writing); retry")) from None
            raise StorageError(_("database error: {e}").format(e=msg)) from None

    def blobs(self) -> BlobStore | DbBlobStore:
        """Where filed documents are kept: the folder beside a SQLite file (or MANYI_BLOBS),
        else the database's own table ``blob``."""
        if self.blob_root is None:
            return DbBlobStore(self.engine, self._translate)
        return BlobStore(self.blob_root)

    def dispose(self) -> None:
        self.engine.dispose()


def _pretended_time_refused() -> ConfigError:
    return ConfigError(
        "MANYI_NOW",
        _(
            "this database is not a rehearsal, so nothing is written at a pretended time; "
            "unset MANYI_NOW (to rehearse: a new database with `campaign start --rehearsal`)"
        ),
    )


@lru_cache(maxsize=1)
def known_revisions() -> frozenset[str]:
    """Every schema revision this code's migrations know."""
    from alembic.script import ScriptDirectory

    script = ScriptDirectory(str(MIGRATIONS))
    return frozenset(r.revision for r in script.walk_revisions())


def _first_line(exc: DBAPIError) -> str:
    return str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc).splitlines()[0]
