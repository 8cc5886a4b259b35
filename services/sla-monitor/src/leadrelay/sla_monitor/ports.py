"""What the SLA monitor's handlers need of storage. PostgreSQL (adapters/repository.py, adapters/uow.py) and
memory (adapters/memory.py) implement it; tests/contract holds both to the same behaviour."""

from __future__ import annotations

import builtins
from collections.abc import Sequence
from datetime import datetime
from typing import Literal, Protocol

from leadrelay.db.ports import TombstonesPort, TransactionPort
from leadrelay.sla_monitor.domain.clock import Clock, Compliance, DueClock, NewClock


class Clocks(Protocol):
    """Handoff clocks; deadlines are claimed by database time (or `at`, in tests)."""

    async def start_many(self, clocks: Sequence[NewClock]) -> None: ...

    async def contacted_early(
        self, handoff_id: str, at: datetime, channel: str, lead_id: str, owner_id: str | None = None
    ) -> bool: ...

    async def rejected_early(
        self, handoff_id: str, at: datetime, lead_id: str, owner_id: str | None = None
    ) -> bool: ...

    async def get(self, handoff_id: str, lock: bool = False) -> Clock | None: ...

    async def save(self, clock: Clock) -> None: ...

    async def replace_earlier(self, lead_id: str, attempt: int) -> None: ...

    async def claim_warnings(self, limit: int, at: datetime | None = None) -> list[DueClock]: ...

    async def mark_warned(self, handoff_ids: list[str], at: datetime) -> None: ...

    async def claim_due(self, limit: int, at: datetime | None = None) -> list[DueClock]: ...

    async def mark_breached(self, handoff_ids: list[str], at: datetime) -> None: ...

    async def erase_lead(self, lead_id: str) -> None: ...

    async def list(
        self,
        state: str | None,
        limit: int,
        queue: str | None = None,
        owner: str | None = None,
        overdue: bool | None = None,
        within: frozenset[str] | None = None,
    ) -> builtins.list[Clock]: ...

    async def compliance(
        self, by: Literal["owner", "queue"], since: datetime
    ) -> builtins.list[Compliance]: ...


class SlaUnitOfWork(TransactionPort, Protocol):
    """One transaction over the clocks, tombstones, inbox and outbox."""

    @property
    def handoffs(self) -> Clocks: ...

    @property
    def tombstones(self) -> TombstonesPort: ...
