"""A scripted set of events (captured, scored mql and sql, qualified, contacted, breached, rejected, won and
lost with values) and spend yields exactly the expected KPIs; replaying the same events changes nothing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from leadrelay.events import EVENT_TYPES, encode, new_event
from leadrelay.events.handoff import (
    DecisionRef,
    HandoffBreached,
    HandoffRejected,
    LeadContacted,
    LeadQualified,
    Owner,
    SlaTerms,
)
from leadrelay.events.lead import Contact, LeadCaptured
from leadrelay.events.scoring import LeadOutcome, LeadScored
from leadrelay.metrics.bootstrap import MIGRATIONS, build_app
from leadrelay.metrics.settings import MetricsSettings
from leadrelay.testing.apps import running
from leadrelay.testing.kafka import produce
from leadrelay.testing.waiting import wait_until

ADMIN = {"X-Admin-Key": "test-admin-key-0123456789"}
T0 = datetime(2026, 11, 2, 10, tzinfo=UTC)
PERIOD = {"from": "2026-11-01", "to": "2026-11-30"}


@pytest.fixture
async def settings(create_database, kafka_settings, postgres_settings) -> MetricsSettings:
    database = await create_database("metrics", MIGRATIONS)
    return MetricsSettings(
        database=database, kafka=kafka_settings, postgres=postgres_settings, admin_keys=[ADMIN["X-Admin-Key"]]
    )


def scored(lead: str, stage: str, source: str):
    return LeadScored(
        lead_id=lead,
        score=70,
        fit=60,
        engagement=10,
        grade="A1",
        stage=stage,
        ruleset_version="v",
        source=source,
    )


def qualified(lead: str, queue: str, owner: str):
    return LeadQualified(
        handoff_id=f"h-{lead}",
        lead_id=lead,
        queue=queue,
        owner=Owner(id=owner, name=owner),
        score=70,
        grade="A1",
        stage="sql",
        sla=SlaTerms(policy="p", due_at=T0),
        decision=DecisionRef(trace_id="t", strategy="round_robin"),
    )


def script() -> list:
    """Three leads: A is won (5,000), B is breached, contacted late, rejected and lost, C stays in nurture."""
    m = timedelta(minutes=1)
    events = [
        (
            T0,
            LeadCaptured(
                lead_id="A",
                source="web_form",
                form_id="demo",
                completeness="complete",
                contact=Contact(email="a@x.example"),
                utm={"campaign": "autumn"},
            ),
        ),
        (T0 + m, scored("A", "mql", "web_form")),
        (T0 + 10 * m, scored("A", "sql", "web_form")),
        (T0 + 10 * m + timedelta(seconds=2), qualified("A", "smb", "rep-alan")),
        (T0 + 20 * m, LeadContacted(handoff_id="h-A", lead_id="A", at=T0 + 20 * m)),
        (
            T0 + timedelta(days=10),
            LeadOutcome(lead_id="A", outcome="won", value=5000, at=T0 + timedelta(days=10)),
        ),
        (
            T0 + 60 * m,
            LeadCaptured(
                lead_id="B", source="referral", completeness="complete", contact=Contact(email="b@x.example")
            ),
        ),
        (T0 + 60 * m + timedelta(seconds=30), scored("B", "sql", "referral")),
        (T0 + 60 * m + timedelta(seconds=31), qualified("B", "enterprise", "rep-ada")),
        (
            T0 + 66 * m,
            HandoffBreached(
                handoff_id="h-B",
                lead_id="B",
                owner_id="rep-ada",
                queue="enterprise",
                due_at=T0 + 65 * m,
                breached_at=T0 + 66 * m,
                overdue_seconds=60,
            ),
        ),
        (T0 + 70 * m, LeadContacted(handoff_id="h-B", lead_id="B", at=T0 + 70 * m)),
        (
            T0 + 71 * m,
            HandoffRejected(
                handoff_id="h-B",
                lead_id="B",
                owner_id="rep-ada",
                queue="enterprise",
                reason="  No   budget ",
                at=T0 + 71 * m,
            ),
        ),
        (
            T0 + timedelta(days=2),
            LeadOutcome(lead_id="B", outcome="lost", reason="Chose a competitor", at=T0 + timedelta(days=2)),
        ),
        (
            T0 + 120 * m,
            LeadCaptured(
                lead_id="C",
                source="web_form",
                completeness="partial",
                contact=Contact(email="c@x.example"),
                utm={"campaign": "autumn"},
            ),
        ),
        (T0 + 121 * m, scored("C", "nurture", "web_form")),
    ]
    return [new_event(data, source="test", subject=data.lead_id, time=at) for at, data in events]


EXPECTED = {
    "leads": 3,
    "funnel": {"mql": 2, "sql": 2, "handed_off": 2, "contacted": 2, "won": 1, "lost": 1, "rejected": 1},
    "conversion": {"lead_to_mql": 0.6667, "mql_to_sql": 1.0, "sql_to_won": 0.5, "lead_to_won": 0.3333},
    "speed_to_lead_seconds": {
        "routing_p50": 316.5,
        "routing_p95": 573.45,
        "rep_p50": 583.5,
        "rep_p95": 596.55,
    },
    "sla": {"breached": 1, "contacted_in_time": 1, "compliance": 0.5},
    "money": {
        "spend": 500.0,
        "cost_per_lead": 166.67,
        "customer_acquisition_cost": 500.0,
        "revenue": 5000.0,
        "value_per_customer": 5000.0,
        "roi": 9.0,
    },
    "sales_cycle_days": {"average": 10.0, "median": 10.0},
    "lost_reasons": [{"reason": "chose a competitor", "count": 1}],
    "rejection_reasons": [{"reason": "no budget", "count": 1}],
}


async def test_scripted_events_give_exactly_the_expected_kpis_and_a_replay_changes_nothing(settings):
    bs, topics = settings.kafka.bootstrap_servers, settings.kafka.topics
    events = script()

    async def publish_all() -> None:
        for event in events:
            await produce(bs, topics.name(EVENT_TYPES[event.type].topic), encode(event), key=event.subject)

    async with running(build_app(settings)) as client:
        spend = [
            {
                "source": "web_form",
                "campaign": "autumn",
                "period_start": "2026-11-01",
                "period_end": "2026-11-30",
                "amount": 300,
            },
            {"source": "referral", "period_start": "2026-11-01", "period_end": "2026-11-30", "amount": 200},
        ]
        anonymous = await client.post("/v1/spend", json=spend)
        backwards = await client.post(
            "/v1/spend", json=[{**spend[0], "period_end": "2026-10-01"}], headers=ADMIN
        )
        recorded = await client.post("/v1/spend", json=spend, headers=ADMIN)
        await publish_all()

        async def kpis(**filters):
            return (await client.get("/v1/kpis", params={**PERIOD, **filters})).json()["kpis"]

        async def settled():
            return (await kpis()) == EXPECTED

        await wait_until(settled, what="the scripted KPIs", timeout_s=30)
        autumn = await kpis(source="web_form", campaign="autumn")
        await publish_all()  # the same events again: every one is a duplicate
        await wait_until(lambda: _processed_twice(client), what="the replay consumed", timeout_s=30)
        after_replay = await kpis()
        csv = await client.get("/v1/kpis", params={**PERIOD, "format": "csv"})
    assert anonymous.status_code == 401 and backwards.status_code == 422 and recorded.status_code == 201
    assert after_replay == EXPECTED
    assert autumn["leads"] == 2 and autumn["money"]["cost_per_lead"] == 150.0
    assert autumn["money"]["customer_acquisition_cost"] == 300.0 and autumn["money"]["roi"] == 15.6667
    assert csv.headers["content-type"].startswith("text/csv")
    lines = csv.text.strip().splitlines()
    assert lines[0] == "day,step,stage,source,queue,count"
    assert "2026-11-02,captured,,web_form,,2" in lines


async def _processed_twice(client) -> bool:
    metrics = (await client.get("/metrics")).text
    consumed = sum(
        float(line.rsplit(" ", 1)[1])
        for line in metrics.splitlines()
        if line.startswith("leadrelay_messages_consumed_total{")
    )
    return consumed >= 2 * 15
