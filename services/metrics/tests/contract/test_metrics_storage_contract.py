"""One contract for the metrics service's storage, run on PostgreSQL and on its memory twin: the twin that
handler tests use cannot drift from the database the service runs on."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta

import pytest

from leadrelay.db.engine import session_factory
from leadrelay.metrics.adapters.memory import MemoryMetricsUnitOfWork, MetricsStore
from leadrelay.metrics.adapters.uow import PostgresMetricsUnitOfWork
from leadrelay.metrics.bootstrap import MIGRATIONS
from leadrelay.metrics.domain.funnel import FunnelEntry
from leadrelay.metrics.domain.report import FeedEntry, FunnelCount, FunnelTotal, ReasonCount, SlaDay, Spend
from leadrelay.metrics.domain.timeline import TimelineChange
from leadrelay.metrics.ports import MetricsUnitOfWork

DAY = date(2026, 11, 2)
T0 = datetime(2026, 11, 2, 9, tzinfo=UTC)


@pytest.fixture(params=["postgres", "memory"])
async def new_uow(request, open_database) -> Callable[[], MetricsUnitOfWork]:
    if request.param == "memory":
        store = MetricsStore()
        return lambda: MemoryMetricsUnitOfWork(store)
    sessions = session_factory(await open_database("metrics", MIGRATIONS))
    return lambda: PostgresMetricsUnitOfWork(sessions)


def minutes(n: float) -> timedelta:
    return timedelta(minutes=n)


async def journeys(new_uow, changes: dict[str, TimelineChange]) -> None:
    async with new_uow() as uow:
        await uow.timeline.apply_many(changes)
        await uow.commit()


async def test_funnel_counts_add_up_and_read_by_period_source_and_queue(new_uow):
    captured, handed = FunnelEntry("captured", source="form"), FunnelEntry("handed_off", "sql", "form", "smb")
    for _ in range(2):
        async with new_uow() as uow:
            await uow.funnel.add_counts({(DAY, captured): 2, (DAY + timedelta(days=1), handed): 1})
            await uow.commit()
    async with new_uow() as uow:
        await uow.funnel.add_counts({(DAY, captured): 100})  # not committed
    async with new_uow() as uow:
        assert await uow.funnel.rows(None, None, None, None) == [
            FunnelCount(DAY, "captured", "", "form", "", 4),
            FunnelCount(DAY + timedelta(days=1), "handed_off", "sql", "form", "smb", 2),
        ]
        assert [r.step for r in await uow.funnel.rows(DAY + timedelta(days=1), None, None, None)] == [
            "handed_off"
        ]
        assert [r.step for r in await uow.funnel.rows(None, DAY, None, None)] == ["captured"]
        assert [r.step for r in await uow.funnel.rows(None, None, None, "smb")] == ["handed_off"]
        assert await uow.funnel.rows(None, None, "chat", None) == []
        assert sorted(await uow.funnel.totals_by_labels(), key=lambda t: t.step) == [
            FunnelTotal("captured", "", "form", "", 4),
            FunnelTotal("handed_off", "sql", "form", "smb", 2),
        ]


async def test_a_leads_first_source_is_kept_until_it_is_forgotten(new_uow):
    async with new_uow() as uow:
        await uow.sources.remember_many({"a": "form", "b": "chat"})
        await uow.sources.remember_many({"a": "import"})
        await uow.commit()
    async with new_uow() as uow:
        assert await uow.sources.sources_of({"a", "b", "c"}) == {"a": "form", "b": "chat"}
        assert await uow.sources.sources_of(set()) == {}
        await uow.sources.forget("a")
        await uow.commit()
    async with new_uow() as uow:
        assert await uow.sources.sources_of({"a", "b"}) == {"b": "chat"}


async def test_a_journey_keeps_its_first_times_and_its_latest_outcome(new_uow):
    await journeys(new_uow, {"a": TimelineChange(first={"captured_at": T0, "source": "", "queue": ""})})
    await journeys(
        new_uow,
        {
            "a": TimelineChange(
                first={"captured_at": T0 + minutes(5), "source": "form", "handed_off_at": T0 + minutes(1)},
                latest={"outcome": "lost", "outcome_at": T0 + minutes(9), "value": None},
            )
        },
    )
    await journeys(
        new_uow,
        {"a": TimelineChange(latest={"outcome": "won", "outcome_at": T0 + minutes(10), "value": 99.999})},
    )
    async with new_uow() as uow:
        everyone = await uow.timeline.summary(None, None)
        assert (everyone.leads, everyone.handed_off, everyone.won, everyone.lost) == (1, 1, 1, 0)
        assert everyone.routing_p50_s == 60.0  # the first captured time stayed
        assert everyone.revenue == 100.0  # money is kept to the cent
        assert (await uow.timeline.summary(None, None, source="form")).leads == 1  # '' counts as empty
        assert (await uow.timeline.summary(None, None, queue="smb")).leads == 0


async def test_a_periods_summary_counts_steps_times_and_value_of_the_leads_captured_in_it(new_uow):
    leads = {
        "fast": TimelineChange(
            first={
                "captured_at": T0,
                "source": "form",
                "queue": "smb",
                "mql_at": T0,
                "sql_at": T0,
                "handed_off_at": T0 + minutes(1),
                "contacted_at": T0 + minutes(11),
                "breached_at": T0 + minutes(30),
            },
            latest={"outcome": "won", "outcome_at": T0 + timedelta(days=2), "value": 1000.10},
        ),
        "late": TimelineChange(
            first={
                "captured_at": T0 + minutes(2),
                "source": "chat",
                "queue": "smb",
                "mql_at": T0,
                "handed_off_at": T0 + minutes(5),
                "breached_at": T0 + minutes(35),
                "contacted_at": T0 + minutes(65),
                "rejected_at": T0 + minutes(70),
            },
            latest={"outcome": "won", "outcome_at": T0 + timedelta(days=4), "value": 500.20},
        ),
        "open": TimelineChange(
            first={"captured_at": T0 + minutes(3), "source": "form", "handed_off_at": T0 + minutes(13)}
        ),
        "lost": TimelineChange(
            first={"captured_at": T0 + minutes(4), "source": "form"},
            latest={"outcome": "lost", "outcome_at": T0 + timedelta(days=1), "value": None},
        ),
        "next day": TimelineChange(first={"captured_at": T0 + timedelta(days=1), "source": "form"}),
        "never captured": TimelineChange(first={"handed_off_at": T0}),
    }
    await journeys(new_uow, leads)
    async with new_uow() as uow:
        day = await uow.timeline.summary(DAY, DAY)
        assert (day.leads, day.mql, day.sql, day.handed_off, day.contacted, day.breached, day.rejected) == (
            4,
            2,
            1,
            3,
            2,
            2,
            1,
        )
        assert (day.won, day.lost, day.contacted_in_time, day.sla_decided) == (2, 1, 1, 2)
        assert day.routing_p50_s == pytest.approx(180.0) and day.routing_p95_s == pytest.approx(558.0)
        assert day.rep_p50_s == pytest.approx(2100.0) and day.rep_p95_s == pytest.approx(3450.0)
        assert day.cycle_days_avg == pytest.approx(3.0 - 1 / 1440) and day.cycle_days_p50 == pytest.approx(
            3.0 - 1 / 1440
        )
        assert day.revenue == pytest.approx(1500.30) and day.value_per_customer == pytest.approx(750.15)
        assert (await uow.timeline.summary(None, None)).leads == 5
        assert (await uow.timeline.summary(DAY + timedelta(days=1), None)).leads == 1
        chat = await uow.timeline.summary(DAY, DAY, source="chat", queue="smb")
        assert (chat.leads, chat.won, chat.contacted_in_time, chat.revenue) == (1, 1, 0, pytest.approx(500.2))
        empty = await uow.timeline.summary(DAY - timedelta(days=9), DAY - timedelta(days=9))
        assert (empty.leads, empty.revenue, empty.routing_p50_s, empty.value_per_customer) == (
            0,
            0.0,
            None,
            None,
        )
        await uow.timeline.forget("fast")
        await uow.commit()
    async with new_uow() as uow:
        assert (await uow.timeline.summary(DAY, DAY)).leads == 3


async def test_breakdowns_by_source_speed_bucket_and_handoff_day(new_uow):
    await journeys(
        new_uow,
        {
            "a": TimelineChange(
                first={
                    "captured_at": T0,
                    "source": "form",
                    "sql_at": T0,
                    "handed_off_at": T0 + timedelta(seconds=30),
                    "contacted_at": T0 + minutes(20),
                },
                latest={"outcome": "won", "outcome_at": T0 + timedelta(days=1), "value": 10.05},
            ),
            "b": TimelineChange(
                first={
                    "captured_at": T0,
                    "source": "form",
                    "handed_off_at": T0 + timedelta(hours=30),
                    "breached_at": T0 + timedelta(hours=31),
                },
            ),
            "c": TimelineChange(
                first={"captured_at": T0, "source": "chat", "handed_off_at": T0 + minutes(1)}
            ),
            "d": TimelineChange(first={"captured_at": T0 - timedelta(days=5), "source": "chat"}),
        },
    )
    async with new_uow() as uow:
        by_source = await uow.breakdown.sources(DAY, DAY)
        assert [(s.source, s.leads, s.sql, s.won, s.revenue) for s in by_source] == [
            ("form", 2, 1, 1, 10.05),
            ("chat", 1, 0, 0, 0.0),
        ]
        assert [s.source for s in await uow.breakdown.sources(None, None)] == [
            "chat",
            "form",
        ]  # a tie: by name
        histogram = await uow.breakdown.speed_histogram(DAY, DAY)
        assert histogram == {"routing": [1, 1, 0, 0, 0, 0, 0, 1], "rep": [0, 0, 0, 1, 0, 0, 0, 0]}
        # by the day of the handoff: b was handed off the day after it was captured
        assert await uow.breakdown.sla_daily(DAY, DAY) == [
            SlaDay(DAY, 1, 1.0),
            SlaDay(DAY + timedelta(days=1), 1, 0.0),
        ]


async def test_spend_is_kept_to_the_cent_and_totalled_by_period_source_and_campaign(new_uow):
    entries = [
        Spend("ads", "spring", DAY, DAY + timedelta(days=6), 100.10, "EUR"),
        Spend("ads", "", DAY + timedelta(days=7), DAY + timedelta(days=13), 0.20, "EUR"),
        Spend("events", "", DAY - timedelta(days=7), DAY - timedelta(days=1), 50.004, "EUR"),
    ]
    async with new_uow() as uow:
        await uow.spend.add(entries, T0)
        await uow.commit()
    async with new_uow() as uow:
        assert await uow.spend.total(None, None, None, None) == pytest.approx(150.30)
        assert await uow.spend.total(DAY, None, None, None) == pytest.approx(100.30)
        assert await uow.spend.total(DAY, DAY + timedelta(days=6), None, None) == pytest.approx(100.10)
        assert await uow.spend.total(None, None, "ads", "spring") == pytest.approx(100.10)
        assert await uow.spend.total(None, None, "web", None) == 0.0
        recorded = await uow.spend.all()
        assert [(s.source, s.amount, s.recorded_at) for s in recorded] == [
            ("events", 50.0, T0),
            ("ads", 100.1, T0),
            ("ads", 0.2, T0),
        ]
        assert len({s.id for s in recorded}) == 3


async def test_reasons_rank_by_count_then_name_within_a_kind_and_period(new_uow):
    async with new_uow() as uow:
        await uow.reasons.add_counts(
            {(DAY, "lost", "price"): 2, (DAY, "lost", "budget"): 2, (DAY, "rejected", "spam"): 5}
        )
        await uow.reasons.add_counts(
            {(DAY + timedelta(days=1), "lost", "timing"): 3, (DAY, "lost", "price"): 1}
        )
        await uow.commit()
    async with new_uow() as uow:
        assert await uow.reasons.top(None, None, "lost") == [
            ReasonCount("price", 3),
            ReasonCount("timing", 3),
            ReasonCount("budget", 2),
        ]
        assert await uow.reasons.top(DAY, DAY, "lost", limit=1) == [ReasonCount("price", 3)]
        assert await uow.reasons.top(None, None, "rejected") == [ReasonCount("spam", 5)]


async def test_the_feed_keeps_each_event_once_in_order_and_only_the_newest_thousand(new_uow):
    first = [
        FeedEntry(f"e{i}", T0 + timedelta(seconds=i), "handoff", {"queue": "smb", "n": i}) for i in range(3)
    ]
    async with new_uow() as uow:
        await uow.feed.add_many(first)
        await uow.feed.add_many(first[:1])  # a redelivered event
        await uow.commit()
    async with new_uow() as uow:
        items = await uow.feed.after(0, 10)
        assert [(i.kind, i.detail["n"], i.at) for i in items] == [
            ("handoff", n, T0 + timedelta(seconds=n)) for n in (2, 1, 0)
        ]
        assert items[0].id > items[1].id > items[2].id
        assert [i.detail["n"] for i in await uow.feed.after(items[2].id, 1)] == [2]
        more = [FeedEntry(f"m{i}", T0, "breach", {"n": 3 + i}) for i in range(1_000)]
        await uow.feed.add_many(more)
        await uow.commit()
    async with new_uow() as uow:
        kept = await uow.feed.after(0, 5_000)
        assert len(kept) == 1_000 and kept[-1].detail["n"] == 3 and kept[0].detail["n"] == 1_002
