"""When a person withdrew marketing consent, so that a public post cannot give it back.

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
    op.add_column("leads", sa.Column("marketing_opted_out_at", sa.DateTime(timezone=True)))


def downgrade() -> None:
    op.drop_column("leads", "marketing_opted_out_at")
