"""What scoring knows of each lead (to re-score on activity) and the activities themselves.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-22
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "lead_facts",
        sa.Column("lead_id", sa.String(36), primary_key=True),
        sa.Column("facts", JSONB, nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "lead_activities",
        sa.Column("event_id", sa.String(200), primary_key=True),
        sa.Column("lead_id", sa.String(36), nullable=False, index=True),
        sa.Column("kind", sa.String(40), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("lead_activities")
    op.drop_table("lead_facts")
