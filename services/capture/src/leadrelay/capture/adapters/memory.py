"""Capture's storage in memory: the twin of PostgreSQL's for handler tests (tests/contract runs the same suite
on both)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

from leadrelay.capture.domain.forms import Form, FormsConfig
from leadrelay.capture.domain.lead import CapturedLead, NewLead, asked_a_question
from leadrelay.capture.domain.merge import Merge, StoredLead
from leadrelay.capture.ports import LeadAnswer, StoredAnswer
from leadrelay.db.memory import MemoryUnitOfWork, MessagingState


@dataclass
class LeadRow:
    """A stored lead: what arrived, and what capture derived and recorded about it."""

    lead: NewLead
    captured_at: datetime
    question_asked: bool
    updated_at: datetime | None = None
    marketing_opted_out_at: datetime | None = None


@dataclass
class IdentityRow:
    """Which lead a person's identity belongs to, and when it was first and last seen."""

    lead_id: str
    first_seen_at: datetime
    last_seen_at: datetime


@dataclass
class ActivityRow:
    """One recorded activity of a lead."""

    lead_id: str
    kind: str
    at: datetime
    properties: dict[str, Any]


@dataclass
class CaptureStore:
    """Everything capture keeps, and the messaging tables."""

    leads: dict[str, LeadRow] = field(default_factory=dict)
    identities: dict[str, IdentityRow] = field(default_factory=dict)
    keys: dict[str, StoredAnswer] = field(default_factory=dict)
    activities: dict[str, ActivityRow] = field(default_factory=dict)
    erasures: dict[str, datetime] = field(default_factory=dict)
    messaging: MessagingState = field(default_factory=MessagingState)


class MemoryIntake:
    """Intake on a CaptureStore."""

    def __init__(self, store: CaptureStore) -> None:
        self._store = store

    async def claim_keys(self, keys: dict[str, str]) -> set[str]:
        """Claim the idempotency keys not claimed before (key -> request hash)."""
        claimed = {key for key in keys if key not in self._store.keys}
        for key in claimed:
            self._store.keys[key] = StoredAnswer(keys[key], None, None)
        return claimed

    async def earlier_answers(self, keys: Sequence[str]) -> dict[str, StoredAnswer]:
        """Return the stored hash and answer of keys claimed before."""
        return {key: self._store.keys[key] for key in keys if key in self._store.keys}

    async def resolve_identities(
        self, candidates: dict[str, str], now: datetime, window: timedelta
    ) -> dict[str, str]:
        """Keep each identity's lead within the window; past it, or when new, the candidate's lead is its."""
        survivors = {}
        for identity, candidate in candidates.items():
            row = self._store.identities.get(identity)
            if row is None or row.last_seen_at < now - window:
                row = IdentityRow(candidate, now, now)
            self._store.identities[identity] = replace(row, last_seen_at=now)
            survivors[identity] = row.lead_id
        return survivors

    async def insert_leads(self, captured: Sequence[CapturedLead]) -> None:
        """Store new leads."""
        for new in captured:
            if new.lead_id in self._store.leads:
                raise KeyError(f"lead {new.lead_id} exists")  # the table's primary key
            self._store.leads[new.lead_id] = LeadRow(new.lead, new.captured_at, asked_a_question(new.lead))

    async def load_for_merge(self, lead_id: str) -> StoredLead:
        """Return the stored lead a repeat submission folds into."""
        row = self._store.leads.get(lead_id)
        if row is None:
            raise LookupError(f"no lead {lead_id} to merge into")
        return StoredLead(row.lead, marketing_opted_out=row.marketing_opted_out_at is not None)

    async def update_merged(self, lead_id: str, merge: Merge, now: datetime) -> None:
        """Store the lead a repeat submission left (its email, source, form and UTM stay the first ones)."""
        row = self._store.leads[lead_id]
        first = row.lead
        row.lead = replace(
            merge.lead,
            email=first.email,
            source=first.source,
            form_id=first.form_id,
            utm=first.utm,
            disposable_email=first.disposable_email,
        )
        row.question_asked = asked_a_question(merge.lead)
        row.updated_at = now
        if merge.consent_regranted:
            row.marketing_opted_out_at = None

    async def insert_activity(
        self, activity_id: str, lead_id: str, kind: str, at: datetime, properties: dict[str, Any]
    ) -> None:
        """Record one activity of a lead."""
        if activity_id in self._store.activities:
            raise KeyError(f"activity {activity_id} exists")  # the table's primary key
        self._store.activities[activity_id] = ActivityRow(lead_id, kind, at, properties)

    async def store_answers(self, answers: dict[str, LeadAnswer]) -> None:
        """Store the 202 answer of each claimed key."""
        for key, answer in answers.items():
            if key in self._store.keys:
                self._store.keys[key] = replace(self._store.keys[key], status_code=202, response=answer)


class MemoryLeads:
    """Stored leads, read."""

    def __init__(self, store: CaptureStore) -> None:
        self._leads = store.leads

    async def exists(self, lead_id: str) -> bool:
        """Return whether a lead is stored."""
        return lead_id in self._leads

    async def email_of(self, lead_id: str) -> str | None:
        """Return a stored lead's email, or None."""
        row = self._leads.get(lead_id)
        return row.lead.email if row else None

    async def count(self) -> int:
        """Return how many leads are stored."""
        return len(self._leads)


class MemoryErasure:
    """Finding, erasing and changing the consent of a person's leads in a CaptureStore."""

    def __init__(self, store: CaptureStore) -> None:
        self._store = store

    async def lead_ids_for(self, email: str | None, lead_id: str | None) -> list[str]:
        """Return the leads of an email address, or the one lead id if it exists."""
        if lead_id is not None:
            return [lead_id] if lead_id in self._store.leads else []
        return [key for key, row in self._store.leads.items() if row.lead.email == email]

    async def erase(self, lead_id: str, now: datetime) -> None:
        """Delete the lead, its identities, activities, remembered answers and stored events; remember it."""
        store = self._store
        store.activities = {k: a for k, a in store.activities.items() if a.lead_id != lead_id}
        store.identities = {k: i for k, i in store.identities.items() if i.lead_id != lead_id}
        store.leads.pop(lead_id, None)
        store.keys = {
            k: a for k, a in store.keys.items() if a.response is None or a.response["lead_id"] != lead_id
        }
        store.messaging.published = [row for row in store.messaging.published if row["key"] != lead_id]
        if lead_id in store.erasures:
            raise KeyError(f"lead {lead_id} was erased before")  # the table's primary key
        store.erasures[lead_id] = now

    async def confirm_marketing(self, lead_ids: list[str]) -> dict[str, list[str]]:
        """Give marketing consent to these leads; return each one's purposes."""
        changed = {}
        for lead_id in lead_ids:
            row = self._store.leads.get(lead_id)
            if row is not None:
                purposes = (*(p for p in row.lead.consent_purposes if p != "marketing"), "marketing")
                row.lead = replace(row.lead, consent_marketing=True, consent_purposes=purposes)
                row.marketing_opted_out_at = None
                changed[lead_id] = list(purposes)
        return changed

    async def opt_out(self, email: str, now: datetime) -> dict[str, list[str]]:
        """Withdraw marketing consent for every lead of an email; return each one's remaining purposes."""
        changed = {}
        for lead_id, row in self._store.leads.items():
            if row.lead.email == email:
                purposes = tuple(p for p in row.lead.consent_purposes if p != "marketing")
                row.lead = replace(row.lead, consent_marketing=False, consent_purposes=purposes)
                row.marketing_opted_out_at = now
                changed[lead_id] = list(purposes)
        return changed


class MemoryCaptureUnitOfWork(MemoryUnitOfWork):
    """A transaction over a CaptureStore."""

    intake: MemoryIntake
    leads: MemoryLeads
    erasure: MemoryErasure

    def __init__(self, store: CaptureStore) -> None:
        super().__init__(store)

    def _open_repositories(self) -> None:
        working: CaptureStore = self.working
        self.intake = MemoryIntake(working)
        self.leads = MemoryLeads(working)
        self.erasure = MemoryErasure(working)


class MemoryFormStore:
    """The forms in memory, by id; replicas share `forms` as they share the database, and see changes at once."""

    def __init__(self, forms: dict[str, dict[str, Any]] | None = None) -> None:
        self.forms: dict[str, dict[str, Any]] = forms if forms is not None else {}

    async def seed(self, config: FormsConfig) -> None:
        """Add the configured forms not stored yet (the API's changes win)."""
        for form in config.forms:
            self.forms.setdefault(form.id, form.model_dump())

    async def apply_public_key(self, form_id: str, public_key: str) -> bool:
        """Give a stored form the configured public key; return True when it had another one."""
        stored = self.forms.get(form_id)
        if stored is None or stored.get("public_key") == public_key:
            return False
        self.forms[form_id] = {**stored, "public_key": public_key}
        return True

    async def current(self) -> FormsConfig:
        """Return the forms, by id."""
        return FormsConfig(forms=[Form.model_validate(self.forms[i]) for i in sorted(self.forms)])

    async def put(self, form: Form) -> None:
        """Create or replace a form."""
        self.forms[form.id] = form.model_dump()

    async def delete(self, form_id: str) -> bool:
        """Delete a form; return False when there was none."""
        return self.forms.pop(form_id, None) is not None
