"""Scoring's tables."""

from __future__ import annotations

from sqlalchemy import Boolean, Column, DateTime, Float, Integer, LargeBinary, MetaData, String, Table, Text
from sqlalchemy.dialects.postgresql import JSONB

from leadrelay.db.documents import audit_log_table, versioned_documents_table
from leadrelay.db.tables import messaging_tables
from leadrelay.db.tombstones import erased_leads_table

metadata = MetaData()
outbox, inbox = messaging_tables(metadata)
erased_leads = erased_leads_table(metadata)

scores = Table(
    "scores",
    metadata,
    Column("lead_id", String(36), primary_key=True),
    Column("score", Integer, nullable=False),
    Column("fit", Integer, nullable=False),
    Column("engagement", Integer, nullable=False),
    Column("grade", String(4), nullable=False),
    Column("stage", String(20), nullable=False),
    Column("reasons", JSONB, nullable=False),
    Column("ruleset_version", String(100), nullable=False),
    Column("source", String(40)),
    Column("times_scored", Integer, nullable=False, server_default="1"),
    Column("scored_at", DateTime(timezone=True), nullable=False),
    Column("probability", Float),
    Column("model_version", String(64)),
    Column("qualification", JSONB, nullable=False, server_default="[]"),
    Column(
        "sql_at", DateTime(timezone=True)
    ),  # when the lead first became sql: outcomes learn from before it
)

models = Table(
    "models",
    metadata,
    Column("version", String(64), primary_key=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("active", Boolean, nullable=False, server_default="false"),
    Column("target", String(200), nullable=False),
    Column("features", JSONB, nullable=False),
    Column("metrics", JSONB, nullable=False),
    Column("training", JSONB, nullable=False),
    Column("leaky_columns", JSONB, nullable=False, server_default="[]"),
    Column("artifact", LargeBinary, nullable=False),
    Column("feature_map", JSONB),  # how live leads become the model's columns; None: cannot be served
)

rulesets = versioned_documents_table(metadata, "rulesets")
audit_log = audit_log_table(metadata)

rescore_jobs = Table(
    "rescore_jobs",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("ruleset_version", String(100), nullable=False),
    Column("state", String(20), nullable=False),
    Column("total", Integer, nullable=False, server_default="0"),
    Column("done", Integer, nullable=False, server_default="0"),
    Column("changed", Integer, nullable=False, server_default="0"),
    Column("cursor", String(36)),
    Column("error", Text),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("finished_at", DateTime(timezone=True)),
)

outcomes = Table(
    "outcomes",
    metadata,
    Column("lead_id", String(36), primary_key=True),
    Column("outcome", String(20), nullable=False),
    Column("value", Float),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("features", JSONB, nullable=False),
    Column("recorded_at", DateTime(timezone=True), nullable=False, index=True),
)

# The lead as last captured (it holds contact data: erasure deletes it).
lead_facts = Table(
    "lead_facts",
    metadata,
    Column("lead_id", String(36), primary_key=True),
    Column("facts", JSONB, nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

lead_activities = Table(
    "lead_activities",
    metadata,
    Column("event_id", String(200), primary_key=True),
    Column("lead_id", String(36), nullable=False, index=True),
    Column("kind", String(40), nullable=False),
    Column("at", DateTime(timezone=True), nullable=False),
)
