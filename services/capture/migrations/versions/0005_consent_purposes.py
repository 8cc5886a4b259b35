"""Consent purposes stored with the lead.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-22
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("leads", sa.Column("consent_purposes", JSONB, nullable=False, server_default="[]"))


def downgrade() -> None:
    op.drop_column("leads", "consent_purposes")
