"""Each lead's journey (for conversion, speed to lead, SLA, cycle length, value), marketing spend, and the
reasons leads were lost or rejected.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "lead_timeline",
        sa.Column("lead_id", sa.String(36), primary_key=True),
        sa.Column("source", sa.String(40), nullable=False, server_default=""),
        sa.Column("campaign", sa.String(100), nullable=False, server_default=""),
        sa.Column("form", sa.String(100), nullable=False, server_default=""),
        sa.Column("queue", sa.String(63), nullable=False, server_default=""),
        sa.Column("owner", sa.String(100), nullable=False, server_default=""),
        sa.Column("captured_at", sa.DateTime(timezone=True)),
        sa.Column("mql_at", sa.DateTime(timezone=True)),
        sa.Column("sql_at", sa.DateTime(timezone=True)),
        sa.Column("handed_off_at", sa.DateTime(timezone=True)),
        sa.Column("contacted_at", sa.DateTime(timezone=True)),
        sa.Column("breached_at", sa.DateTime(timezone=True)),
        sa.Column("rejected_at", sa.DateTime(timezone=True)),
        sa.Column("outcome", sa.String(20)),
        sa.Column("outcome_at", sa.DateTime(timezone=True)),
        sa.Column("value", sa.Numeric(14, 2)),
    )
    op.create_index("lead_timeline_captured_at", "lead_timeline", ["captured_at"])
    op.create_table(
        "spend",
        sa.Column("id", sa.BigInteger, primary_key=True, autoincrement=True),
        sa.Column("source", sa.String(40), nullable=False),
        sa.Column("campaign", sa.String(100), nullable=False, server_default=""),
        sa.Column("period_start", sa.Date, nullable=False),
        sa.Column("period_end", sa.Date, nullable=False),
        sa.Column("amount", sa.Numeric(14, 2), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "reasons",
        sa.Column("day", sa.Date, nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("reason", sa.String(100), nullable=False),
        sa.Column("count", sa.BigInteger, nullable=False),
        sa.PrimaryKeyConstraint("day", "kind", "reason"),
    )


def downgrade() -> None:
    op.drop_table("reasons")
    op.drop_table("spend")
    op.drop_table("lead_timeline")
