"""The metrics handler on the memory twin of its storage (tests/contract holds the twin to PostgreSQL's
behaviour): each runs in milliseconds, with no database."""

from __future__ import annotations

import copy

from leadrelay.events import new_event
from leadrelay.events.lead import LeadErased
from leadrelay.events.scoring import LeadOutcome
from leadrelay.metrics.adapters.memory import MemoryMetricsUnitOfWork, MetricsStore
from leadrelay.metrics.domain.report import ReasonCount
from leadrelay.metrics.handlers import count_events


async def read(store: MetricsStore):
    async with MemoryMetricsUnitOfWork(store) as uow:
        return (
            await uow.timeline.summary(None, None),
            await uow.funnel.rows(None, None, None, None),
            await uow.reasons.top(None, None, "lost"),
            await uow.feed.after(0, 10),
        )


async def test_a_week_of_three_leads_becomes_counts_journeys_reasons_and_a_feed(script):
    store = MetricsStore()
    await count_events(script, MemoryMetricsUnitOfWork(store))
    summary, rows, lost, feed = await read(store)
    assert (summary.leads, summary.sql, summary.handed_off, summary.contacted, summary.breached) == (
        3,
        2,
        2,
        2,
        1,
    )
    assert (summary.won, summary.lost, summary.contacted_in_time, summary.revenue) == (1, 1, 1, 5000.0)
    assert summary.routing_p50_s == 316.5  # 602 s and 31 s from capture to handoff
    captured = {r.source: r.count for r in rows if r.step == "captured"}
    assert captured == {"web_form": 2, "referral": 1}
    handed = {(r.stage, r.source, r.queue) for r in rows if r.step == "handed_off"}
    assert handed == {
        ("sql", "web_form", "smb"),
        ("sql", "referral", "enterprise"),
    }  # sources follow the lead
    assert lost == [ReasonCount("chose a competitor", 1)]
    assert [item.kind for item in feed] == ["breach", "handoff", "handoff"]
    assert all("email" not in str(item.detail) for item in feed)


async def test_a_redelivered_batch_changes_nothing(script):
    store = MetricsStore()
    await count_events(script, MemoryMetricsUnitOfWork(store))
    before = copy.deepcopy(store)
    await count_events(script[2:7], MemoryMetricsUnitOfWork(store))
    assert await read(store) == await read(before)


async def test_an_erased_lead_loses_its_journey_and_source_but_the_day_counts_stay(script):
    store = MetricsStore()
    await count_events(script, MemoryMetricsUnitOfWork(store))
    erased = new_event(LeadErased(lead_id="A"), source="test", subject="A")
    late = new_event(
        LeadOutcome(lead_id="A", outcome="won", value=10, at=script[0].time), source="test", subject="A"
    )
    await count_events([erased, late], MemoryMetricsUnitOfWork(store))
    summary, rows, _, _ = await read(store)
    assert summary.leads == 2 and summary.won == 0  # a late event rebuilds no captured journey
    assert sum(r.count for r in rows if r.step == "captured") == 3
    assert "A" not in store.sources
