"""The metrics service's tables."""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, Date, MetaData, PrimaryKeyConstraint, String, Table

from leadrelay.db.tables import messaging_tables

metadata = MetaData()
outbox, inbox = messaging_tables(metadata)

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
