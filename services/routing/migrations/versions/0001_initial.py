"""Decisions, round-robin cursors, outbox and inbox.

Revision ID: 0001
Revises:
Create Date: 2026-11-22
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

from leadrelay.db.migrations import create_messaging_tables, drop_messaging_tables

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_messaging_tables()
    op.create_table(
        "decisions",
        sa.Column("trace_id", sa.String(36), primary_key=True),
        sa.Column("lead_id", sa.String(36), nullable=False, index=True),
        sa.Column("handoff_id", sa.String(36), unique=True),
        sa.Column("attempt", sa.Integer, nullable=False),
        sa.Column("handed_off", sa.Boolean, nullable=False),
        sa.Column("queue", sa.String(63)),
        sa.Column("owner_id", sa.String(100)),
        sa.Column("rule", sa.String(200)),
        sa.Column("strategy", sa.String(40)),
        sa.Column("stage", sa.String(20), nullable=False),
        sa.Column("grade", sa.String(4)),
        sa.Column("score", sa.Integer),
        sa.Column("due_at", sa.DateTime(timezone=True)),
        sa.Column("trace", JSONB, nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "round_robin_cursors",
        sa.Column("queue", sa.String(63), primary_key=True),
        sa.Column("position", sa.Integer, nullable=False, server_default="0"),
    )


def downgrade() -> None:
    op.drop_table("round_robin_cursors")
    op.drop_table("decisions")
    drop_messaging_tables()
