"""Leads, outbox and inbox.

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
        "leads",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("email", sa.String(320), nullable=False, index=True),
        sa.Column("name", sa.String(200)),
        sa.Column("phone", sa.String(40)),
        sa.Column("company", sa.String(200)),
        sa.Column("title", sa.String(200)),
        sa.Column("company_size", sa.String(40)),
        sa.Column("industry", sa.String(100)),
        sa.Column("country", sa.String(2)),
        sa.Column("message", sa.Text),
        sa.Column("source", sa.String(40), nullable=False),
        sa.Column("form_id", sa.String(100)),
        sa.Column("completeness", sa.String(10), nullable=False),
        sa.Column("utm", JSONB, nullable=False, server_default="{}"),
        sa.Column("consent_marketing", sa.Boolean, nullable=False, server_default="false"),
        sa.Column("consent_policy_version", sa.String(50)),
        sa.Column("captured_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("leads")
    drop_messaging_tables()
