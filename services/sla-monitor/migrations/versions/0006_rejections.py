"""A handoff the rep rejected: its clock stops (neither a contact nor a breach).

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("handoffs", sa.Column("rejected_at", sa.DateTime(timezone=True)))


def downgrade() -> None:
    op.execute("UPDATE handoffs SET state = 'open' WHERE state = 'rejected'")
    op.drop_column("handoffs", "rejected_at")
