"""Outcomes a CRM reported over HTTP, by its own id: each emits one LeadOutcome however often it is sent.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "outcome_receipts",
        sa.Column("crm_id", sa.String(200), primary_key=True),
        sa.Column("lead_id", sa.String(36), nullable=False),
        sa.Column("event_id", sa.String(64), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("outcome_receipts")
