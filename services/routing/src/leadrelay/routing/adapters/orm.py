"""Routing's tables."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    DateTime,
    Integer,
    MetaData,
    SmallInteger,
    String,
    Table,
    UniqueConstraint,
)
from sqlalchemy.dialects.postgresql import JSONB

from leadrelay.db.documents import audit_log_table, versioned_documents_table
from leadrelay.db.tables import messaging_tables
from leadrelay.db.tombstones import erased_leads_table

metadata = MetaData()
outbox, inbox = messaging_tables(metadata)
erased_leads = erased_leads_table(metadata)

decisions = Table(
    "decisions",
    metadata,
    Column("trace_id", String(36), primary_key=True),
    Column("lead_id", String(36), nullable=False, index=True),
    Column("handoff_id", String(36), unique=True),
    Column("attempt", Integer, nullable=False),
    Column("handed_off", Boolean, nullable=False),
    Column("queue", String(63)),
    Column("owner_id", String(100)),
    Column("rule", String(200)),
    Column("strategy", String(40)),
    Column("stage", String(20), nullable=False),
    Column("grade", String(4)),
    Column("score", Integer),
    Column("due_at", DateTime(timezone=True)),
    Column("trace", JSONB, nullable=False),
    Column("decided_at", DateTime(timezone=True), nullable=False),
)

config_versions = versioned_documents_table(metadata, "config_versions")

# The SLA monitor's active policies, as last announced (one row).
sla_policies = Table(
    "sla_policies",
    metadata,
    Column("id", SmallInteger, primary_key=True),
    Column("version", String(100), nullable=False),
    Column("document", JSONB, nullable=False),
    Column("activated_at", DateTime(timezone=True), nullable=False),
    CheckConstraint("id = 1", name="sla_policies_one_row"),
)
audit_log = audit_log_table(metadata)

# open -> accepted -> (contacted | closed); open/accepted -> rejected | reassigned
handoffs = Table(
    "handoffs",
    metadata,
    Column("handoff_id", String(36), primary_key=True),
    Column("lead_id", String(36), nullable=False),
    Column("attempt", Integer, nullable=False),
    Column("queue", String(63), nullable=False),
    Column("owner_id", String(100), nullable=False),
    Column("state", String(20), nullable=False),
    Column("assigned_at", DateTime(timezone=True), nullable=False),
    Column("closed_at", DateTime(timezone=True)),
    Column("reason", String(500)),
    Column("trace_id", String(36), nullable=False),
    UniqueConstraint("lead_id", "attempt", name="handoffs_one_per_attempt"),
)

queue_state = Table(
    "queue_state",
    metadata,
    Column("queue", String(63), primary_key=True),
    Column("cursor", Integer, nullable=False, server_default="0"),
    Column("credits", JSONB, nullable=False, server_default="{}"),
)

rep_locks = Table("rep_locks", metadata, Column("rep_id", String(100), primary_key=True))

accounts = Table(
    "accounts",
    metadata,
    Column("id", BigInteger, primary_key=True, autoincrement=True),
    Column("name", String(200), nullable=False),
    Column("name_key", String(200), nullable=False, unique=True),
    Column("domain", String(253), unique=True),
    Column("owner_id", String(100), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

routed_leads = Table(
    "routed_leads",
    metadata,
    Column("lead_id", String(36), primary_key=True),
    Column("scored", JSONB, nullable=False),
    Column("person_key", String(64), index=True),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)
