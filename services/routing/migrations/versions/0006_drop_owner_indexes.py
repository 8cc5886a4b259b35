"""Drop handoffs' owner indexes: 0003 and 0004 each made one on (owner_id, state) and one on (owner_id,
assigned_at), and since 0005 a rep's load comes from counters, so no query reads handoffs by owner. Every
handoff written and every state change kept four indexes that nothing used.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-04
"""

from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

OWNER_INDEXES = {
    "handoffs_owner_state": ["owner_id", "state"],
    "handoffs_owner_assigned": ["owner_id", "assigned_at"],
    "ix_handoffs_owner_state": ["owner_id", "state"],
    "ix_handoffs_owner_assigned": ["owner_id", "assigned_at"],
}


def upgrade() -> None:
    for name in OWNER_INDEXES:
        op.drop_index(name, "handoffs")


def downgrade() -> None:
    for name, columns in OWNER_INDEXES.items():
        op.create_index(name, "handoffs", columns)
