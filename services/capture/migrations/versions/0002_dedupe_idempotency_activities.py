"""Identities for dedupe, idempotency keys, activities, lead flags.

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
    op.add_column("leads", sa.Column("disposable_email", sa.Boolean, nullable=False, server_default="false"))
    op.add_column("leads", sa.Column("question_asked", sa.Boolean, nullable=False, server_default="false"))
    op.add_column("leads", sa.Column("updated_at", sa.DateTime(timezone=True)))
    op.create_table(
        "lead_identities",
        sa.Column("identity", sa.String(400), primary_key=True),
        sa.Column("lead_id", sa.String(36), nullable=False, index=True),
        sa.Column("first_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "idempotency_keys",
        sa.Column("key", sa.String(300), primary_key=True),
        sa.Column("request_hash", sa.String(64), nullable=False),
        sa.Column("status_code", sa.Integer),
        sa.Column("response", JSONB),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
    )
    op.create_table(
        "activities",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("lead_id", sa.String(36), nullable=False, index=True),
        sa.Column("kind", sa.String(40), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("properties", JSONB, nullable=False, server_default="{}"),
    )


def downgrade() -> None:
    op.drop_table("activities")
    op.drop_table("idempotency_keys")
    op.drop_table("lead_identities")
    op.drop_column("leads", "updated_at")
    op.drop_column("leads", "question_asked")
    op.drop_column("leads", "disposable_email")
