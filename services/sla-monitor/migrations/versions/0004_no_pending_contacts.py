"""Contacts reported over HTTP need a known handoff now, so none waits to be announced.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_column("handoffs", "contact_event_pending")


def downgrade() -> None:
    op.add_column(
        "handoffs", sa.Column("contact_event_pending", sa.Boolean, nullable=False, server_default="false")
    )
