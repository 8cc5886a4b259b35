"""Subscriptions, the handoffs they filter on, deliveries and their attempts; outbox, inbox and audit log.

Revision ID: 0001
Revises:
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

from leadrelay.db.documents import create_audit_log_table
from leadrelay.db.migrations import create_messaging_tables, drop_messaging_tables

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_messaging_tables()
    create_audit_log_table()
    op.create_table(
        "subscriptions",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("name", sa.String(100), nullable=False, unique=True),
        sa.Column("spec", JSONB, nullable=False),
        sa.Column("state", sa.String(10), nullable=False),
        sa.Column("disabled_reason", sa.String(200)),
        sa.Column("secrets", JSONB, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "handoffs",
        sa.Column("handoff_id", sa.String(64), primary_key=True),
        sa.Column("queue", sa.String(63), nullable=False),
        sa.Column("owner_id", sa.String(100), nullable=False),
        sa.Column("grade", sa.String(10)),
    )
    op.create_table(
        "deliveries",
        sa.Column("id", sa.BigInteger, primary_key=True, autoincrement=True),
        sa.Column("subscription_id", sa.String(36), nullable=False),
        sa.Column("event_id", sa.String(64), nullable=False),
        sa.Column("event_type", sa.String(100), nullable=False),
        sa.Column("lead_id", sa.String(36), nullable=False),
        sa.Column("webhook_id", sa.String(100), nullable=False, unique=True),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("first_attempt_at", sa.DateTime(timezone=True)),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True)),
        sa.Column("lease_until", sa.DateTime(timezone=True)),
        sa.Column("last_status_code", sa.Integer),
        sa.Column("last_latency_ms", sa.Integer),
        sa.Column("last_error", sa.String(200)),
        sa.Column("finished_at", sa.DateTime(timezone=True)),
        sa.UniqueConstraint("subscription_id", "event_id", name="deliveries_one_per_event"),
    )
    op.create_index(
        "deliveries_due", "deliveries", ["next_attempt_at"], postgresql_where=sa.text("status = 'pending'")
    )
    op.create_index("deliveries_of_subscription", "deliveries", ["subscription_id", "id"])
    op.create_table(
        "delivery_attempts",
        sa.Column("id", sa.BigInteger, primary_key=True, autoincrement=True),
        sa.Column("delivery_id", sa.BigInteger, nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status_code", sa.Integer),
        sa.Column("latency_ms", sa.Integer, nullable=False),
        sa.Column("error", sa.String(200)),
        sa.Column("verdict", sa.String(10), nullable=False),
    )
    op.create_index("ix_delivery_attempts_delivery_id", "delivery_attempts", ["delivery_id"])


def downgrade() -> None:
    for table in ("delivery_attempts", "deliveries", "handoffs", "subscriptions", "audit_log"):
        op.drop_table(table)
    drop_messaging_tables()
