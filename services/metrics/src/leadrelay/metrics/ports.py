"""What the metrics service's handler and endpoints need of storage. PostgreSQL (adapters/repository.py,
adapters/uow.py) and memory (adapters/memory.py) implement it; tests/contract holds both to the same behaviour."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from typing import Protocol

from leadrelay.db.ports import TransactionPort
from leadrelay.metrics.domain.funnel import FunnelEntry
from leadrelay.metrics.domain.report import (
    FeedEntry,
    FeedItem,
    FunnelCount,
    FunnelTotal,
    JourneySummary,
    ReasonCount,
    RecordedSpend,
    SlaDay,
    SourceBreakdown,
    Spend,
)
from leadrelay.metrics.domain.timeline import TimelineChange


class FunnelCounts(Protocol):
    """Events per day, step, stage, source and queue."""

    async def add_counts(self, counts: Mapping[tuple[date, FunnelEntry], int]) -> None: ...

    async def rows(
        self, start: date | None, end: date | None, source: str | None, queue: str | None
    ) -> list[FunnelCount]: ...

    async def totals_by_labels(self) -> list[FunnelTotal]: ...


class LeadSources(Protocol):
    """Which source each lead came from (the first one recorded)."""

    async def remember_many(self, sources: Mapping[str, str]) -> None: ...

    async def sources_of(self, lead_ids: set[str]) -> dict[str, str]: ...

    async def forget(self, lead_id: str) -> None: ...


class Journeys(Protocol):
    """Each lead's journey, and KPIs over the leads captured in a period."""

    async def apply_many(self, changes: Mapping[str, TimelineChange]) -> None: ...

    async def forget(self, lead_id: str) -> None: ...

    async def summary(
        self, start: date | None, end: date | None, **dimensions: str | None
    ) -> JourneySummary: ...


class SpendLedger(Protocol):
    """Marketing spend per source (and campaign) and period."""

    async def add(self, entries: list[Spend], now: datetime) -> None: ...

    async def total(
        self, start: date | None, end: date | None, source: str | None, campaign: str | None
    ) -> float: ...

    async def all(self) -> list[RecordedSpend]: ...


class Reasons(Protocol):
    """How often leads were lost or rejected, by reason and day."""

    async def add_counts(self, counts: Mapping[tuple[date, str, str], int]) -> None: ...

    async def top(
        self, start: date | None, end: date | None, kind: str, limit: int = 10
    ) -> list[ReasonCount]: ...


class Feed(Protocol):
    """The latest handoffs and breaches (the newest 1,000 are kept)."""

    async def add_many(self, entries: list[FeedEntry]) -> None: ...

    async def after(self, after_id: int, limit: int) -> list[FeedItem]: ...


class Breakdowns(Protocol):
    """Per source, per day and per speed bucket views over the leads captured in a period."""

    async def sources(self, start: date | None, end: date | None) -> list[SourceBreakdown]: ...

    async def speed_histogram(self, start: date | None, end: date | None) -> dict[str, list[int]]: ...

    async def sla_daily(self, start: date | None, end: date | None) -> list[SlaDay]: ...


class MetricsUnitOfWork(TransactionPort, Protocol):
    """One transaction over funnel counts, journeys, spend, reasons, the feed, the inbox and the outbox."""

    @property
    def funnel(self) -> FunnelCounts: ...

    @property
    def sources(self) -> LeadSources: ...

    @property
    def timeline(self) -> Journeys: ...

    @property
    def spend(self) -> SpendLedger: ...

    @property
    def reasons(self) -> Reasons: ...

    @property
    def feed(self) -> Feed: ...

    @property
    def breakdown(self) -> Breakdowns: ...
