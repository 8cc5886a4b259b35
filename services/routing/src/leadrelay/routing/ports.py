"""What routing's handlers need of storage. PostgreSQL (adapters/repository.py, adapters/uow.py) and memory
(adapters/memory.py) implement it; tests/contract holds both to the same behaviour."""

from __future__ import annotations

import builtins
from datetime import datetime
from typing import Protocol

from leadrelay.db.ports import TombstonesPort, TransactionPort
from leadrelay.events.scoring import LeadScored
from leadrelay.routing.domain.handoff import Account, DecisionRecord, Handoff, RoutedLead
from leadrelay.routing.domain.strategies import QueueState
from leadrelay.sla_policies import PolicySet


class Decisions(Protocol):
    """Every routing decision with its trace."""

    async def add_many(self, records: builtins.list[DecisionRecord]) -> None: ...

    async def anonymise(self, lead_id: str) -> None: ...

    async def for_lead(self, lead_id: str) -> builtins.list[DecisionRecord]: ...

    async def recent_handoffs(self, limit: int) -> builtins.list[DecisionRecord]: ...


class Handoffs(Protocol):
    """Handoffs; open ones count against their owner's caps."""

    async def add_many(self, new: builtins.list[Handoff]) -> None: ...

    async def latest_of_leads(self, lead_ids: set[str]) -> dict[str, Handoff]: ...

    async def get(self, handoff_id: str, lock: bool = False) -> Handoff | None: ...

    async def of_lead(self, lead_id: str) -> builtins.list[Handoff]: ...

    async def save(self, handoff: Handoff) -> None: ...

    async def loads(self, day_starts: dict[str, datetime]) -> dict[str, tuple[int, int]]: ...


class QueueStates(Protocol):
    """Each queue's strategy state, locked for the length of a decision, and reps' locks."""

    async def lock(self, queue: str) -> QueueState: ...

    async def lock_many(self, queues: builtins.list[str]) -> dict[str, QueueState]: ...

    async def save(self, queue: str, state: QueueState) -> None: ...

    async def lock_rep(self, rep_id: str) -> None: ...


class Accounts(Protocol):
    """Known accounts and their owners."""

    async def upsert(self, known: builtins.list[Account], now: datetime) -> int: ...

    async def matching(self, domains: set[str], companies: set[str]) -> builtins.list[Account]: ...

    async def all(self) -> builtins.list[Account]: ...

    async def count(self) -> int: ...


class RoutedLeads(Protocol):
    """The latest LeadScored of each routed lead, and whose it is."""

    async def remember_many(self, leads: builtins.list[RoutedLead], now: datetime) -> None: ...

    async def owners_of_people(self, keys: set[str]) -> builtins.list[tuple[str, str, str]]: ...

    async def scored(self, lead_id: str) -> LeadScored | None: ...

    async def apply_consent(self, lead_id: str, marketing: bool) -> None: ...

    async def forget(self, lead_id: str) -> None: ...


class SlaPolicies(Protocol):
    """The SLA monitor's active policies as routing last heard of them: the newest activation wins."""

    async def current(self) -> PolicySet | None: ...

    async def adopt(self, policies: PolicySet, activated_at: datetime) -> bool: ...


class RoutingUnitOfWork(TransactionPort, Protocol):
    """One transaction over routing's storage."""

    @property
    def decisions(self) -> Decisions: ...

    @property
    def handoffs(self) -> Handoffs: ...

    @property
    def queue_states(self) -> QueueStates: ...

    @property
    def accounts(self) -> Accounts: ...

    @property
    def leads(self) -> RoutedLeads: ...

    @property
    def tombstones(self) -> TombstonesPort: ...

    @property
    def sla_policies(self) -> SlaPolicies: ...
