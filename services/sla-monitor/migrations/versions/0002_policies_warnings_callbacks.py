"""Policy versions; warnings, callbacks, replaced clocks and capture time on handoff clocks.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "policy_versions",
        sa.Column("version", sa.String(100), primary_key=True),
        sa.Column("document", JSONB, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("active", sa.Boolean, nullable=False, server_default="false"),
        sa.Column("activated_at", sa.DateTime(timezone=True)),
    )
    op.create_index(
        "policy_versions_one_active",
        "policy_versions",
        ["active"],
        unique=True,
        postgresql_where=sa.text("active"),
    )
    op.add_column("handoffs", sa.Column("warn_at", sa.DateTime(timezone=True)))
    op.add_column("handoffs", sa.Column("warned_at", sa.DateTime(timezone=True)))
    op.add_column("handoffs", sa.Column("captured_at", sa.DateTime(timezone=True)))
    op.add_column("handoffs", sa.Column("callback_at", sa.DateTime(timezone=True)))
    op.add_column("handoffs", sa.Column("replaced_at", sa.DateTime(timezone=True)))
    op.create_index(
        "ix_handoffs_open_warn",
        "handoffs",
        ["warn_at"],
        postgresql_where=sa.text("state = 'open' AND warned_at IS NULL AND warn_at IS NOT NULL"),
    )
    op.create_index("ix_handoffs_owner", "handoffs", ["owner_id", "state"])


def downgrade() -> None:
    op.drop_index("ix_handoffs_owner", "handoffs")
    op.drop_index("ix_handoffs_open_warn", "handoffs")
    for column in ("replaced_at", "callback_at", "captured_at", "warned_at", "warn_at"):
        op.drop_column("handoffs", column)
    op.drop_table("policy_versions")
