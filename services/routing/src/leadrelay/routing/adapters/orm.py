"""Routing's tables."""

from __future__ import annotations

from sqlalchemy import Boolean, Column, DateTime, Integer, MetaData, String, Table
from sqlalchemy.dialects.postgresql import JSONB

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

round_robin_cursors = Table(
    "round_robin_cursors",
    metadata,
    Column("queue", String(63), primary_key=True),
    Column("position", Integer, nullable=False, server_default="0"),
)
