"""Who acted is proven, not declared (issue 11, hole 2): on PostgreSQL the acting operator is the
database login, and the database itself keeps a clerk's login to its own office; operator
changes are chained and checked by `audit verify`; on SQLite `--as` is a label beside the OS
login."""

from __future__ import annotations

import getpass
import json
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from cli.main import cli
from tests.backends import PG_SERVER, PgSchema, Target, _libpq, execute, pg_available_or_fail
from tests.conftest import OFFICES, Run, doc, dump, roster_rows, write_roster

REAL = {"MANYI_NOW": None}


@pytest.fixture
def pg(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[PgSchema]:
    """A PostgreSQL schema with a real campaign, run by 周主任 (the superuser login that ran init)."""
    pg_available_or_fail()
    monkeypatch.setenv("MANYI_HOME", str(tmp_path))
    for var in ("MANYI_BLOBS", "MANYI_NOW", "MANYI_USER", "MANYI_DB"):
        monkeypatch.delenv(var, raising=False)
    schema = PgSchema().create()
    try:
        yield schema
    finally:
        schema.drop()


@pytest.fixture
def login() -> Iterator[Any]:
    """Make real PostgreSQL logins (unique names), dropped with everything granted to them."""
    import psycopg

    made: list[str] = []

    def make() -> str:
        name = f"manyi_clerk_{uuid.uuid4().hex[:10]}"
        with psycopg.connect(_libpq(PG_SERVER), autocommit=True) as conn:
            conn.execute(f'CREATE ROLE "{name}" LOGIN')
        made.append(name)
        return name

    yield make
    with psycopg.connect(_libpq(PG_SERVER), autocommit=True) as conn:
        for name in made:
            conn.execute(f'DROP OWNED BY "{name}"')
            conn.execute(f'DROP ROLE "{name}"')


def as_login(schema: PgSchema, user: str | None) -> str:
    """The URL a person with login ``user`` would use (None: the test suite's superuser)."""
    if user is None:
        return schema.url
    return f"postgresql+psycopg://{user}@127.0.0.1:5432/test?options=-csearch_path%3D{schema.schema}"


def manyi(url: str, *args: str, env: dict[str, str | None] | None = None) -> Result:
    return CliRunner().invoke(
        cli, ["--db", url, "--lang", "en", *args], env={**REAL, **(env or {})}, catch_exceptions=False
    )


def sql_as(schema: PgSchema, user: str, statement: str, params: tuple[Any, ...] = ()) -> int:
    """Plain SQL as ``user`` (what psql would do); returns the number of rows changed."""
    import psycopg

    with psycopg.connect(
        _libpq(PG_SERVER).replace("postgres@", f"{user}@"),
        autocommit=True,
        options=f"-csearch_path={schema.schema}",
    ) as conn:
        return conn.execute(statement, params).rowcount


@pytest.fixture
def staffed(pg: PgSchema, login: Any, tmp_path: Path) -> tuple[PgSchema, str]:
    """周主任 ran init (so the superuser login is 周主任), started a real campaign and mapped
    李文 (clerk of 秘书科) to a fresh login."""
    boss = as_login(pg, None)
    made = manyi(boss, "--as", "周主任", "init")
    assert made.exit_code == 0, made.output
    assert "First supervisor: 周主任 (database login postgres)." in made.stdout
    roster = write_roster(tmp_path / "roster.csv", roster_rows(OFFICES))
    started = manyi(
        boss,
        "campaign",
        "start",
        "people-satisfied-unit",
        "--name",
        "2026",
        "--start",
        "2026-12-01",
        "--offices",
        str(roster),
    )
    assert started.exit_code == 0, started.output
    clerk = login()
    added = manyi(boss, "user", "add", "李文", "--role", "clerk", "--office", "秘书科", "--db-login", clerk)
    assert added.exit_code == 0, added.output
    return pg, clerk


def test_clerk_login_naming_a_supervisor_is_refused(staffed: tuple[PgSchema, str], tmp_path: Path) -> None:
    pg, clerk = staffed
    url = as_login(pg, clerk)
    before = dump(pg)
    refusal = (
        f"Error: --as 周主任: you are connected as database login {clerk}, operator 李文; "
        "--as and MANYI_USER may only name yourself\n"
    )
    for args, env in (
        (["--as", "周主任", "user", "add", "李文的朋友", "--role", "supervisor"], None),
        (["user", "add", "李文的朋友", "--role", "supervisor"], {"MANYI_USER": "周主任"}),
        (
            ["--as", "周主任", "advance", "秘书科", "--force", "--reason", "急", "--from", "mobilization"],
            None,
        ),
        (["--as", "周主任", "file", "信息科", "study-plan", doc(tmp_path, "x.txt")], None),
    ):
        result = manyi(url, *args, env=env)
        assert result.exit_code == 1, result.output
        assert result.stdout == "" and result.stderr == refusal
    assert dump(pg) == before
    # As themself, the clerk works, for their own office, through the database's policies.
    filed = manyi(url, "file", "秘书科", "study-plan", doc(tmp_path, "plan.txt", "学习方案"))
    assert filed.exit_code == 0, filed.output
    named = manyi(url, "--as", "李文", "file", "秘书科", "implementation-opinion", doc(tmp_path, "o.txt"))
    assert named.exit_code == 0, named.output
    last = json.loads(manyi(url, "history", "秘书科", "--json").stdout)[-1]
    assert (last["actor"], last["db_user"]) == ("李文", clerk)
    other = manyi(url, "file", "信息科", "study-plan", doc(tmp_path, "y.txt"))
    assert other.exit_code == 1
    assert other.stderr == "Error: 李文 may not file for 信息科: needs role supervisor / clerk of 信息科\n"
    assert manyi(as_login(pg, None), "audit", "verify").exit_code == 0


def test_clerk_login_cannot_write_another_office_with_plain_sql(staffed: tuple[PgSchema, str]) -> None:
    import psycopg

    pg, clerk = staffed
    ids = dict(execute(pg, "SELECT name, id FROM section"))
    campaign = execute(pg, "SELECT id FROM campaign")[0][0]
    before = dump(pg)
    # Another office's filing: refused outright by the row-level security policy.
    with pytest.raises(psycopg.errors.InsufficientPrivilege, match="row-level security"):
        sql_as(
            pg,
            clerk,
            "INSERT INTO filing (campaign_id, section_id, requirement, sha256, filename, "
            "size, actor, at) VALUES (%s, %s, 'study-plan', 'x', 'f.txt', 1, '李文', now())",
            (campaign, ids["信息科"]),
        )
    with pytest.raises(psycopg.errors.InsufficientPrivilege, match="row-level security"):
        sql_as(
            pg,
            clerk,
            "INSERT INTO event (campaign_id, seq, at, actor, section_id, office, action, "
            "detail, prev_hash, hash) VALUES (%s, 99, now(), '李文', %s, '信息科', 'advance', "
            "'{}', 'x', 'y')",
            (campaign, ids["信息科"]),
        )
    # Rows the policy does not let it write are not even there to update.
    assert (
        sql_as(pg, clerk, "UPDATE record SET state = 'completed' WHERE section_id = %s", (ids["信息科"],))
        == 0
    )
    assert sql_as(pg, clerk, "UPDATE operator SET role = 'supervisor' WHERE db_login = current_user") == 0
    with pytest.raises(psycopg.errors.InsufficientPrivilege):
        sql_as(
            pg,
            clerk,
            "INSERT INTO operator (name, role, created_at, created_by) "
            "VALUES ('李文的朋友', 'supervisor', now(), '李文')",
        )
    with pytest.raises(psycopg.errors.InsufficientPrivilege, match="row-level security"):
        sql_as(pg, clerk, "UPDATE campaign SET parameters = '{}'")
    with pytest.raises(psycopg.errors.InsufficientPrivilege):
        sql_as(pg, clerk, "UPDATE database_info SET rehearsal = true")
    assert dump(pg) == before


def test_disabled_operator_can_no_longer_act(staffed: tuple[PgSchema, str], tmp_path: Path) -> None:
    import psycopg

    pg, clerk = staffed
    boss = as_login(pg, None)
    done = manyi(boss, "user", "disable", "李文", "--reason", "调岗")
    assert done.exit_code == 0 and done.stdout == "Disabled operator '李文'.\n"
    result = manyi(as_login(pg, clerk), "file", "秘书科", "study-plan", doc(tmp_path, "p.txt"))
    assert result.exit_code == 1
    assert result.stderr == (
        f"Error: database login {clerk} is not an active operator of this "
        f"database; a supervisor maps it: manyi user add NAME --role ROLE "
        f"--db-login {clerk}\n"
    )
    section = execute(pg, "SELECT id FROM section WHERE name = '秘书科'")[0][0]
    campaign = execute(pg, "SELECT id FROM campaign")[0][0]
    with pytest.raises(psycopg.errors.InsufficientPrivilege, match="row-level security"):
        sql_as(
            pg,
            clerk,
            "INSERT INTO filing (campaign_id, section_id, requirement, sha256, filename, "
            "size, actor, at) VALUES (%s, %s, 'study-plan', 'x', 'f.txt', 1, '李文', now())",
            (campaign, section),
        )
    verified = manyi(boss, "audit", "verify")
    assert verified.exit_code == 0, verified.output
    assert "Operators: 3 events, chain intact" in verified.stdout


def staff(run: Run) -> None:
    for args in (["boss", "--role", "supervisor"], ["clerk1", "--role", "clerk", "--office", "秘书科"]):
        assert run("user", "add", *args, actor="boss").exit_code == 0


def test_operator_rows_edited_by_sql_are_caught(started: Run, db_path: Target) -> None:
    staff(started)
    assert started("user", "role", "clerk1", "clerk", "--office", "信息科", actor="boss").stdout == (
        "Operator 'clerk1' is now clerk of 信息科.\n"
    )
    verified = started("audit", "verify", actor="boss")
    assert verified.exit_code == 0, verified.output
    assert "Operators: 3 events, chain intact, head #3 " in verified.stdout
    execute(db_path, "UPDATE operator SET role = 'supervisor', office = NULL WHERE name = 'clerk1'")
    result = started("audit", "verify", actor="boss")
    assert result.exit_code == 1 and result.stdout == ""
    assert result.stderr == (
        "Error: audit: operators' chain, event #3: history and stored state "
        "disagree; operator clerk1 has role supervisor but this event says clerk\n"
    )
    execute(db_path, "UPDATE operator SET role = 'clerk', office = '信息科' WHERE name = 'clerk1'")
    assert started("audit", "verify", actor="boss").exit_code == 0
    execute(
        db_path,
        "INSERT INTO operator (name, role, created_at, created_by) "
        "VALUES ('李文的朋友', 'supervisor', '2026-03-01 00:00:00', 'clerk1')",
    )
    result = started("audit", "verify", actor="boss")
    assert result.stderr == (
        "Error: audit: operators' chain: history and stored state disagree; "
        "operator 李文的朋友 has no event in the chain (added behind manyi's back)\n"
    )


def test_user_role_and_disable_refuse_bad_input(started: Run, db_path: Target) -> None:
    staff(started)
    before = dump(db_path)
    for args, message in (
        (
            ["user", "disable", "boss", "--reason", "x"],
            "boss is the last active supervisor; add another supervisor first",
        ),
        (
            ["user", "role", "boss", "observer"],
            "boss is the last active supervisor; add another supervisor first",
        ),
        (["user", "role", "clerk1", "clerk", "--office", "秘书科"], "clerk1 already has that role"),
        (["user", "role", "nobody", "observer"], "unknown operator 'nobody'; known: boss, clerk1"),
        (
            ["user", "disable", "clerk1", "--reason", " "],
            "--reason must not be empty: say why the operator is disabled",
        ),
        (
            ["user", "add", "x", "--role", "observer", "--db-login", "someone"],
            "--db-login is for PostgreSQL; SQLite cannot authenticate a login",
        ),
    ):
        if "--db-login" in args and not isinstance(db_path, Path):
            message = "no PostgreSQL login 'someone' (create it first: CREATE ROLE … LOGIN)"
        result = started(*args, actor="boss")
        assert result.exit_code == 1, (args, result.output)
        assert result.stderr == f"Error: {message}\n"
    assert dump(db_path) == before
    refused = started("user", "disable", "boss", "--reason", "x", actor="clerk1")
    assert refused.stderr == (
        "Error: clerk1 may not manage campaigns, offices and operators: needs role supervisor\n"
    )


def test_sqlite_as_is_a_label_beside_the_os_login(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for var in ("MANYI_NOW", "MANYI_USER", "MANYI_DB"):
        monkeypatch.delenv(var, raising=False)
    db = str(tmp_path / "m.db")
    roster = write_roster(tmp_path / "roster.csv", roster_rows(OFFICES))
    assert (
        manyi(
            db,
            "--as",
            "周主任",
            "campaign",
            "start",
            "people-satisfied-unit",
            "--name",
            "2026",
            "--start",
            "2026-12-01",
            "--offices",
            str(roster),
        ).exit_code
        == 0
    )
    assert manyi(db, "--as", "李文", "file", "秘书科", "study-plan", doc(tmp_path, "p.txt")).exit_code == 0
    events = json.loads(manyi(db, "history", "秘书科", "--json").stdout)
    assert [(e["actor"], e["os_user"], e["db_user"]) for e in events] == [
        ("周主任", getpass.getuser(), None),
        ("李文", getpass.getuser(), None),
    ]


def test_a_clerks_delivery_run_does_not_try_to_analyze_the_mail_table(staffed: tuple[PgSchema, str]) -> None:
    """The delivery's statistics check (a backlog without statistics) analyzes the mail table
    only as its owner: a clerk's login may read and write it, and its ANALYZE would be a
    warning that does nothing, every run."""
    from datetime import UTC, datetime

    from storage import mail_repo
    from storage.db import Database

    pg, clerk = staffed
    now = datetime(2027, 1, 1, tzinfo=UTC)
    execute(pg, "ALTER TABLE mail SET (autovacuum_enabled = false)")
    execute(
        pg,
        "INSERT INTO mail (campaign_id, recipient, subject, message_id, raw, items, status, attempts, "
        "next_attempt_at, created_at) SELECT (SELECT id FROM campaign), 'o' || g || '@x.cn', 's', "
        "'<' || g || '@x>', repeat('x', 2000), '[]', 'failed', 1, :now, :now "
        "FROM generate_series(1, 3000) g",
        {"now": now},
    )

    def known() -> float:  # the planner's row count, which ANALYZE sets when it commits
        return float(execute(pg, "SELECT reltuples FROM pg_class WHERE oid = 'mail'::regclass")[0][0])

    before = known()
    assert before < 3000
    for user, expected in ((clerk, False), (None, True)):
        db = Database(as_login(pg, user))
        try:
            with db.read() as s:
                assert mail_repo.count_to_send(s, now) == 3000  # the clerk sees the backlog too
                assert mail_repo.refresh_statistics(s, now) is expected
        finally:
            db.dispose()
        assert known() == (3000 if expected else before)
