"""section tags and retirement: roster categories (e.g. 涉企部门) that decide which
requirements apply to an office, and the moment an office was retired from a campaign

``tags`` is a JSON array of strings (sorted, unique; ``[]`` for none); ``retired_at``
is NULL while the office takes part. Both are derived from events too
(``office-add``/``office-edit`` carry the tags, ``office-retire`` the retirement),
so ``audit verify`` can re-derive them.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("section") as batch:
        batch.add_column(sa.Column("tags", sa.Text(), nullable=False, server_default="[]"))
        batch.add_column(sa.Column("retired_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("section") as batch:
        batch.drop_column("retired_at")
        batch.drop_column("tags")
