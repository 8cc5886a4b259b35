"""The audit of admin changes: who changed what, when.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-07
"""

from alembic import op

from leadrelay.db.documents import create_audit_log_table

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_audit_log_table()


def downgrade() -> None:
    op.drop_table("audit_log")
