"""Capture's tables."""

from __future__ import annotations

from sqlalchemy import Boolean, Column, DateTime, MetaData, String, Table, Text
from sqlalchemy.dialects.postgresql import JSONB

from leadrelay.db.tables import messaging_tables

metadata = MetaData()
outbox, inbox = messaging_tables(metadata)

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
)
