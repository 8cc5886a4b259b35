"""Scores, outbox and inbox.

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
        "scores",
        sa.Column("lead_id", sa.String(36), primary_key=True),
        sa.Column("score", sa.Integer, nullable=False),
        sa.Column("fit", sa.Integer, nullable=False),
        sa.Column("engagement", sa.Integer, nullable=False),
        sa.Column("grade", sa.String(4), nullable=False),
        sa.Column("stage", sa.String(20), nullable=False),
        sa.Column("reasons", JSONB, nullable=False),
        sa.Column("ruleset_version", sa.String(100), nullable=False),
        sa.Column("source", sa.String(40)),
        sa.Column("times_scored", sa.Integer, nullable=False, server_default="1"),
        sa.Column("scored_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("scores")
    drop_messaging_tables()
