"""Funnel counts, lead sources, outbox and inbox.

Revision ID: 0001
Revises:
Create Date: 2026-11-22
"""

import sqlalchemy as sa
from alembic import op

from leadrelay.db.migrations import create_messaging_tables, drop_messaging_tables

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_messaging_tables()
    op.create_table(
        "funnel_counts",
        sa.Column("day", sa.Date, nullable=False),
        sa.Column("step", sa.String(40), nullable=False),
        sa.Column("stage", sa.String(20), nullable=False),
        sa.Column("source", sa.String(40), nullable=False),
        sa.Column("queue", sa.String(63), nullable=False),
        sa.Column("count", sa.BigInteger, nullable=False),
        sa.PrimaryKeyConstraint("day", "step", "stage", "source", "queue"),
    )
    op.create_table(
        "lead_sources",
        sa.Column("lead_id", sa.String(36), primary_key=True),
        sa.Column("source", sa.String(40), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("lead_sources")
    op.drop_table("funnel_counts")
    drop_messaging_tables()
