"""Rule sets and re-score jobs in the database, served models' feature maps, scores' model and checklist
columns, and the outcomes that retraining learns from.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-22
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "rulesets",
        sa.Column("version", sa.String(100), primary_key=True),
        sa.Column("document", JSONB, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("active", sa.Boolean, nullable=False, server_default="false"),
        sa.Column("activated_at", sa.DateTime(timezone=True)),
    )
    # at most one active rule set
    op.create_index(
        "rulesets_one_active", "rulesets", ["active"], unique=True, postgresql_where=sa.text("active")
    )
    op.create_table(
        "rescore_jobs",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("ruleset_version", sa.String(100), nullable=False),
        sa.Column("state", sa.String(20), nullable=False),
        sa.Column("total", sa.Integer, nullable=False, server_default="0"),
        sa.Column("done", sa.Integer, nullable=False, server_default="0"),
        sa.Column("changed", sa.Integer, nullable=False, server_default="0"),
        sa.Column("cursor", sa.String(36)),
        sa.Column("error", sa.Text),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True)),
    )
    op.add_column("models", sa.Column("feature_map", JSONB))
    op.add_column("scores", sa.Column("probability", sa.Float))
    op.add_column("scores", sa.Column("model_version", sa.String(64)))
    op.add_column("scores", sa.Column("qualification", JSONB, nullable=False, server_default="[]"))
    op.add_column("scores", sa.Column("sql_at", sa.DateTime(timezone=True)))
    op.create_table(
        "outcomes",
        sa.Column("lead_id", sa.String(36), primary_key=True),
        sa.Column("outcome", sa.String(20), nullable=False),
        sa.Column("value", sa.Float),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        # the lead's model columns as known before it reached sales (see training/outcomes.py)
        sa.Column("features", JSONB, nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("outcomes_recorded_at", "outcomes", ["recorded_at"])


def downgrade() -> None:
    op.drop_table("outcomes")
    for column in ("sql_at", "qualification", "model_version", "probability"):
        op.drop_column("scores", column)
    op.drop_column("models", "feature_map")
    op.drop_table("rescore_jobs")
    op.drop_table("rulesets")
