"""The audit of admin changes: who added or activated which version, and every other change an admin made.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-07
"""

from alembic import op

from leadrelay.db.documents import create_audit_log_table

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_audit_log_table()


def downgrade() -> None:
    op.drop_table("audit_log")
