"""The audit of admin changes: who changed what, when.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-07
"""

from alembic import op

from leadrelay.db.documents import create_audit_log_table

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_audit_log_table()


def downgrade() -> None:
    op.drop_table("audit_log")
