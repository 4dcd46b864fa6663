"""identity: operators' database logins, disabling, a chain of operator events; on
PostgreSQL row-level security keyed on the operator mapped to session_user

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02
"""

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

# The chain's hash format is part of the stored data's contract (audit verify recomputes it
# the same way forever), so this data migration uses it; it imports no table model.
from storage import audit

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("operator") as batch:
        batch.add_column(sa.Column("db_login", sa.String(), nullable=True))
        batch.add_column(sa.Column("disabled_at", sa.DateTime(timezone=True), nullable=True))
        batch.create_unique_constraint("uq_operator_db_login", ["db_login"])
    op.create_table(
        "operator_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(), nullable=False),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("action", sa.String(), nullable=False),
        sa.Column("from_state", sa.String(), nullable=True),
        sa.Column("to_state", sa.String(), nullable=True),
        sa.Column("reason", sa.String(), nullable=True),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.Column("prev_hash", sa.String(), nullable=False),
        sa.Column("hash", sa.String(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("seq"),
    )
    conn = op.get_bind()
    _chain_existing_operators(conn)
    if conn.dialect.name == "postgresql":
        for statement in _policies():
            conn.exec_driver_sql(statement)


def _chain_existing_operators(conn: sa.engine.Connection) -> None:
    """Operators added before they were chained get a 'user-add' event each, so the
    chain explains every row from here on."""
    ts = _UTCDateTime()
    operator = sa.table(
        "operator",
        sa.column("id", sa.Integer()),
        sa.column("name", sa.String()),
        sa.column("role", sa.String()),
        sa.column("office", sa.String()),
        sa.column("created_at", ts),
        sa.column("created_by", sa.String()),
    )
    rows = conn.execute(
        sa.select(
            operator.c.name, operator.c.role, operator.c.office, operator.c.created_at, operator.c.created_by
        ).order_by(operator.c.id)
    ).all()
    prev = audit.GENESIS
    table = sa.table(
        "operator_event",
        sa.column("at", ts),
        *(
            sa.column(c, sa.String())
            for c in (
                "actor",
                "name",
                "action",
                "from_state",
                "to_state",
                "reason",
                "detail",
                "prev_hash",
                "hash",
            )
        ),
        sa.column("seq", sa.Integer()),
    )
    for seq, (name, role, office, created_at, created_by) in enumerate(rows, start=1):
        at = created_at
        detail = {"office": office, "migrated": True}
        digest = audit.digest(
            audit.canonical(
                campaign="(operators)",
                seq=seq,
                at=at,
                actor=created_by,
                office=name,
                action="user-add",
                from_state=None,
                to_state=role,
                reason=None,
                detail=detail,
                prev=prev,
            )
        )
        op.bulk_insert(
            table,
            [
                {
                    "seq": seq,
                    "at": at,
                    "actor": created_by,
                    "name": name,
                    "action": "user-add",
                    "from_state": None,
                    "to_state": role,
                    "reason": None,
                    "detail": audit.dumps(detail),
                    "prev_hash": prev,
                    "hash": digest,
                }
            ],
        )
        prev = digest


def downgrade() -> None:
    op.drop_table("operator_event")
    with op.batch_alter_table("operator") as batch:
        batch.drop_constraint("uq_operator_db_login", type_="unique")
        batch.drop_column("disabled_at")
        batch.drop_column("db_login")


class _UTCDateTime(sa.TypeDecorator[datetime]):
    """storage.models.UTCDateTime as of this revision: UTC in, zone-aware out."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: object) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: object) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


# -- row-level security as of this revision ---------------------------------------------
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
    """The row-level security of revision 0008, frozen here (later tables get theirs in
    their own revision)."""
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
