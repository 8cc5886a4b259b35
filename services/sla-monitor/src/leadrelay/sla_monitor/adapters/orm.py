"""The SLA monitor's tables."""

from __future__ import annotations

from sqlalchemy import Column, DateTime, Index, Integer, MetaData, String, Table

from leadrelay.db.documents import audit_log_table, versioned_documents_table
from leadrelay.db.tables import messaging_tables
from leadrelay.db.tombstones import erased_leads_table

metadata = MetaData()
outbox, inbox = messaging_tables(metadata)
audit_log = audit_log_table(metadata)
policy_versions = versioned_documents_table(metadata, "policy_versions")
erased_leads = erased_leads_table(metadata)

# open -> contacted | breached | replaced (a reassignment's new attempt took over) | erased (the person asked to
# be forgotten: the clock stops); breached -> contacted late

handoffs = Table(
    "handoffs",
    metadata,
    Column("handoff_id", String(36), primary_key=True),
    Column("lead_id", String(36), index=True),  # unknown while a contact waits for its handoff
    Column("owner_id", String(100)),
    Column("queue", String(63)),
    Column("attempt", Integer, nullable=False, server_default="1"),
    Column("grade", String(4)),
    Column("policy", String(100)),
    Column("due_at", DateTime(timezone=True)),
    Column("state", String(12), nullable=False),
    Column("handed_off_at", DateTime(timezone=True)),
    Column("contacted_at", DateTime(timezone=True)),
    Column("contact_channel", String(40)),
    Column("breached_at", DateTime(timezone=True)),
    Column("warn_at", DateTime(timezone=True)),
    Column("warned_at", DateTime(timezone=True)),
    Column("captured_at", DateTime(timezone=True)),
    Column("callback_at", DateTime(timezone=True)),
    Column("replaced_at", DateTime(timezone=True)),
    Column("rejected_at", DateTime(timezone=True)),
    Index("ix_handoffs_open_due", "due_at", postgresql_where="state = 'open'"),
    Index(
        "ix_handoffs_open_warn",
        "warn_at",
        postgresql_where="state = 'open' AND warned_at IS NULL AND warn_at IS NOT NULL",
    ),
    Index("ix_handoffs_owner", "owner_id", "state"),
)
