"""The metrics service folds every lead topic into KPI counts, once per event."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from leadrelay.devkit.testing.apps import running
from leadrelay.devkit.testing.kafka import produce
from leadrelay.devkit.testing.keys import VIEWER_KEY, role_keys
from leadrelay.devkit.testing.waiting import wait_until
from leadrelay.events import encode, new_event
from leadrelay.events.handoff import DecisionRef, HandoffBreached, LeadQualified, Owner, SlaTerms
from leadrelay.events.lead import Contact, LeadCaptured
from leadrelay.events.scoring import LeadScored
from leadrelay.metrics.bootstrap import MIGRATIONS, build_app
from leadrelay.metrics.settings import MetricsSettings

NOW = datetime.now(UTC)


@pytest.fixture
async def settings(create_database, kafka_settings, postgres_settings) -> MetricsSettings:
    database = await create_database("metrics", MIGRATIONS)
    return MetricsSettings(
        database=database,
        kafka=kafka_settings,
        postgres=postgres_settings,
        gauge_refresh_interval_s=0.2,
        **role_keys(),
    )


def funnel_events(lead_id: str, source: str, stage: str):
    yield new_event(
        LeadCaptured(
            lead_id=lead_id, source=source, completeness="complete", contact=Contact(email="x@y.co")
        ),
        source="capture",
        subject=lead_id,
    )
    yield new_event(
        LeadScored(
            lead_id=lead_id,
            score=70,
            fit=60,
            engagement=10,
            grade="A2",
            stage=stage,
            ruleset_version="v",
            source=source,
        ),
        source="scoring",
        subject=lead_id,
    )
    if stage == "sql":
        yield new_event(
            LeadQualified(
                handoff_id=f"h-{lead_id}",
                lead_id=lead_id,
                queue="smb",
                owner=Owner(id="r", name="R"),
                score=70,
                grade="A2",
                stage="sql",
                sla=SlaTerms(policy="p", due_at=NOW),
                decision=DecisionRef(trace_id="t", strategy="round_robin"),
                source=source,
            ),
            source="routing",
            subject=lead_id,
        )
        yield new_event(
            HandoffBreached(
                handoff_id=f"h-{lead_id}",
                lead_id=lead_id,
                owner_id="r",
                queue="smb",
                due_at=NOW,
                breached_at=NOW,
                overdue_seconds=1.0,
            ),
            source="sla-monitor",
            subject=lead_id,
        )


async def totals(client, **params):
    return (await client.get("/v1/kpis", params=params)).json()["totals"]


async def test_every_topic_is_counted_once_per_event(settings):
    topics = settings.kafka.topics
    bs = settings.kafka.bootstrap_servers
    events = [*funnel_events("a", "chat", "sql"), *funnel_events("b", "referral", "mql")]

    def topic_of(event):
        return {
            "leadrelay.lead.captured.v1": topics.captured,
            "leadrelay.lead.scored.v1": topics.scored,
            "leadrelay.lead.qualified.v1": topics.qualified,
            "leadrelay.handoff.breached.v1": topics.sla_breached,
        }[event.type]

    captured = [e for e in events if e.type == "leadrelay.lead.captured.v1"]
    later = [e for e in events if e not in captured]
    async with running(build_app(settings), key=VIEWER_KEY) as client:
        for event in captured:
            await produce(bs, topic_of(event), encode(event), key=event.subject)
        # Later events of a lead arrive after its capture, as in the real flow (topics are not ordered).
        await wait_until(lambda: _equal(client, {"captured": 2}), what="captures counted")
        for event in later:
            await produce(bs, topic_of(event), encode(event), key=event.subject)
        await produce(bs, topics.captured, encode(events[0]), key="a")  # a redelivery
        expected = {"captured": 2, "scored": 2, "sql": 1, "mql": 1, "handed_off": 1, "breached": 1}
        await wait_until(lambda: _equal(client, expected), what="funnel totals", timeout_s=30)
        chat = await totals(client, source="chat")

        async def gauge_refreshed() -> str | None:
            text = (await client.get("/metrics")).text
            return text if 'step="breached"} 1.0' in text else None

        metrics = await wait_until(gauge_refreshed, what="the funnel gauge refreshed")
        bad = await client.get("/v1/kpis", params={"from": "2026-12-01", "to": "2026-11-01"})
    assert chat == {"captured": 1, "scored": 1, "sql": 1, "handed_off": 1, "breached": 1}
    assert 'leadrelay_funnel_events{queue="smb",source="chat",stage="",step="breached"} 1.0' in metrics
    assert "x@y.co" not in metrics
    assert bad.status_code == 422


async def _equal(client, expected) -> bool:
    return await totals(client) == expected


async def test_kpis_are_fed_by_a_background_consumer(settings):
    # KPIs may trail the events by a fraction of a second; bigger fetches cost far less per event.
    (consumer,) = build_app(settings).state.runtime.consumers
    assert consumer.background
