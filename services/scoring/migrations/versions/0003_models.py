"""Model registry.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "models",
        sa.Column("version", sa.String(64), primary_key=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.Column("active", sa.Boolean, nullable=False, server_default="false"),
        sa.Column("target", sa.String(200), nullable=False),
        sa.Column("features", JSONB, nullable=False),
        sa.Column("metrics", JSONB, nullable=False),
        sa.Column("training", JSONB, nullable=False),
        sa.Column("leaky_columns", JSONB, nullable=False, server_default="[]"),
        sa.Column("artifact", sa.LargeBinary, nullable=False),
    )
    # At most one active model.
    op.create_index("ux_models_active", "models", ["active"], unique=True, postgresql_where=sa.text("active"))


def downgrade() -> None:
    op.drop_table("models")
