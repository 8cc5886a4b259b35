"""What handlers need of a unit of work, as protocols: its transaction, inbox, outbox and tombstones.

PostgreSQL implements them (uow.py, inbox.py, outbox.py, tombstones.py), and so does memory (memory.py) for
handler tests that run in milliseconds; one contract suite per repository runs on both."""

from __future__ import annotations

from types import TracebackType
from typing import Protocol, Self

from leadrelay.events import Envelope


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
