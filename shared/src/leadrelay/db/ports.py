"""What handlers need of a unit of work, as protocols: its transaction, inbox, outbox and tombstones; and the
versioned-document store and audit trail every service keeps its configuration in.

PostgreSQL implements them (uow.py, inbox.py, outbox.py, tombstones.py, documents.py), and so does memory
(memory.py, memory_documents.py) for tests that run in milliseconds; one contract suite per repository runs on
both."""

from __future__ import annotations

from datetime import datetime
from types import TracebackType
from typing import TYPE_CHECKING, Any, Protocol, Self, TypeVar

from pydantic import BaseModel

from leadrelay.events import Envelope

if TYPE_CHECKING:
    from leadrelay.db.documents import AuditEntry, VersionSummary


class InboxPort(Protocol):
    """Event ids handled so far: a redelivered event is claimed once."""

    async def claim(self, event: Envelope) -> bool: ...

    async def claim_many(self, events: list[Envelope]) -> list[Envelope]: ...


class OutboxPort(Protocol):
    """Events to publish once the transaction commits."""

    def add(self, event: Envelope, topic: str, key: str | None = None) -> None: ...

    async def forget(self, key: str) -> None: ...


class TombstonesPort(Protocol):
    """Erased leads, whose late events are ignored."""

    async def bury(self, lead_id: str) -> None: ...

    async def is_erased(self, lead_id: str) -> bool: ...

    async def erased(self, lead_ids: set[str]) -> set[str]: ...


class TransactionPort(Protocol):
    """One transaction: `async with` it; nothing is kept unless commit() is called inside."""

    # read-only in the protocol, so an implementation may hold a narrower type
    @property
    def inbox(self) -> InboxPort: ...

    @property
    def outbox(self) -> OutboxPort: ...

    async def __aenter__(self) -> Self: ...

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None: ...

    async def commit(self) -> None: ...

    async def rollback(self) -> None: ...


M = TypeVar("M", bound=BaseModel)


class AuditTrail(Protocol):
    """Admin changes: who (a key's id, never the key), what, on which subject, when, with what detail."""

    async def record(
        self, actor: str, action: str, subject: str | None, detail: dict[str, Any], now: datetime
    ) -> None: ...

    async def entries(self, limit: int = 100, action: str | None = None) -> list[AuditEntry]: ...


class DocumentStore(Protocol[M]):
    """Versions of one kind of document: a version never changes, at most one is active, changes are audited."""

    async def add(self, document: M, actor: str, now: datetime, activate: bool = False) -> bool: ...

    async def seed(self, document: M, now: datetime) -> None: ...

    async def activate(self, version: str, actor: str, now: datetime) -> bool: ...

    async def get(self, version: str) -> M | None: ...

    async def active(self) -> M | None: ...

    async def active_since(self) -> tuple[M, datetime] | None: ...

    async def active_version(self) -> str | None: ...

    async def list(self) -> list[VersionSummary]: ...
