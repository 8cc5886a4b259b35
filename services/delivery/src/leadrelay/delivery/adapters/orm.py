"""The delivery service's tables."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Column,
    DateTime,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB

from leadrelay.db.documents import audit_log_table
from leadrelay.db.tables import messaging_tables

metadata = MetaData()
outbox, inbox = messaging_tables(metadata)
audit_log = audit_log_table(metadata)

subscriptions = Table(
    "subscriptions",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("name", String(100), nullable=False, unique=True),
    Column("spec", JSONB, nullable=False),  # the SubscriptionSpec as the admin wrote it
    Column("state", String(10), nullable=False),  # active | disabled
    Column("disabled_reason", String(200)),
    # [{"secret": "whsec_...", "expires_at": iso | null}]: every live one signs, so a rotation overlaps
    Column("secrets", JSONB, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

# What filters match later events against: a breach or a rejection names its handoff, not its grade.
handoffs = Table(
    "handoffs",
    metadata,
    Column("handoff_id", String(64), primary_key=True),
    Column("queue", String(63), nullable=False),
    Column("owner_id", String(100), nullable=False),
    Column("grade", String(10)),
    Column("lead_id", String(36)),
    # {"owner": {id, name, email, timezone}, "manager": {...} | null}: whom emails about the handoff go to
    Column("people", JSONB),
    Index("handoffs_of_lead", "lead_id"),
)

deliveries = Table(
    "deliveries",
    metadata,
    Column("id", BigInteger, primary_key=True, autoincrement=True),
    Column("subscription_id", String(36)),  # none: a person's own notification (a rep told of a handoff)
    Column("channel", String(10), nullable=False, server_default="webhook"),  # webhook | slack | email
    Column("recipient", String(320)),  # an email's address
    Column("event_id", String(64), nullable=False),
    Column("event_type", String(100), nullable=False),
    Column("lead_id", String(36), nullable=False),
    Column("webhook_id", String(100), nullable=False, unique=True),  # the same on every attempt
    Column("body", Text, nullable=False),
    Column("status", String(10), nullable=False),  # pending | delivered | failed
    Column("attempts", Integer, nullable=False, server_default="0"),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("first_attempt_at", DateTime(timezone=True)),
    Column("next_attempt_at", DateTime(timezone=True)),
    Column("lease_until", DateTime(timezone=True)),  # a dispatcher is sending it until then
    Column("last_status_code", Integer),
    Column("last_latency_ms", Integer),
    Column("last_error", String(200)),
    Column("finished_at", DateTime(timezone=True)),
    UniqueConstraint("subscription_id", "event_id", name="deliveries_one_per_event"),
    Index("deliveries_due", "next_attempt_at", postgresql_where=text("status = 'pending'")),
    Index("deliveries_of_subscription", "subscription_id", "id"),
)

delivery_attempts = Table(
    "delivery_attempts",
    metadata,
    Column("id", BigInteger, primary_key=True, autoincrement=True),
    Column("delivery_id", BigInteger, nullable=False, index=True),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("status_code", Integer),
    Column("latency_ms", Integer, nullable=False),
    Column("error", String(200)),
    Column("verdict", String(10), nullable=False),
)

# Outcomes a CRM reported over HTTP, by its own id: a repeat emits nothing.
outcome_receipts = Table(
    "outcome_receipts",
    metadata,
    Column("crm_id", String(200), primary_key=True),
    Column("lead_id", String(36), nullable=False),
    Column("event_id", String(64), nullable=False),
    Column("received_at", DateTime(timezone=True), nullable=False),
)
