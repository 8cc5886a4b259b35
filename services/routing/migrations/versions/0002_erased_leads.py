"""Tombstones of erased leads, so late events about them are ignored.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22
"""

from leadrelay.db.tombstones import create_erased_leads_table, drop_erased_leads_table

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_erased_leads_table()


def downgrade() -> None:
    drop_erased_leads_table()
