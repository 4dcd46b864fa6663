"""mail queue index: the next messages to send read in order from an index

``ix_mail_status (status, next_attempt_at)`` gains ``id``: taking the next batch
of one status (``ORDER BY next_attempt_at, id LIMIT 50``) is then an ordered
index scan that stops after 50 rows on both backends, instead of a sort of the
whole backlog per batch.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02
"""

from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_index("ix_mail_status", table_name="mail")
    op.create_index("ix_mail_status", "mail", ["status", "next_attempt_at", "id"])


def downgrade() -> None:
    op.drop_index("ix_mail_status", table_name="mail")
    op.create_index("ix_mail_status", "mail", ["status", "next_attempt_at"])
