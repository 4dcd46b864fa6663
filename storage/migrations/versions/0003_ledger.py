"""rectification ledger, inspections and raw scores

Revision ID: 0003
Revises: 0001
Create Date: 2026-11-26
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    ts = sa.DateTime(timezone=True)
    op.create_table(
        "inspection",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("section_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(), nullable=False),
        sa.Column("on", sa.Date(), nullable=False),
        sa.Column("finding", sa.Text(), nullable=False),
        sa.Column("actor", sa.String(), nullable=False),
        sa.Column("at", ts, nullable=False),
        sa.ForeignKeyConstraint(["campaign_id"], ["campaign.id"]),
        sa.ForeignKeyConstraint(["section_id"], ["section.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_inspection_campaign_section", "inspection", ["campaign_id", "section_id"])
    op.create_table(
        "rectification_item",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("section_id", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("due", sa.Date(), nullable=True),
        sa.Column("status", sa.String(), nullable=False),
        sa.Column("inspection_id", sa.Integer(), nullable=True),
        sa.Column("evidence_sha256", sa.String(), nullable=True),
        sa.Column("evidence_filename", sa.String(), nullable=True),
        sa.Column("note", sa.String(), nullable=True),
        sa.Column("return_reason", sa.String(), nullable=True),
        sa.Column("created_at", ts, nullable=False),
        sa.Column("created_by", sa.String(), nullable=False),
        sa.Column("updated_at", ts, nullable=False),
        sa.Column("updated_by", sa.String(), nullable=False),
        sa.Column("done_at", ts, nullable=True),
        sa.Column("confirmed_at", ts, nullable=True),
        sa.ForeignKeyConstraint(["campaign_id"], ["campaign.id"]),
        sa.ForeignKeyConstraint(["section_id"], ["section.id"]),
        sa.ForeignKeyConstraint(["inspection_id"], ["inspection.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_item_campaign_section", "rectification_item", ["campaign_id", "section_id", "status"])
    op.create_table(
        "score_entry",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("section_id", sa.Integer(), nullable=False),
        sa.Column("grp", sa.String(), nullable=False),
        sa.Column("scorer", sa.String(), nullable=True),
        sa.Column("hundredths", sa.Integer(), nullable=True),
        sa.Column("vote", sa.String(), nullable=True),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("actor", sa.String(), nullable=False),
        sa.Column("at", ts, nullable=False),
        sa.ForeignKeyConstraint(["campaign_id"], ["campaign.id"]),
        sa.ForeignKeyConstraint(["section_id"], ["section.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_score_campaign_section", "score_entry", ["campaign_id", "section_id", "grp"])


def downgrade() -> None:
    op.drop_index("ix_score_campaign_section", "score_entry")
    op.drop_table("score_entry")
    op.drop_index("ix_item_campaign_section", "rectification_item")
    op.drop_table("rectification_item")
    op.drop_index("ix_inspection_campaign_section", "inspection")
    op.drop_table("inspection")
