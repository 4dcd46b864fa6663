"""the database's own row: rehearsal flag and the last real time an event was recorded

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    table = op.create_table(
        "database_info",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("rehearsal", sa.Boolean(), nullable=False),
        sa.Column("last_recorded_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.CheckConstraint("id = 1", name="database_info_one_row"),
    )
    # An existing database was not created as a rehearsal: MANYI_NOW no longer writes to it.
    op.bulk_insert(table, [{"id": 1, "rehearsal": False, "last_recorded_at": None}])


def downgrade() -> None:
    op.drop_table("database_info")
