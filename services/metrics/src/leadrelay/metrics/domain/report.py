"""What the metrics store answers: funnel counts, a period's journey figures, spend, reasons, the live feed
and breakdowns per source and per day."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

SPEED_BUCKETS = (60, 300, 900, 1800, 3600, 4 * 3600, 24 * 3600)  # seconds; the last bucket is open-ended


@dataclass(frozen=True, slots=True)
class FunnelCount:
    """Events of one funnel step on one day, by the lead's stage, source and queue where they apply."""

    day: date
    step: str
    stage: str
    source: str
    queue: str
    count: int


@dataclass(frozen=True, slots=True)
class FunnelTotal:
    """All-time events of one funnel step by stage, source and queue (Prometheus' labels)."""

    step: str
    stage: str
    source: str
    queue: str
    count: int


@dataclass(frozen=True, slots=True)
class JourneySummary:
    """Counts, speed to lead, SLA and value over the leads captured in a period."""

    leads: int
    mql: int
    sql: int
    handed_off: int
    contacted: int
    breached: int
    rejected: int
    won: int
    lost: int
    contacted_in_time: int
    sla_decided: int
    routing_p50_s: float | None
    routing_p95_s: float | None
    rep_p50_s: float | None
    rep_p95_s: float | None
    cycle_days_avg: float | None
    cycle_days_p50: float | None
    revenue: float
    value_per_customer: float | None


@dataclass(frozen=True, slots=True)
class Spend:
    """Marketing spend of a source (and campaign, "" for all) over a period."""

    source: str
    campaign: str
    period_start: date
    period_end: date
    amount: float
    currency: str


@dataclass(frozen=True, slots=True)
class RecordedSpend:
    """A stored spend entry."""

    id: int
    source: str
    campaign: str
    period_start: date
    period_end: date
    amount: float
    currency: str
    recorded_at: datetime


@dataclass(frozen=True, slots=True)
class ReasonCount:
    """How often leads were lost or rejected for one reason."""

    reason: str
    count: int


@dataclass(frozen=True, slots=True)
class FeedEntry:
    """A handoff or breach for the live feed: the event it came from, when, what, and its detail (no lead data)."""

    event_id: str
    at: datetime
    kind: str
    detail: dict[str, Any]


@dataclass(frozen=True, slots=True)
class FeedItem:
    """A stored feed entry; ids rise with time."""

    id: int
    at: datetime
    kind: str
    detail: dict[str, Any]


@dataclass(frozen=True, slots=True)
class SourceBreakdown:
    """Leads, sql, won and revenue of one source."""

    source: str | None
    leads: int
    sql: int
    won: int
    revenue: float


@dataclass(frozen=True, slots=True)
class SlaDay:
    """Handoffs of one day decided (contacted or breached), and the share contacted in time."""

    day: date
    decided: int
    compliance: float | None
