"""What scoring's handlers need of storage. PostgreSQL (adapters/, uow.py) and memory (adapters/memory.py)
implement it; tests/contract holds both to the same behaviour."""

from __future__ import annotations

import builtins
from datetime import datetime
from typing import Any, Protocol

from leadrelay.db.ports import TombstonesPort, TransactionPort
from leadrelay.events.scoring import Reason
from leadrelay.scoring.domain.facts import Activity, LeadFacts
from leadrelay.scoring.domain.score import StoredScore, TrainingExample
from leadrelay.scoring.scorer import Assessment


class Scores(Protocol):
    """The latest score of each lead."""

    async def save_many(
        self, scored: builtins.list[tuple[str, str | None, Assessment]], now: datetime
    ) -> None: ...

    async def return_to_nurture(
        self, lead_id: str, reasons: builtins.list[Reason], now: datetime
    ) -> None: ...

    async def get(self, lead_id: str) -> StoredScore | None: ...

    async def get_many(self, lead_ids: builtins.list[str]) -> dict[str, StoredScore]: ...

    async def forget(self, lead_id: str) -> None: ...

    async def count(self) -> int: ...


class Leads(Protocol):
    """Each lead's facts and activities."""

    async def remember_many(self, facts: builtins.list[LeadFacts], now: datetime) -> None: ...

    async def facts_of(self, lead_ids: builtins.list[str]) -> dict[str, LeadFacts]: ...

    async def facts(self, lead_id: str) -> LeadFacts | None: ...

    async def add_activity(self, event_id: str, lead_id: str, kind: str, at: datetime) -> None: ...

    async def activities(self, lead_id: str) -> builtins.list[Activity]: ...

    async def activities_of(self, lead_ids: builtins.list[str]) -> dict[str, builtins.list[Activity]]: ...

    async def forget(self, lead_id: str) -> None: ...


class Outcomes(Protocol):
    """Each lead's latest outcome with its model columns: retraining's examples."""

    async def record(
        self,
        lead_id: str,
        outcome: str,
        value: float | None,
        at: datetime,
        features: dict[str, Any],
        now: datetime,
    ) -> None: ...

    async def forget(self, lead_id: str) -> None: ...

    async def all(self) -> builtins.list[TrainingExample]: ...

    async def count_since(self, since: datetime | None) -> int: ...


class ScoringUnitOfWork(TransactionPort, Protocol):
    """One transaction over scoring's storage."""

    @property
    def scores(self) -> Scores: ...

    @property
    def leads(self) -> Leads: ...

    @property
    def outcomes(self) -> Outcomes: ...

    @property
    def tombstones(self) -> TombstonesPort: ...
