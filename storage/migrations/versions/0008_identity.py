"""identity: operators' database logins, disabling, a chain of operator events; on
PostgreSQL row-level security keyed on the operator mapped to session_user

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

import storage.models

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('operator') as batch:
        batch.add_column(sa.Column('db_login', sqlmodel.sql.sqltypes.AutoString(), nullable=True))
        batch.add_column(sa.Column('disabled_at', storage.models.UTCDateTime(timezone=True), nullable=True))
        batch.create_unique_constraint('uq_operator_db_login', ['db_login'])
    op.create_table('operator_event',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('at', storage.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('actor', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('action', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('from_state', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('to_state', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('reason', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('detail', sa.Text(), nullable=False),
    sa.Column('prev_hash', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('hash', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('seq'),
    )
    conn = op.get_bind()
    _chain_existing_operators(conn)
    if conn.dialect.name == "postgresql":
        from storage import identity

        for statement in identity.RLS_SQL:
            conn.exec_driver_sql(statement)


def _chain_existing_operators(conn: sa.engine.Connection) -> None:
    """Operators added before they were chained get a 'user-add' event each, so the
    chain explains every row from here on."""
    from storage import identity

    ts = storage.models.UTCDateTime()
    operator = sa.table('operator', sa.column('id', sa.Integer()), sa.column('name', sa.String()),
                        sa.column('role', sa.String()), sa.column('office', sa.String()),
                        sa.column('created_at', ts), sa.column('created_by', sa.String()))
    rows = conn.execute(sa.select(operator.c.name, operator.c.role, operator.c.office,
                                  operator.c.created_at, operator.c.created_by)
                        .order_by(operator.c.id)).all()
    prev = identity.GENESIS
    table = sa.table('operator_event', sa.column('at', ts), *(sa.column(c, sa.String()) for c in (
        'actor', 'name', 'action', 'from_state', 'to_state', 'reason', 'detail',
        'prev_hash', 'hash')), sa.column('seq', sa.Integer()))
    for seq, (name, role, office, created_at, created_by) in enumerate(rows, start=1):
        at = created_at
        detail = {"office": office, "migrated": True}
        digest = identity.event_hash(seq=seq, at=at, actor=created_by, name=name, action="user-add",
                                     from_state=None, to_state=role, reason=None, detail=detail,
                                     prev=prev)
        op.bulk_insert(table, [{
            'seq': seq, 'at': at, 'actor': created_by, 'name': name, 'action': 'user-add',
            'from_state': None, 'to_state': role, 'reason': None,
            'detail': identity.dumps(detail), 'prev_hash': prev, 'hash': digest}])
        prev = digest


def downgrade() -> None:
    op.drop_table('operator_event')
    with op.batch_alter_table('operator') as batch:
        batch.drop_constraint('uq_operator_db_login', type_='unique')
        batch.drop_column('disabled_at')
        batch.drop_column('db_login')
