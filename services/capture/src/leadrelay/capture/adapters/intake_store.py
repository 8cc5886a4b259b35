"""The statements group commit runs, on asyncpg directly: one prepared statement per step, rows as arrays.

Intake is capture's hot path. SQLAlchemy's execution machinery (compiling, parameter processing, result
wrapping) cost more CPU per lead than everything else the writer does, so these statements bypass it;
`unnest` over bound arrays makes each one a single round trip whatever the batch size, and asyncpg's
statement cache prepares each text once per connection. The connections come from SQLAlchemy's pool,
whose asyncpg dialect installs a jsonb codec: jsonb goes in as JSON text and comes out decoded.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

import asyncpg

from leadrelay.capture.domain.lead import CapturedLead, NewLead, asked_a_question, completeness
from leadrelay.capture.domain.merge import Merge, StoredLead
from leadrelay.capture.ports import LeadAnswer, StoredAnswer
from leadrelay.db.arrays import unnest_insert

# The leads columns in the order of the insert's arrays, with each one's PostgreSQL array type.
LEAD_COLUMNS: tuple[tuple[str, str], ...] = (
    ("id", "text"),
    ("captured_at", "timestamptz"),
    ("email", "text"),
    ("name", "text"),
    ("phone", "text"),
    ("company", "text"),
    ("title", "text"),
    ("company_size", "text"),
    ("employees", "integer"),
    ("industry", "text"),
    ("country", "text"),
    ("message", "text"),
    ("source", "text"),
    ("form_id", "text"),
    ("completeness", "text"),
    ("utm", "jsonb"),
    ("consent_marketing", "boolean"),
    ("consent_policy_version", "text"),
    ("consent_purposes", "jsonb"),
    ("disposable_email", "boolean"),
    ("question_asked", "boolean"),
)
_JSON_COLUMNS = {name for name, kind in LEAD_COLUMNS if kind == "jsonb"}

INSERT_LEADS = unnest_insert("leads", LEAD_COLUMNS)

# A person's identity keeps its lead within the dedupe window; past it, the identity starts a new lead.
RESOLVE_IDENTITIES = """
INSERT INTO lead_identities AS li (identity, lead_id, first_seen_at, last_seen_at)
SELECT identity, lead_id, $3, $3 FROM unnest($1::text[], $2::text[]) AS t(identity, lead_id)
ON CONFLICT (identity) DO UPDATE SET
    lead_id = CASE WHEN li.last_seen_at < $4 THEN excluded.lead_id ELSE li.lead_id END,
    first_seen_at = CASE WHEN li.last_seen_at < $4 THEN excluded.first_seen_at ELSE li.first_seen_at END,
    last_seen_at = excluded.last_seen_at
RETURNING identity, lead_id
"""

CLAIM_KEYS = """
INSERT INTO idempotency_keys (key, request_hash)
SELECT * FROM unnest($1::text[], $2::text[])
ON CONFLICT (key) DO NOTHING
RETURNING key
"""

EARLIER_ANSWERS = (
    "SELECT key, request_hash, status_code, response FROM idempotency_keys WHERE key = ANY($1::text[])"
)

STORE_ANSWERS = """
UPDATE idempotency_keys AS k SET status_code = 202, response = a.response
FROM unnest($1::text[], $2::jsonb[]) AS a(key, response)
WHERE k.key = a.key
"""


LOAD_FOR_MERGE = """
SELECT email, source, name, phone, company, title, company_size, employees, industry, country, message,
       form_id, utm,
       consent_marketing, consent_policy_version, consent_purposes, disposable_email,
       marketing_opted_out_at IS NOT NULL AS opted_out
FROM leads WHERE id = $1 FOR UPDATE
"""

UPDATE_MERGED = """
UPDATE leads SET
    name = $2, phone = $3, company = $4, title = $5, company_size = $6, industry = $7, country = $8,
    message = $9, completeness = $10, question_asked = $11, consent_marketing = $12,
    consent_policy_version = $13, consent_purposes = $14::jsonb,
    marketing_opted_out_at = CASE WHEN $15 THEN NULL ELSE marketing_opted_out_at END, updated_at = $16,
    employees = $17
WHERE id = $1
"""

INSERT_ACTIVITY = (
    "INSERT INTO activities (id, lead_id, kind, at, properties) VALUES ($1, $2, $3, $4, $5::jsonb)"
)


def lead_columns(captured: CapturedLead) -> dict[str, Any]:
    """Return the leads-table columns of a captured lead (all but id and captured_at)."""
    lead = captured.lead
    return {
        "email": lead.email,
        "name": lead.name,
        "phone": lead.phone,
        "company": lead.company,
        "title": lead.title,
        "company_size": lead.company_size,
        "employees": lead.employees,
        "industry": lead.industry,
        "country": lead.country,
        "message": lead.message,
        "source": lead.source,
        "form_id": lead.form_id,
        "completeness": captured.completeness,
        "utm": lead.utm,
        "consent_marketing": lead.consent_marketing,
        "consent_policy_version": lead.consent_policy_version,
        "consent_purposes": list(lead.consent_purposes),
        "disposable_email": lead.disposable_email,
        "question_asked": asked_a_question(lead),
    }


class PostgresIntakeStore:
    """The intake statements on one asyncpg connection, inside the caller's transaction."""

    def __init__(self, conn: asyncpg.Connection) -> None:
        self._conn = conn

    async def claim_keys(self, keys: dict[str, str]) -> set[str]:
        """Insert idempotency keys (key -> request hash); return those this call claimed."""
        rows = await self._conn.fetch(CLAIM_KEYS, list(keys), list(keys.values()))
        return {r["key"] for r in rows}

    async def earlier_answers(self, keys: Sequence[str]) -> dict[str, StoredAnswer]:
        """Return the stored hash and answer of keys claimed by earlier requests."""
        rows = await self._conn.fetch(EARLIER_ANSWERS, list(keys))
        # SQLAlchemy's jsonb codec on pooled connections decodes the response
        return {r["key"]: StoredAnswer(r["request_hash"], r["status_code"], r["response"]) for r in rows}

    async def resolve_identities(
        self, candidates: dict[str, str], now: datetime, window: timedelta
    ) -> dict[str, str]:
        """Upsert identities (identity -> candidate lead id); return identity -> surviving lead id."""
        rows = await self._conn.fetch(
            RESOLVE_IDENTITIES, list(candidates), list(candidates.values()), now, now - window
        )
        return {r["identity"]: r["lead_id"] for r in rows}

    async def insert_leads(self, captured: Sequence[CapturedLead]) -> None:
        """Insert new leads, one array per column."""
        columns: dict[str, list[Any]] = {name: [] for name, _ in LEAD_COLUMNS}
        for lead in captured:
            values = {"id": lead.lead_id, "captured_at": lead.captured_at, **lead_columns(lead)}
            for name, column in columns.items():
                value = values[name]
                column.append(json.dumps(value) if name in _JSON_COLUMNS else value)
        await self._conn.execute(INSERT_LEADS, *columns.values())

    async def load_for_merge(self, lead_id: str) -> StoredLead:
        """Return the stored lead a repeat submission folds into, locked for this transaction."""
        row = await self._conn.fetchrow(LOAD_FOR_MERGE, lead_id)
        if row is None:
            raise LookupError(f"no lead {lead_id} to merge into")
        fields = dict(row)
        opted_out = fields.pop("opted_out")
        fields["consent_purposes"] = tuple(fields["consent_purposes"])
        return StoredLead(NewLead(**fields), marketing_opted_out=opted_out)

    async def update_merged(self, lead_id: str, merge: Merge, now: datetime) -> None:
        """Store the lead a repeat submission left (its email, source, form and UTM stay the first ones)."""
        lead = merge.lead
        await self._conn.execute(
            UPDATE_MERGED,
            lead_id,
            lead.name,
            lead.phone,
            lead.company,
            lead.title,
            lead.company_size,
            lead.industry,
            lead.country,
            lead.message,
            completeness(lead),
            asked_a_question(lead),
            lead.consent_marketing,
            lead.consent_policy_version,
            json.dumps(list(lead.consent_purposes)),
            merge.consent_regranted,
            now,
            lead.employees,
        )

    async def insert_activity(
        self, activity_id: str, lead_id: str, kind: str, at: datetime, properties: dict[str, Any]
    ) -> None:
        """Record one activity of a lead."""
        await self._conn.execute(INSERT_ACTIVITY, activity_id, lead_id, kind, at, json.dumps(properties))

    async def store_answers(self, answers: dict[str, LeadAnswer]) -> None:
        """Store the 202 answer of each idempotency key."""
        await self._conn.execute(
            STORE_ANSWERS, list(answers), [json.dumps(dict(a)) for a in answers.values()]
        )
