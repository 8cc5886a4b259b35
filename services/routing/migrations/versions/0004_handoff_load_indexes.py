"""Indexes for a rep's load (open handoffs, handoffs assigned today): without them every decision scanned the
whole handoffs table, so routing slowed down as handoffs accumulated.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-22
"""

from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Not partial: the state list arrives as bound parameters, which a generic plan cannot match to a predicate.
    op.create_index("ix_handoffs_owner_state", "handoffs", ["owner_id", "state"])
    op.create_index("ix_handoffs_owner_assigned", "handoffs", ["owner_id", "assigned_at"])


def downgrade() -> None:
    op.drop_index("ix_handoffs_owner_assigned", "handoffs")
    op.drop_index("ix_handoffs_owner_state", "handoffs")
