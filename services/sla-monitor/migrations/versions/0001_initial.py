"""Handoff clocks, outbox and inbox.

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
        "handoffs",
        sa.Column("handoff_id", sa.String(36), primary_key=True),
        sa.Column("lead_id", sa.String(36), index=True),
        sa.Column("owner_id", sa.String(100)),
        sa.Column("queue", sa.String(63)),
        sa.Column("attempt", sa.Integer, nullable=False, server_default="1"),
        sa.Column("grade", sa.String(4)),
        sa.Column("policy", sa.String(100)),
        sa.Column("due_at", sa.DateTime(timezone=True)),
        sa.Column("state", sa.String(12), nullable=False),
        sa.Column("handed_off_at", sa.DateTime(timezone=True)),
        sa.Column("contacted_at", sa.DateTime(timezone=True)),
        sa.Column("contact_channel", sa.String(40)),
        sa.Column("breached_at", sa.DateTime(timezone=True)),
        sa.Column("contact_event_pending", sa.Boolean, nullable=False, server_default="false"),
    )
    op.create_index(
        "ix_handoffs_open_due", "handoffs", ["due_at"], postgresql_where=sa.text("state = 'open'")
    )


def downgrade() -> None:
    op.drop_table("handoffs")
    drop_messaging_tables()
