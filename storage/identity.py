"""Who is connected, and the database's own enforcement of roles (PostgreSQL).

On PostgreSQL the acting operator is the database login (``session_user``)
mapped to an ``operator`` row by its ``db_login``. Roles are enforced by the
server as well, with row-level security keyed on that mapping
(its policies are installed by migration 0008, ``storage/migrations/versions/
0008_identity.py``, and by each later revision for the tables it adds):

- a clerk's login may write only rows of their own office's sections;
- a leader's or supervisor's login may write section rows of any office;
- only a supervisor's login may write campaigns, sections and operators;
- an observer's, a disabled operator's or an unmapped login writes nothing.

The database owner and superusers bypass row-level security (PostgreSQL's
rule): whoever holds such a login can change anything with psql, so manyi
records it (``db_user``) but cannot constrain it. Give operators their own
logins, mapped with ``manyi user add NAME --role ROLE --db-login LOGIN``.

Operators are changed only through a chain of their own: :mod:`storage.operator_chain`.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import text
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session


# -- who is connected (PostgreSQL) ---------------------------------------------
@dataclass(frozen=True)
class Login:
    """The server's view of the connection."""

    login: str  # session_user: who authenticated (SET ROLE cannot change it)
    privileged: bool  # superuser or owner of manyi's tables: bypasses row-level security
    operator: str | None  # the active operator mapped to this login, if any
    has_operators: bool  # False before the schema exists or in single-user mode


def connected(conn: Connection) -> Login | None:
    """Who is connected, or None on SQLite (where nobody can be authenticated)."""
    if conn.dialect.name == "sqlite":
        return None
    # Two statements, on the system catalogues (information_schema is a view stack that costs a
    # fresh connection ~10 ms to plan): who I am, whether the operator table (and its db_login
    # column) exists, and whether I own it or am a superuser; then the operator facts.
    login, has_table, privileged, has_column = conn.execute(
        text(
            "SELECT session_user, c.oid IS NOT NULL,"
            " COALESCE((SELECT r.rolsuper FROM pg_roles r WHERE r.rolname = session_user), false)"
            "  OR (c.oid IS NOT NULL AND pg_has_role(session_user, c.relowner, 'MEMBER')),"
            " EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = c.oid"
            "  AND a.attname = 'db_login' AND NOT a.attisdropped)"
            " FROM (SELECT to_regclass(quote_ident(current_schema()) || '.operator') AS oid) AS t"
            " LEFT JOIN pg_class c ON c.oid = t.oid AND c.relkind = 'r'"
        )
    ).one()
    if not has_table:  # no schema yet: `init` creates it
        return Login(login, True, None, False)
    if not has_column:  # an older schema: `init` upgrades it
        return Login(login, bool(privileged), None, True)
    name, anyone = conn.execute(
        text(
            "SELECT (SELECT name FROM operator WHERE db_login = :login AND disabled_at IS NULL LIMIT 1),"
            " (SELECT count(*) FROM operator)"
        ),
        {"login": login},
    ).one()
    return Login(login, bool(privileged), name, bool(anyone) or name is not None)


def login_exists(s: Session, login: str) -> bool:
    return bool(
        s.execute(text("SELECT 1 FROM pg_roles WHERE rolname = :l AND rolcanlogin"), {"l": login}).scalar()
    )


def grant(s: Session, login: str) -> None:
    """Let ``login`` use manyi's tables; row-level security decides which rows it may write.

    Reads: every table. Writes: only tables under row-level security (a table added
    later without policies stays read-only for mapped logins), and of
    ``database_info`` only its clock column.
    """
    quote = s.get_bind().dialect.identifier_preparer.quote
    schema = s.execute(text("SELECT current_schema()")).scalar_one()
    who, where = quote(login), quote(schema)
    s.execute(text(f"GRANT USAGE ON SCHEMA {where} TO {who}"))
    s.execute(text(f"GRANT SELECT ON ALL TABLES IN SCHEMA {where} TO {who}"))
    s.execute(text(f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA {where} TO {who}"))
    guarded = s.scalars(
        text(
            "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = current_schema() AND c.relkind = 'r' AND c.relrowsecurity "
            "ORDER BY c.relname"
        )
    ).all()
    for table in guarded:
        if table == "database_info":
            s.execute(text(f"GRANT UPDATE (last_recorded_at) ON database_info TO {who}"))
        else:
            s.execute(text(f"GRANT INSERT, UPDATE ON {quote(table)} TO {who}"))
