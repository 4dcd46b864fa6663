"""Who is connected, and the database's own enforcement of roles (PostgreSQL).

On PostgreSQL the acting operator is the database login (``session_user``)
mapped to an ``operator`` row by its ``db_login``. Roles are enforced by the
server as well, with row-level security keyed on that mapping
(:data:`RLS_SQL`, installed by migration 0008):

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


# -- row-level security (installed by migration 0008 on PostgreSQL) ---------------
#: Tables whose rows belong to one office (``section_id``; NULL: campaign-wide or the
#: leading group's, which a clerk may not write).
SECTION_TABLES = (
    "filing",
    "event",
    "record",
    "rectification_item",
    "inspection",
    "score_entry",
    "deadline",
    "deadline_extension",
    "reminder",
)
#: Written by supervisors only (a clerk's manyi may lock a campaign row, never change it);
#: mail fetched in and the addresses allowed to answer for an office are theirs too.
ADMIN_TABLES = ("campaign", "section", "operator", "operator_event", "inbound_message", "office_sender")
#: Campaign-wide bookkeeping that leaders' commands write too (deadline plans, mail).
SHARED_TABLES = ("deadline_plan", "mail")

_ROLE = "(SELECT manyi_role())"  # a sub-select: evaluated once per statement, not per row


def _policies() -> list[str]:
    out = [
        """CREATE FUNCTION manyi_role() RETURNS text LANGUAGE sql STABLE SECURITY DEFINER
           SET search_path FROM CURRENT AS
           $$ SELECT role FROM operator WHERE db_login = session_user AND disabled_at IS NULL $$""",
        """CREATE FUNCTION manyi_may_write(sid integer) RETURNS boolean LANGUAGE sql STABLE
           SECURITY DEFINER SET search_path FROM CURRENT AS
           $$ SELECT COALESCE((
                SELECT CASE o.role
                  WHEN 'supervisor' THEN true
                  WHEN 'leader' THEN true
                  WHEN 'clerk' THEN EXISTS (
                    SELECT 1 FROM section s WHERE s.id = sid AND s.name = o.office)
                  ELSE false END
                FROM operator o WHERE o.db_login = session_user AND o.disabled_at IS NULL), false) $$""",
    ]
    for table in (*SECTION_TABLES, *ADMIN_TABLES, *SHARED_TABLES, "database_info"):
        out.append(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
        out.append(f"CREATE POLICY manyi_read ON {table} FOR SELECT USING ({_ROLE} IS NOT NULL)")
    for table in SECTION_TABLES:
        writable = f"({_ROLE} IN ('supervisor', 'leader') OR manyi_may_write(section_id))"
        out.append(f"CREATE POLICY manyi_insert ON {table} FOR INSERT WITH CHECK {writable}")
        out.append(f"CREATE POLICY manyi_update ON {table} FOR UPDATE USING {writable} WITH CHECK {writable}")
        out.append(f"CREATE POLICY manyi_delete ON {table} FOR DELETE USING ({_ROLE} = 'supervisor')")
    for table in ADMIN_TABLES:
        out.append(
            f"CREATE POLICY manyi_write ON {table} FOR ALL USING ({_ROLE} = 'supervisor') "
            f"WITH CHECK ({_ROLE} = 'supervisor')"
        )
    # Appending to a campaign's chain locks its row (SELECT … FOR NO KEY UPDATE), which
    # needs an UPDATE policy; the check refuses any actual change by others.
    out.append(
        f"CREATE POLICY manyi_lock ON campaign FOR UPDATE USING ({_ROLE} IS NOT NULL) WITH CHECK (false)"
    )
    for table in SHARED_TABLES:
        out.append(
            f"CREATE POLICY manyi_write ON {table} FOR ALL "
            f"USING ({_ROLE} IN ('supervisor', 'leader')) "
            f"WITH CHECK ({_ROLE} IN ('supervisor', 'leader'))"
        )
    # Every writer records the time of its events (the column grant allows nothing else).
    out.append(
        f"CREATE POLICY manyi_clock ON database_info FOR UPDATE USING ({_ROLE} IS NOT NULL) "
        f"WITH CHECK ({_ROLE} IS NOT NULL)"
    )
    return out


RLS_SQL = _policies()
