"""What capture's intake writer, handlers and endpoints need of storage. PostgreSQL (adapters/intake_store.py,
adapters/repository.py, adapters/erasure.py, adapters/uow.py) and memory (adapters/memory.py) implement it;
tests/contract holds both to the same behaviour."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol, TypedDict

from leadrelay.capture.domain.forms import Form, FormsConfig
from leadrelay.capture.domain.lead import CapturedLead
from leadrelay.capture.domain.merge import Merge, StoredLead
from leadrelay.db.ports import TransactionPort


class LeadAnswer(TypedDict):
    """The answer remembered for an Idempotency-Key: which lead, and whether it was new."""

    lead_id: str
    is_new: bool


@dataclass(frozen=True)
class StoredAnswer:
    """An Idempotency-Key claimed earlier: its request's hash and, once stored, its answer."""

    request_hash: str
    status_code: int | None
    response: LeadAnswer | None


class IntakeStore(Protocol):
    """New and repeat submissions (idempotency keys, identities, leads and their merges) and leads' activities."""

    async def claim_keys(self, keys: dict[str, str]) -> set[str]: ...

    async def earlier_answers(self, keys: Sequence[str]) -> dict[str, StoredAnswer]: ...

    async def resolve_identities(
        self, candidates: dict[str, str], now: datetime, window: timedelta
    ) -> dict[str, str]: ...

    async def insert_leads(self, captured: Sequence[CapturedLead]) -> None: ...

    async def load_for_merge(self, lead_id: str) -> StoredLead: ...

    async def update_merged(self, lead_id: str, merge: Merge, now: datetime) -> None: ...

    async def insert_activity(
        self, activity_id: str, lead_id: str, kind: str, at: datetime, properties: dict[str, Any]
    ) -> None: ...

    async def store_answers(self, answers: dict[str, LeadAnswer]) -> None: ...


class Leads(Protocol):
    """Stored leads, read."""

    async def exists(self, lead_id: str) -> bool: ...

    async def email_of(self, lead_id: str) -> str | None: ...

    async def count(self) -> int: ...


class Erasure(Protocol):
    """A person's leads: found by email, erased, and their marketing consent given or withdrawn."""

    async def lead_ids_for(self, email: str | None, lead_id: str | None) -> list[str]: ...

    async def erase(self, lead_id: str, now: datetime) -> None: ...

    async def confirm_marketing(self, lead_ids: list[str]) -> dict[str, list[str]]: ...

    async def opt_out(self, email: str, now: datetime) -> dict[str, list[str]]: ...


class CaptureUnitOfWork(TransactionPort, Protocol):
    """One transaction over intake (activities included), leads, erasure, the inbox and the outbox."""

    @property
    def intake(self) -> IntakeStore: ...

    @property
    def leads(self) -> Leads: ...

    @property
    def erasure(self) -> Erasure: ...


class Forms(Protocol):
    """The forms visitors submit; a change made on any replica is seen on every other within its cache's life."""

    async def seed(self, config: FormsConfig) -> None: ...

    async def apply_public_key(self, form_id: str, public_key: str) -> bool: ...

    async def current(self) -> FormsConfig: ...

    async def put(self, form: Form) -> None: ...

    async def delete(self, form_id: str) -> bool: ...
