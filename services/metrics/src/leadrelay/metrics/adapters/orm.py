"""The metrics service's tables."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Column,
    Date,
    DateTime,
    MetaData,
    Numeric,
    PrimaryKeyConstraint,
    String,
    Table,
)
from sqlalchemy.dialects.postgresql import JSONB

from leadrelay.db.documents import audit_log_table
from leadrelay.db.tables import messaging_tables

metadata = MetaData()
outbox, inbox = messaging_tables(metadata)
audit_log = audit_log_table(metadata)

funnel_counts = Table(
    "funnel_counts",
    metadata,
    Column("day", Date, nullable=False),
    Column("step", String(40), nullable=False),
    Column("stage", String(20), nullable=False),
    Column("source", String(40), nullable=False),
    Column("queue", String(63), nullable=False),
    Column("count", BigInteger, nullable=False),
    PrimaryKeyConstraint("day", "step", "stage", "source", "queue"),
)

lead_sources = Table(
    "lead_sources",
    metadata,
    Column("lead_id", String(36), primary_key=True),
    Column("source", String(40), nullable=False),
)

# Each lead's journey: first time at each step (no personal data: ids, dimensions and times).
lead_timeline = Table(
    "lead_timeline",
    metadata,
    Column("lead_id", String(36), primary_key=True),
    Column("source", String(40), nullable=False, server_default=""),
    Column("campaign", String(100), nullable=False, server_default=""),
    Column("form", String(100), nullable=False, server_default=""),
    Column("queue", String(63), nullable=False, server_default=""),
    Column("owner", String(100), nullable=False, server_default=""),
    Column("captured_at", DateTime(timezone=True), index=True),
    Column("mql_at", DateTime(timezone=True)),
    Column("sql_at", DateTime(timezone=True)),
    Column("handed_off_at", DateTime(timezone=True)),
    Column("contacted_at", DateTime(timezone=True)),
    Column("breached_at", DateTime(timezone=True)),
    Column("rejected_at", DateTime(timezone=True)),
    Column("outcome", String(20)),
    Column("outcome_at", DateTime(timezone=True)),
    Column("value", Numeric(14, 2)),
)

spend = Table(
    "spend",
    metadata,
    Column("id", BigInteger, primary_key=True, autoincrement=True),
    Column("source", String(40), nullable=False),
    Column("campaign", String(100), nullable=False, server_default=""),
    Column("period_start", Date, nullable=False),
    Column("period_end", Date, nullable=False),
    Column("amount", Numeric(14, 2), nullable=False),
    Column("currency", String(3), nullable=False),
    Column("recorded_at", DateTime(timezone=True), nullable=False),
)

reasons = Table(
    "reasons",
    metadata,
    Column("day", Date, nullable=False),
    Column("kind", String(20), nullable=False),
    Column("reason", String(100), nullable=False),
    Column("count", BigInteger, nullable=False),
    PrimaryKeyConstraint("day", "kind", "reason"),
)

# The latest handoffs and breaches for the dashboard's live feed: queue, owner, grade, times; no lead data.
feed = Table(
    "feed",
    metadata,
    Column("id", BigInteger, primary_key=True, autoincrement=True),
    Column("event_id", String(200), nullable=False, unique=True),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("kind", String(20), nullable=False),
    Column("detail", JSONB, nullable=False),
)
