"""Versioned configuration with an audit log, handoffs with their state, queue state, accounts, and what
routing keeps of each lead to escalate it.

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
        "config_versions",
        sa.Column("version", sa.String(100), primary_key=True),
        sa.Column("document", JSONB, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("active", sa.Boolean, nullable=False, server_default="false"),
        sa.Column("activated_at", sa.DateTime(timezone=True)),
    )
    op.create_index(
        "config_versions_one_active",
        "config_versions",
        ["active"],
        unique=True,
        postgresql_where=sa.text("active"),
    )
    op.create_table(
        "audit_log",
        sa.Column("id", sa.BigInteger, primary_key=True, autoincrement=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(100), nullable=False),
        sa.Column("action", sa.String(40), nullable=False),
        sa.Column("subject", sa.String(200)),
        sa.Column("detail", JSONB, nullable=False, server_default="{}"),
    )
    op.create_table(
        "handoffs",
        sa.Column("handoff_id", sa.String(36), primary_key=True),
        sa.Column("lead_id", sa.String(36), nullable=False),
        sa.Column("attempt", sa.Integer, nullable=False),
        sa.Column("queue", sa.String(63), nullable=False),
        sa.Column("owner_id", sa.String(100), nullable=False),
        sa.Column("state", sa.String(20), nullable=False),
        sa.Column("assigned_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("closed_at", sa.DateTime(timezone=True)),
        sa.Column("reason", sa.String(500)),
        sa.Column("trace_id", sa.String(36), nullable=False),
        sa.UniqueConstraint("lead_id", "attempt", name="handoffs_one_per_attempt"),
    )
    op.create_index("handoffs_owner_state", "handoffs", ["owner_id", "state"])
    op.create_index("handoffs_owner_assigned", "handoffs", ["owner_id", "assigned_at"])
    op.create_table(
        "queue_state",
        sa.Column("queue", sa.String(63), primary_key=True),
        sa.Column("cursor", sa.Integer, nullable=False, server_default="0"),
        sa.Column("credits", JSONB, nullable=False, server_default="{}"),
    )
    op.create_table("rep_locks", sa.Column("rep_id", sa.String(100), primary_key=True))
    op.create_table(
        "accounts",
        sa.Column("id", sa.BigInteger, primary_key=True, autoincrement=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("name_key", sa.String(200), nullable=False, unique=True),
        sa.Column("domain", sa.String(253), unique=True),
        sa.Column("owner_id", sa.String(100), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "routed_leads",
        sa.Column("lead_id", sa.String(36), primary_key=True),
        sa.Column("scored", JSONB, nullable=False),  # the LeadScored data: contact data, erased with the lead
        sa.Column("person_key", sa.String(64), index=True),  # sha256 of the email: a returning person
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.drop_table("round_robin_cursors")


def downgrade() -> None:
    op.create_table(
        "round_robin_cursors",
        sa.Column("queue", sa.String(63), primary_key=True),
        sa.Column("position", sa.Integer, nullable=False, server_default="0"),
    )
    for table in (
        "routed_leads",
        "accounts",
        "rep_locks",
        "queue_state",
        "handoffs",
        "audit_log",
        "config_versions",
    ):
        op.drop_table(table)
