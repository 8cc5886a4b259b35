"""Funnel counts and the lead -> source map used to attribute later events."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from functools import cache
from typing import Any

import asyncpg
from sqlalchemy import Numeric, String, and_, delete, func, or_, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from leadrelay.db.arrays import unnest_insert
from leadrelay.db.engine import json_text
from leadrelay.metrics.adapters.orm import feed, funnel_counts, lead_sources, lead_timeline, reasons, spend
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

# The consumer's statements run on the driver (prepared once per connection, rows bound as arrays): through
# SQLAlchemy, building and executing them cost more than the rest of a batch.
ADD_FUNNEL_COUNTS = """
INSERT INTO funnel_counts (day, step, stage, source, queue, count)
SELECT * FROM unnest($1::date[], $2::text[], $3::text[], $4::text[], $5::text[], $6::bigint[])
ON CONFLICT (day, step, stage, source, queue) DO UPDATE SET count = funnel_counts.count + EXCLUDED.count
"""
ADD_REASON_COUNTS = """
INSERT INTO reasons (day, kind, reason, count)
SELECT * FROM unnest($1::date[], $2::text[], $3::text[], $4::bigint[])
ON CONFLICT (day, kind, reason) DO UPDATE SET count = reasons.count + EXCLUDED.count
"""
REMEMBER_SOURCES = "INSERT INTO lead_sources (lead_id, source) SELECT * FROM unnest($1::text[], $2::text[]) ON CONFLICT DO NOTHING"
SOURCES_OF = "SELECT lead_id, source FROM lead_sources WHERE lead_id = ANY($1::text[])"
# Ids follow the items' order (the feed is read newest first).
ADD_FEED_ITEMS = """
INSERT INTO feed (event_id, at, kind, detail)
SELECT event_id, at, kind, detail
FROM unnest($1::text[], $2::timestamptz[], $3::text[], $4::jsonb[]) WITH ORDINALITY
    AS i(event_id, at, kind, detail, n)
ORDER BY n
ON CONFLICT DO NOTHING
"""
TRIM_FEED = "DELETE FROM feed WHERE id <= (SELECT id FROM feed ORDER BY id DESC OFFSET 1000 LIMIT 1)"


@cache
def _apply_timeline_sql(first: tuple[str, ...], latest: tuple[str, ...]) -> str:
    """The upsert of one shape of timeline change: `first` columns fill only empty values, `latest` replace."""
    columns = ("lead_id", *first, *latest)
    sets = [
        f"{name} = coalesce(nullif(lead_timeline.{name}, ''), EXCLUDED.{name})"
        if isinstance(lead_timeline.c[name].type, String)
        else f"{name} = coalesce(lead_timeline.{name}, EXCLUDED.{name})"
        for name in first
    ] + [f"{name} = EXCLUDED.{name}" for name in latest]
    return unnest_insert(
        "lead_timeline",
        [(name, _array_type(name)) for name in columns],
        then=f"ON CONFLICT (lead_id) DO UPDATE SET {', '.join(sets)}",
    )


def _array_type(column: str) -> str:
    """The PostgreSQL type of a timeline column, for its array parameter."""
    kind = lead_timeline.c[column].type
    if isinstance(kind, String):
        return "text"
    if isinstance(kind, Numeric):
        return "numeric"
    return "timestamptz"


class FunnelRepository:
    """Counts per day, step, stage, source and queue."""

    def __init__(self, session: AsyncSession, conn: asyncpg.Connection) -> None:
        self._session = session
        self._conn = conn

    async def add_counts(self, counts: Mapping[tuple[date, FunnelEntry], int]) -> None:
        """Add to several counts in one statement."""
        if counts:
            keys = list(counts)
            await self._conn.execute(
                ADD_FUNNEL_COUNTS,
                [day for day, _ in keys],
                [e.step for _, e in keys],
                [e.stage for _, e in keys],
                [e.source for _, e in keys],
                [e.queue for _, e in keys],
                list(counts.values()),
            )

    async def rows(
        self, start: date | None, end: date | None, source: str | None, queue: str | None
    ) -> list[FunnelCount]:
        """Return count rows in [start, end], optionally for one source or queue."""
        stmt = select(funnel_counts).order_by(funnel_counts.c.day, funnel_counts.c.step)
        if start:
            stmt = stmt.where(funnel_counts.c.day >= start)
        if end:
            stmt = stmt.where(funnel_counts.c.day <= end)
        if source:
            stmt = stmt.where(funnel_counts.c.source == source)
        if queue:
            stmt = stmt.where(funnel_counts.c.queue == queue)
        return [FunnelCount(**r) for r in (await self._session.execute(stmt)).mappings()]

    async def totals_by_labels(self) -> list[FunnelTotal]:
        """Return all-time counts grouped by step, stage, source and queue (for Prometheus)."""
        stmt = select(
            funnel_counts.c.step,
            funnel_counts.c.stage,
            funnel_counts.c.source,
            funnel_counts.c.queue,
            func.sum(funnel_counts.c.count).label("count"),
        ).group_by(funnel_counts.c.step, funnel_counts.c.stage, funnel_counts.c.source, funnel_counts.c.queue)
        return [FunnelTotal(**r) for r in (await self._session.execute(stmt)).mappings()]


class LeadSourceRepository:
    """Which source each lead came from."""

    def __init__(self, session: AsyncSession, conn: asyncpg.Connection) -> None:
        self._session = session
        self._conn = conn

    async def remember_many(self, sources: Mapping[str, str]) -> None:
        """Store several leads' sources (lead id -> source; first one wins)."""
        if sources:
            await self._conn.execute(REMEMBER_SOURCES, list(sources), list(sources.values()))

    async def sources_of(self, lead_ids: set[str]) -> dict[str, str]:
        """Return the known sources of those leads."""
        if not lead_ids:
            return {}
        return {lead: source for lead, source in await self._conn.fetch(SOURCES_OF, list(lead_ids))}

    async def forget(self, lead_id: str) -> None:
        """Drop an erased lead's link."""
        await self._session.execute(delete(lead_sources).where(lead_sources.c.lead_id == lead_id))


class TimelineRepository:
    """Each lead's journey, and KPIs over the leads captured in a period."""

    def __init__(self, session: AsyncSession, conn: asyncpg.Connection) -> None:
        self._session = session
        self._conn = conn

    async def apply_many(self, changes: Mapping[str, TimelineChange]) -> None:
        """Apply one change per lead; leads whose changes touch the same columns share one statement."""
        groups: dict[tuple[tuple[str, ...], tuple[str, ...]], list[tuple[object, ...]]] = {}
        for lead_id, change in changes.items():
            if change.first or change.latest:
                first, latest = tuple(sorted(change.first)), tuple(sorted(change.latest))
                values = (lead_id, *(change.first[c] for c in first), *(change.latest[c] for c in latest))
                groups.setdefault((first, latest), []).append(values)
        for (first, latest), rows in groups.items():
            columns = zip(*rows, strict=True)
            await self._conn.execute(
                _apply_timeline_sql(first, latest), *(list(column) for column in columns)
            )

    async def forget(self, lead_id: str) -> None:
        """Delete an erased lead's journey (the day counts stay)."""
        await self._session.execute(delete(lead_timeline).where(lead_timeline.c.lead_id == lead_id))

    async def summary(self, start: date | None, end: date | None, **dimensions: str | None) -> JourneySummary:
        """Counts, speed to lead, SLA and value over the leads captured in [start, end]."""
        t = lead_timeline.c
        seconds = lambda a, b: func.extract("epoch", a - b)  # noqa: E731
        routing, rep = seconds(t.handed_off_at, t.captured_at), seconds(t.contacted_at, t.handed_off_at)
        cycle_days = seconds(t.outcome_at, t.captured_at) / 86400
        won = t.outcome == "won"
        in_time = and_(
            t.contacted_at.is_not(None), or_(t.breached_at.is_(None), t.contacted_at <= t.breached_at)
        )
        stmt = select(
            func.count().label("leads"),
            func.count(t.mql_at).label("mql"),
            func.count(t.sql_at).label("sql"),
            func.count(t.handed_off_at).label("handed_off"),
            func.count(t.contacted_at).label("contacted"),
            func.count(t.breached_at).label("breached"),
            func.count(t.rejected_at).label("rejected"),
            func.count().filter(won).label("won"),
            func.count().filter(t.outcome == "lost").label("lost"),
            func.count().filter(in_time).label("contacted_in_time"),
            func.count()
            .filter(or_(t.contacted_at.is_not(None), t.breached_at.is_not(None)))
            .label("sla_decided"),
            func.percentile_cont(0.5).within_group(routing).label("routing_p50_s"),
            func.percentile_cont(0.95).within_group(routing).label("routing_p95_s"),
            func.percentile_cont(0.5).within_group(rep).label("rep_p50_s"),
            func.percentile_cont(0.95).within_group(rep).label("rep_p95_s"),
            func.avg(cycle_days).filter(won).label("cycle_days_avg"),
            func.percentile_cont(0.5).within_group(cycle_days).filter(won).label("cycle_days_p50"),
            func.coalesce(func.sum(t.value).filter(won), 0).label("revenue"),
            func.avg(t.value).filter(won).label("value_per_customer"),
        ).where(t.captured_at.is_not(None))
        if start:
            stmt = stmt.where(t.captured_at >= datetime.combine(start, time.min, UTC))
        if end:
            stmt = stmt.where(t.captured_at < datetime.combine(end + timedelta(days=1), time.min, UTC))
        for name, value in dimensions.items():
            if value:
                stmt = stmt.where(lead_timeline.c[name] == value)
        row = (await self._session.execute(stmt)).mappings().one()
        return JourneySummary(**{k: (float(v) if isinstance(v, Decimal) else v) for k, v in row.items()})  # type: ignore[arg-type]


class SpendRepository:
    """Marketing spend per source (and campaign) and period."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add(self, entries: list[Spend], now: datetime) -> None:
        """Record spend entries."""
        await self._session.execute(insert(spend), [{**asdict(e), "recorded_at": now} for e in entries])

    async def total(
        self, start: date | None, end: date | None, source: str | None, campaign: str | None
    ) -> float:
        """Return the spend whose period lies within [start, end], for a source or campaign if given."""
        stmt = select(func.coalesce(func.sum(spend.c.amount), 0))
        if start:
            stmt = stmt.where(spend.c.period_start >= start)
        if end:
            stmt = stmt.where(spend.c.period_end <= end)
        if source:
            stmt = stmt.where(spend.c.source == source)
        if campaign:
            stmt = stmt.where(spend.c.campaign == campaign)
        return float(await self._session.scalar(stmt) or 0)

    async def all(self) -> list[RecordedSpend]:
        """Return every spend entry."""
        rows = await self._session.execute(select(spend).order_by(spend.c.period_start, spend.c.id))
        return [RecordedSpend(**{**r, "amount": float(r["amount"])}) for r in rows.mappings()]


class ReasonRepository:
    """How often leads were lost or rejected, by reason and day."""

    def __init__(self, session: AsyncSession, conn: asyncpg.Connection) -> None:
        self._session = session
        self._conn = conn

    async def add_counts(self, counts: Mapping[tuple[date, str, str], int]) -> None:
        """Add to several reasons' counts in one statement."""
        if counts:
            keys = list(counts)
            await self._conn.execute(
                ADD_REASON_COUNTS,
                [day for day, _, _ in keys],
                [kind for _, kind, _ in keys],
                [reason for _, _, reason in keys],
                list(counts.values()),
            )

    async def top(
        self, start: date | None, end: date | None, kind: str, limit: int = 10
    ) -> list[ReasonCount]:
        """Return the most frequent reasons of a kind in [start, end]."""
        total = func.sum(reasons.c.count).label("count")
        stmt = select(reasons.c.reason, total).where(reasons.c.kind == kind).group_by(reasons.c.reason)
        if start:
            stmt = stmt.where(reasons.c.day >= start)
        if end:
            stmt = stmt.where(reasons.c.day <= end)
        rows = await self._session.execute(stmt.order_by(total.desc(), reasons.c.reason).limit(limit))
        return [ReasonCount(reason=r[0], count=int(r[1])) for r in rows]


class FeedRepository:
    """The latest handoffs and breaches (the newest 1,000 are kept)."""

    def __init__(self, session: AsyncSession, conn: asyncpg.Connection) -> None:
        self._session = session
        self._conn = conn

    async def add_many(self, entries: list[FeedEntry]) -> None:
        """Append entries in order and trim the oldest beyond 1,000."""
        if not entries:
            return
        await self._conn.execute(
            ADD_FEED_ITEMS,
            [e.event_id for e in entries],
            [e.at for e in entries],
            [e.kind for e in entries],
            [json_text(e.detail) for e in entries],
        )
        await self._conn.execute(TRIM_FEED)

    async def after(self, after_id: int, limit: int) -> list[FeedItem]:
        """Return items newer than after_id, newest first."""
        rows = await self._session.execute(
            select(feed.c.id, feed.c.at, feed.c.kind, feed.c.detail)
            .where(feed.c.id > after_id)
            .order_by(feed.c.id.desc())
            .limit(limit)
        )
        return [FeedItem(**r) for r in rows.mappings()]


class BreakdownRepository:
    """Per source, per day and per speed bucket views over the leads captured in a period."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    def _period(self, stmt: Any, start: date | None, end: date | None) -> Any:
        t = lead_timeline.c
        if start:
            stmt = stmt.where(t.captured_at >= datetime.combine(start, time.min, UTC))
        if end:
            stmt = stmt.where(t.captured_at < datetime.combine(end + timedelta(days=1), time.min, UTC))
        return stmt.where(t.captured_at.is_not(None))

    async def sources(self, start: date | None, end: date | None) -> list[SourceBreakdown]:
        """Leads, sql, won and revenue per source."""
        t = lead_timeline.c
        stmt = (
            select(
                t.source,
                func.count().label("leads"),
                func.count(t.sql_at).label("sql"),
                func.count().filter(t.outcome == "won").label("won"),
                func.coalesce(func.sum(t.value).filter(t.outcome == "won"), 0).label("revenue"),
            )
            .group_by(t.source)
            .order_by(func.count().desc(), t.source)
        )
        rows = await self._session.execute(self._period(stmt, start, end))
        return [SourceBreakdown(**{**r, "revenue": float(r["revenue"])}) for r in rows.mappings()]

    async def speed_histogram(self, start: date | None, end: date | None) -> dict[str, list[int]]:
        """Counts of routing time and rep time per bucket of SPEED_BUCKETS."""
        t = lead_timeline.c
        histogram = {}
        for part, (later, earlier) in {
            "routing": (t.handed_off_at, t.captured_at),
            "rep": (t.contacted_at, t.handed_off_at),
        }.items():
            seconds = func.extract("epoch", later - earlier)
            bucket = func.width_bucket(seconds, [0, *SPEED_BUCKETS])
            stmt = select(bucket.label("bucket"), func.count().label("n")).where(
                later.is_not(None), earlier.is_not(None)
            )
            rows = await self._session.execute(self._period(stmt.group_by(bucket), start, end))
            counts = [0] * (len(SPEED_BUCKETS) + 1)
            for row in rows:
                counts[min(max(int(row.bucket), 1), len(counts)) - 1] += int(row.n)
            histogram[part] = counts
        return histogram

    async def sla_daily(self, start: date | None, end: date | None) -> list[SlaDay]:
        """Per day of handoff: handoffs decided (contacted or breached) and the share contacted in time."""
        t = lead_timeline.c
        day = func.date(func.timezone("UTC", t.handed_off_at))
        in_time = and_(
            t.contacted_at.is_not(None), or_(t.breached_at.is_(None), t.contacted_at <= t.breached_at)
        )
        decided = or_(t.contacted_at.is_not(None), t.breached_at.is_not(None))
        stmt = (
            select(
                day.label("day"),
                func.count().filter(decided).label("decided"),
                func.count().filter(in_time).label("in_time"),
            )
            .where(t.handed_off_at.is_not(None))
            .group_by(day)
            .order_by(day)
        )
        rows = await self._session.execute(self._period(stmt, start, end))
        return [
            SlaDay(r.day, r.decided, round(r.in_time / r.decided, 4) if r.decided else None) for r in rows
        ]
