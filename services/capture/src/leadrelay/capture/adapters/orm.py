"""Capture's tables."""

from __future__ import annotations

from sqlalchemy import Boolean, Column, DateTime, Integer, MetaData, String, Table, Text, func
from sqlalchemy.dialects.postgresql import JSONB

from leadrelay.db.documents import audit_log_table
from leadrelay.db.tables import messaging_tables

metadata = MetaData()
outbox, inbox = messaging_tables(metadata)
audit_log = audit_log_table(metadata)

leads = Table(
    "leads",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("email", String(320), nullable=False, index=True),
    Column("name", String(200)),
    Column("phone", String(40)),
    Column("company", String(200)),
    Column("title", String(200)),
    Column("company_size", String(40)),
    Column("employees", Integer),
    Column("industry", String(100)),
    Column("country", String(2)),
    Column("message", Text),
    Column("source", String(40), nullable=False),
    Column("form_id", String(100)),
    Column("completeness", String(10), nullable=False),
    Column("utm", JSONB, nullable=False, server_default="{}"),
    Column("consent_marketing", Boolean, nullable=False, server_default="false"),
    Column("consent_policy_version", String(50)),
    Column("captured_at", DateTime(timezone=True), nullable=False),
    Column("disposable_email", Boolean, nullable=False, server_default="false"),
    Column("question_asked", Boolean, nullable=False, server_default="false"),
    Column("updated_at", DateTime(timezone=True)),
    Column("consent_purposes", JSONB, nullable=False, server_default="[]"),
    Column("marketing_opted_out_at", DateTime(timezone=True)),
)

# One row per person (normalised email): concurrent submissions of one person serialise on this key.
lead_identities = Table(
    "lead_identities",
    metadata,
    Column("identity", String(400), primary_key=True),
    Column("lead_id", String(36), nullable=False, index=True),
    Column("first_seen_at", DateTime(timezone=True), nullable=False),
    Column("last_seen_at", DateTime(timezone=True), nullable=False),
)

idempotency_keys = Table(
    "idempotency_keys",
    metadata,
    Column("key", String(300), primary_key=True),
    Column("request_hash", String(64), nullable=False),
    Column("status_code", Integer),
    Column("response", JSONB),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)

activities = Table(
    "activities",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("lead_id", String(36), nullable=False, index=True),
    Column("kind", String(40), nullable=False),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("properties", JSONB, nullable=False, server_default="{}"),
)

# Proof that an erasure happened, with nothing personal in it.
erasures = Table(
    "erasures",
    metadata,
    Column("lead_id", String(36), primary_key=True),
    Column("erased_at", DateTime(timezone=True), nullable=False),
)

forms = Table(
    "forms",
    metadata,
    Column("id", String(100), primary_key=True),
    Column("config", JSONB, nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)
