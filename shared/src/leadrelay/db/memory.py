"""The unit of work in memory: the twin of PostgreSQL's for handler tests (the contract suites hold both to
the same behaviour). A transaction works on a copy of the state and puts it back only on commit."""

from __future__ import annotations

import copy
import math
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any, Self

from leadrelay.db.outbox import outbox_row
from leadrelay.events import Envelope


@dataclass
class MessagingState:
    """What the inbox, outbox and tombstones hold: handled event ids, published rows, erased leads."""

    handled: set[str] = field(default_factory=set)
    published: list[dict[str, Any]] = field(default_factory=list)
    erased: set[str] = field(default_factory=set)


class MemoryInbox:
    """Handled event ids in memory."""

    def __init__(self, state: MessagingState) -> None:
        self._state = state

    async def claim(self, event: Envelope) -> bool:
        """Return True the first time an event is seen."""
        return bool(await self.claim_many([event]))

    async def claim_many(self, events: list[Envelope]) -> list[Envelope]:
        """Return the events seen for the first time, in order and each once."""
        fresh = []
        for event in {event.id: event for event in events}.values():
            if event.id not in self._state.handled:
                self._state.handled.add(event.id)
                fresh.append(event)
        return fresh


class MemoryOutbox:
    """Queued events, written to the state's published rows on commit."""

    def __init__(self, state: MessagingState) -> None:
        self._state = state
        self.pending: list[dict[str, Any]] = []

    def add(self, event: Envelope, topic: str, key: str | None = None) -> None:
        """Queue an event for publishing on topic (key defaults to the event subject)."""
        self.pending.append(outbox_row(event, topic, key))

    async def forget(self, key: str) -> None:
        """Drop every event queued or published under key."""
        self.pending = [row for row in self.pending if row["key"] != key]
        self._state.published = [row for row in self._state.published if row["key"] != key]

    def flush(self) -> None:
        """Move the queued events to the published rows."""
        self._state.published.extend(self.pending)
        self.pending = []


class MemoryTombstones:
    """Erased leads in memory."""

    def __init__(self, state: MessagingState) -> None:
        self._state = state

    async def bury(self, lead_id: str) -> None:
        """Remember that a lead was erased."""
        self._state.erased.add(lead_id)

    async def is_erased(self, lead_id: str) -> bool:
        """Return True when the lead was erased."""
        return lead_id in self._state.erased

    async def erased(self, lead_ids: set[str]) -> set[str]:
        """Return which of lead_ids were erased."""
        return lead_ids & self._state.erased


class MemoryUnitOfWork:
    """A transaction over `store` (any object whose attributes hold a service's state, messaging included as
    `store.messaging`): repositories work on a deep copy, which replaces the store's attributes on commit."""

    inbox: MemoryInbox
    outbox: MemoryOutbox
    tombstones: MemoryTombstones

    def __init__(self, store: Any) -> None:
        self._store = store
        self._working: Any = None

    @property
    def working(self) -> Any:
        """The transaction's copy of the store (repositories read and write it)."""
        assert self._working is not None, "outside the unit of work"
        return self._working

    async def __aenter__(self) -> Self:
        self._working = copy.deepcopy(self._store)
        messaging: MessagingState = self._working.messaging
        self.inbox = MemoryInbox(messaging)
        self.outbox = MemoryOutbox(messaging)
        self.tombstones = MemoryTombstones(messaging)
        self._open_repositories()
        return self

    def _open_repositories(self) -> None:
        """Subclasses attach their repositories to self.working here."""

    async def commit(self) -> None:
        """Keep everything done in this transaction."""
        assert self._working is not None, "commit() outside the unit of work, or twice"
        self.outbox.flush()
        self._store.__dict__.update(self._working.__dict__)
        self._working = None

    async def rollback(self) -> None:
        """Discard everything done in this transaction."""
        self._working = None

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.rollback()


def percentile(values: list[float | None], share: float) -> float | None:
    """PostgreSQL's percentile_cont: linear interpolation between the closest ranks, NULLs ignored."""
    ordered = sorted(v for v in values if v is not None)
    if not ordered:
        return None
    rank = share * (len(ordered) - 1)
    low, high = math.floor(rank), math.ceil(rank)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)
