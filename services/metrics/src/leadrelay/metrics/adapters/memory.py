"""The metrics service's storage in memory: the twin of PostgreSQL's for handler tests (tests/contract runs
the same suite on both). Journeys are rows of the journey table's columns; the read-side figures are
computed the way the SQL does (NULLs ignored, percentiles interpolated, money to the cent)."""

from __future__ import annotations

from bisect import bisect_right
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from statistics import mean
from typing import Any

from leadrelay.db.memory import MemoryUnitOfWork, MessagingState, percentile
from leadrelay.metrics.domain.funnel import FunnelEntry
from leadrelay.metrics.domain.report import (
    SPEED_BUCKETS,
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

FEED_KEPT = 1_000
TEXT_COLUMNS = ("source", "campaign", "form", "queue", "owner")  # '' when unknown, as in the table
Journey = dict[str, Any]  # a lead's journey: its column values


@dataclass
class MetricsStore:
    """Everything the metrics service keeps, and the messaging tables."""

    funnel: Counter[tuple[date, str, str, str, str]] = field(default_factory=Counter)
    sources: dict[str, str] = field(default_factory=dict)
    journeys: dict[str, Journey] = field(default_factory=dict)
    spend: list[RecordedSpend] = field(default_factory=list)
    reasons: Counter[tuple[date, str, str]] = field(default_factory=Counter)
    feed: list[FeedItem] = field(default_factory=list)
    feed_event_ids: set[str] = field(default_factory=set)
    last_feed_id: int = 0
    messaging: MessagingState = field(default_factory=MessagingState)


def _cents(value: float | None) -> float | None:
    """A money value as numeric(14, 2) keeps it."""
    return None if value is None else round(float(value), 2)


def _seconds(later: datetime | None, earlier: datetime | None) -> float | None:
    return None if later is None or earlier is None else (later - earlier).total_seconds()


def _captured_in(journeys: Mapping[str, Journey], start: date | None, end: date | None) -> list[Journey]:
    """The journeys of leads captured in [start, end] (whole UTC days)."""
    low = datetime.combine(start, time.min, UTC) if start else None
    high = datetime.combine(end + timedelta(days=1), time.min, UTC) if end else None
    return [
        j
        for j in journeys.values()
        if (at := j["captured_at"]) is not None and (low is None or at >= low) and (high is None or at < high)
    ]


def _contacted_in_time(journey: Journey) -> bool:
    contacted, breached = journey["contacted_at"], journey["breached_at"]
    return contacted is not None and (breached is None or contacted <= breached)


def _decided(journey: Journey) -> bool:
    return journey["contacted_at"] is not None or journey["breached_at"] is not None


def _count(journeys: list[Journey], test: Callable[[Journey], bool]) -> int:
    return sum(1 for j in journeys if test(j))


def _avg(values: list[float | None]) -> float | None:
    present = [v for v in values if v is not None]
    return mean(present) if present else None


def _money(values: list[float]) -> float:
    """A sum of money as numeric adds it: to the cent, without binary rounding."""
    return float(sum((Decimal(str(v)) for v in values), Decimal(0)))


def _money_avg(values: list[float]) -> float | None:
    return _money(values) / len(values) if values else None


class MemoryFunnel:
    """Funnel counts in a Counter."""

    def __init__(self, store: MetricsStore) -> None:
        self._store = store

    async def add_counts(self, counts: Mapping[tuple[date, FunnelEntry], int]) -> None:
        """Add to several counts."""
        for (day, e), n in counts.items():
            self._store.funnel[(day, e.step, e.stage, e.source, e.queue)] += n

    async def rows(
        self, start: date | None, end: date | None, source: str | None, queue: str | None
    ) -> list[FunnelCount]:
        """Return count rows in [start, end], optionally for one source or queue, by day and step."""
        rows = [
            FunnelCount(day, step, stage, row_source, row_queue, n)
            for (day, step, stage, row_source, row_queue), n in self._store.funnel.items()
            if (not start or day >= start)
            and (not end or day <= end)
            and (not source or row_source == source)
            and (not queue or row_queue == queue)
        ]
        return sorted(rows, key=lambda r: (r.day, r.step))

    async def totals_by_labels(self) -> list[FunnelTotal]:
        """Return all-time counts grouped by step, stage, source and queue."""
        totals: Counter[tuple[str, str, str, str]] = Counter()
        for (_, step, stage, source, queue), n in self._store.funnel.items():
            totals[(step, stage, source, queue)] += n
        return [FunnelTotal(*labels, count=n) for labels, n in totals.items()]


class MemoryLeadSources:
    """Leads' sources in a dict."""

    def __init__(self, store: MetricsStore) -> None:
        self._sources = store.sources

    async def remember_many(self, sources: Mapping[str, str]) -> None:
        """Store several leads' sources (the first one recorded wins)."""
        for lead_id, source in sources.items():
            self._sources.setdefault(lead_id, source)

    async def sources_of(self, lead_ids: set[str]) -> dict[str, str]:
        """Return the known sources of those leads."""
        return {lead: self._sources[lead] for lead in lead_ids if lead in self._sources}

    async def forget(self, lead_id: str) -> None:
        """Drop an erased lead's source."""
        self._sources.pop(lead_id, None)


class MemoryJourneys:
    """Journeys in a dict of rows."""

    def __init__(self, store: MetricsStore) -> None:
        self._journeys = store.journeys

    async def apply_many(self, changes: Mapping[str, TimelineChange]) -> None:
        """Apply one change per lead: `first` values fill only empty columns, `latest` ones replace."""
        for lead_id, change in changes.items():
            if not (change.first or change.latest):
                continue
            journey = self._journeys.setdefault(lead_id, _empty_journey())
            for name, value in change.first.items():
                if journey[name] in (None, ""):
                    journey[name] = value
            journey.update(change.latest)
            journey["value"] = _cents(journey["value"])

    async def forget(self, lead_id: str) -> None:
        """Delete an erased lead's journey."""
        self._journeys.pop(lead_id, None)

    async def summary(self, start: date | None, end: date | None, **dimensions: str | None) -> JourneySummary:
        """Counts, speed to lead, SLA and value over the leads captured in [start, end]."""
        rows = [
            j
            for j in _captured_in(self._journeys, start, end)
            if all(j[name] == value for name, value in dimensions.items() if value)
        ]
        won = [j for j in rows if j["outcome"] == "won"]
        routing = [_seconds(j["handed_off_at"], j["captured_at"]) for j in rows]
        rep = [_seconds(j["contacted_at"], j["handed_off_at"]) for j in rows]
        cycle = [
            None if (s := _seconds(j["outcome_at"], j["captured_at"])) is None else s / 86400 for j in won
        ]
        values = [j["value"] for j in won if j["value"] is not None]
        return JourneySummary(
            leads=len(rows),
            **{step: sum(1 for j in rows if j[f"{step}_at"] is not None) for step in _STEPS},
            won=len(won),
            lost=_count(rows, lambda j: j["outcome"] == "lost"),
            contacted_in_time=_count(rows, _contacted_in_time),
            sla_decided=_count(rows, _decided),
            routing_p50_s=percentile(routing, 0.5),
            routing_p95_s=percentile(routing, 0.95),
            rep_p50_s=percentile(rep, 0.5),
            rep_p95_s=percentile(rep, 0.95),
            cycle_days_avg=_avg(cycle),
            cycle_days_p50=percentile(cycle, 0.5),
            revenue=_money(values),
            value_per_customer=_money_avg(values),
        )


_STEPS = ("mql", "sql", "handed_off", "contacted", "breached", "rejected")
_JOURNEY_TIMES = ("captured_at", *(f"{s}_at" for s in _STEPS), "outcome_at")


def _empty_journey() -> Journey:
    return {
        **dict.fromkeys(TEXT_COLUMNS, ""),
        **dict.fromkeys(_JOURNEY_TIMES),
        "outcome": None,
        "value": None,
    }


class MemorySpend:
    """Spend entries in a list."""

    def __init__(self, store: MetricsStore) -> None:
        self._store = store

    async def add(self, entries: list[Spend], now: datetime) -> None:
        """Record spend entries."""
        for entry in entries:
            self._store.spend.append(
                RecordedSpend(
                    id=len(self._store.spend) + 1,
                    **{**asdict(entry), "amount": _cents(entry.amount)},
                    recorded_at=now,
                )
            )

    async def total(
        self, start: date | None, end: date | None, source: str | None, campaign: str | None
    ) -> float:
        """Return the spend whose period lies within [start, end], for a source or campaign if given."""
        return _money(
            [
                s.amount
                for s in self._store.spend
                if (not start or s.period_start >= start)
                and (not end or s.period_end <= end)
                and (not source or s.source == source)
                and (not campaign or s.campaign == campaign)
            ]
        )

    async def all(self) -> list[RecordedSpend]:
        """Return every spend entry."""
        return sorted(self._store.spend, key=lambda s: (s.period_start, s.id))


class MemoryReasons:
    """Reason counts in a Counter."""

    def __init__(self, store: MetricsStore) -> None:
        self._counts = store.reasons

    async def add_counts(self, counts: Mapping[tuple[date, str, str], int]) -> None:
        """Add to several reasons' counts."""
        self._counts.update(counts)

    async def top(
        self, start: date | None, end: date | None, kind: str, limit: int = 10
    ) -> list[ReasonCount]:
        """Return the most frequent reasons of a kind in [start, end]."""
        totals: Counter[str] = Counter()
        for (day, row_kind, reason), n in self._counts.items():
            if row_kind == kind and (not start or day >= start) and (not end or day <= end):
                totals[reason] += n
        ranked = sorted(totals.items(), key=lambda item: (-item[1], item[0]))
        return [ReasonCount(reason, n) for reason, n in ranked[:limit]]


class MemoryFeed:
    """The live feed in a list, oldest first."""

    def __init__(self, store: MetricsStore) -> None:
        self._store = store

    async def add_many(self, entries: list[FeedEntry]) -> None:
        """Append entries in order (an event once) and keep the newest 1,000."""
        store = self._store
        for entry in entries:
            if entry.event_id not in store.feed_event_ids:
                store.feed_event_ids.add(entry.event_id)
                store.last_feed_id += 1
                store.feed.append(FeedItem(store.last_feed_id, entry.at, entry.kind, entry.detail))
        store.feed = store.feed[-FEED_KEPT:]

    async def after(self, after_id: int, limit: int) -> list[FeedItem]:
        """Return items newer than after_id, newest first."""
        return [item for item in reversed(self._store.feed) if item.id > after_id][:limit]


class MemoryBreakdowns:
    """Views over the journeys in memory."""

    def __init__(self, store: MetricsStore) -> None:
        self._journeys = store.journeys

    async def sources(self, start: date | None, end: date | None) -> list[SourceBreakdown]:
        """Leads, sql, won and revenue per source, the most leads first."""
        by_source: dict[str, list[Journey]] = {}
        for journey in _captured_in(self._journeys, start, end):
            by_source.setdefault(journey["source"], []).append(journey)
        rows = []
        for source, journeys in by_source.items():
            won = [j for j in journeys if j["outcome"] == "won"]
            revenue = _money([j["value"] for j in won if j["value"] is not None])
            sql = _count(journeys, lambda j: j["sql_at"] is not None)
            rows.append(SourceBreakdown(source, len(journeys), sql, len(won), revenue))
        return sorted(rows, key=lambda r: (-r.leads, r.source or ""))

    async def speed_histogram(self, start: date | None, end: date | None) -> dict[str, list[int]]:
        """Counts of routing time and rep time per bucket of SPEED_BUCKETS."""
        bounds = (0, *SPEED_BUCKETS)
        histogram = {}
        for part, (later, earlier) in {
            "routing": ("handed_off_at", "captured_at"),
            "rep": ("contacted_at", "handed_off_at"),
        }.items():
            counts = [0] * len(bounds)
            for journey in _captured_in(self._journeys, start, end):
                seconds = _seconds(journey[later], journey[earlier])
                if seconds is not None:
                    counts[min(max(bisect_right(bounds, seconds), 1), len(counts)) - 1] += 1
            histogram[part] = counts
        return histogram

    async def sla_daily(self, start: date | None, end: date | None) -> list[SlaDay]:
        """Per day of handoff (UTC): handoffs decided and the share contacted in time."""
        days: dict[date, list[Journey]] = {}
        for journey in _captured_in(self._journeys, start, end):
            if journey["handed_off_at"] is not None:
                days.setdefault(journey["handed_off_at"].astimezone(UTC).date(), []).append(journey)
        rows = []
        for day in sorted(days):
            decided = _count(days[day], _decided)
            in_time = _count(days[day], _contacted_in_time)
            rows.append(SlaDay(day, decided, round(in_time / decided, 4) if decided else None))
        return rows


class MemoryMetricsUnitOfWork(MemoryUnitOfWork):
    """A transaction over a MetricsStore."""

    funnel: MemoryFunnel
    sources: MemoryLeadSources
    timeline: MemoryJourneys
    spend: MemorySpend
    reasons: MemoryReasons
    feed: MemoryFeed
    breakdown: MemoryBreakdowns

    def __init__(self, store: MetricsStore) -> None:
        super().__init__(store)

    def _open_repositories(self) -> None:
        working: MetricsStore = self.working
        self.funnel = MemoryFunnel(working)
        self.sources = MemoryLeadSources(working)
        self.timeline = MemoryJourneys(working)
        self.spend = MemorySpend(working)
        self.reasons = MemoryReasons(working)
        self.feed = MemoryFeed(working)
        self.breakdown = MemoryBreakdowns(working)
