"""The SLA monitor's active policies as routing last heard of them (SlaPoliciesActivated): one row, so a
handoff's deadline is stated by the policy that times its clock.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "sla_policies",
        sa.Column("id", sa.SmallInteger, primary_key=True),
        sa.Column("version", sa.String(100), nullable=False),
        sa.Column("document", JSONB, nullable=False),
        sa.Column("activated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("id = 1", name="sla_policies_one_row"),
    )


def downgrade() -> None:
    op.drop_table("sla_policies")
