"""A company's head count as the lead gave it; company_size stays its bucket.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("leads", sa.Column("employees", sa.Integer))


def downgrade() -> None:
    op.drop_column("leads", "employees")
