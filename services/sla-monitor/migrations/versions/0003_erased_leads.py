"""Tombstones of erased leads: their clocks stop and late handoffs about them are ignored.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-07
"""

from leadrelay.db.tombstones import create_erased_leads_table, drop_erased_leads_table

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_erased_leads_table()


def downgrade() -> None:
    drop_erased_leads_table()
