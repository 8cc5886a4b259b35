"""Email: deliveries to a person (no subscription: a rep told of their handoff), and who a handoff's people are.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.alter_column("deliveries", "subscription_id", nullable=True)
    op.add_column("deliveries", sa.Column("channel", sa.String(10), nullable=False, server_default="webhook"))
    op.add_column("deliveries", sa.Column("recipient", sa.String(320)))
    op.add_column("handoffs", sa.Column("lead_id", sa.String(36)))
    op.add_column("handoffs", sa.Column("people", JSONB))
    op.create_index("handoffs_of_lead", "handoffs", ["lead_id"])


def downgrade() -> None:
    op.drop_index("handoffs_of_lead", "handoffs")
    op.drop_column("handoffs", "people")
    op.drop_column("handoffs", "lead_id")
    op.drop_column("deliveries", "recipient")
    op.drop_column("deliveries", "channel")
    op.execute("DELETE FROM deliveries WHERE subscription_id IS NULL")
    op.alter_column("deliveries", "subscription_id", nullable=False)
