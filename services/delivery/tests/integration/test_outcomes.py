"""Outcomes over HTTP: a CRM's batch becomes LeadOutcome events, once per CRM id however often it is sent; an
invalid outcome is refused naming its field, and nothing of its batch is taken."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from leadrelay.delivery.bootstrap import MIGRATIONS, build_app
from leadrelay.delivery.settings import DeliverySettings
from leadrelay.devkit.testing.apps import running
from leadrelay.devkit.testing.kafka import TopicReader
from leadrelay.devkit.testing.keys import SALES_KEY, VIEWER, role_keys


@pytest.fixture
async def settings(create_database, kafka_settings, postgres_settings) -> DeliverySettings:
    return DeliverySettings(
        database=await create_database("delivery", MIGRATIONS),
        kafka=kafka_settings,
        postgres=postgres_settings,
        outbox_poll_interval_s=0.2,
        **role_keys(),
    )


def outcome(crm_id: str, lead_id: str, result: str = "won", **extra) -> dict:
    at = (datetime.now(UTC) - timedelta(hours=1)).isoformat()
    return {"id": crm_id, "lead_id": lead_id, "outcome": result, "at": at, **extra}


async def test_a_batch_sent_twice_emits_each_outcome_once(settings):
    batch = {
        "outcomes": [
            outcome("opp-1", "lead-a", value=12000.5),
            outcome("opp-2", "lead-b", "lost", reason="went with a competitor"),
            outcome("opp-3", "lead-c", "disqualified"),
        ]
    }
    async with running(build_app(settings), key=SALES_KEY) as client:
        first = await client.post("/v1/outcomes", json=batch)
        again = await client.post(
            "/v1/outcomes", json={"outcomes": [*batch["outcomes"], outcome("opp-4", "lead-a")]}
        )
        async with TopicReader(settings.kafka.bootstrap_servers, settings.kafka.topics.outcomes) as reader:
            await reader.wait_for(4)
            events = [m.json() for m in await reader.settle(1.0)]
    assert first.status_code == 202 and first.json() == {"accepted": 3, "repeated": []}
    assert again.status_code == 202 and again.json() == {
        "accepted": 1,
        "repeated": ["opp-1", "opp-2", "opp-3"],
    }
    by_lead: dict[str, list[dict]] = {}
    for event in events:  # each lead's events in order on its partition; leads on different ones
        assert event["type"] == "leadrelay.lead.outcome.v1" and event["subject"] == event["data"]["lead_id"]
        by_lead.setdefault(event["data"]["lead_id"], []).append(event["data"])
    assert {lead: [d["outcome"] for d in got] for lead, got in by_lead.items()} == {
        "lead-a": ["won", "won"],
        "lead-b": ["lost"],
        "lead-c": ["disqualified"],
    }
    assert (
        by_lead["lead-a"][0]["value"] == 12000.5
        and by_lead["lead-b"][0]["reason"] == "went with a competitor"
    )


@pytest.mark.parametrize(
    ("bad", "field"),
    [
        (outcome("opp-9", "lead-z", "lost"), "outcomes.1"),  # lost without its reason
        (outcome("opp-9", "lead-z", "sold"), "outcomes.1.outcome"),
        (outcome("opp-9", "lead-z", value=-5), "outcomes.1.value"),
        (outcome("opp-9", "lead-z", at=(datetime.now(UTC) + timedelta(days=2)).isoformat()), "outcomes.1.at"),
        (outcome("opp-9", "lead-z", at="2026-12-07T10:00:00"), "outcomes.1.at"),  # no time zone
        (outcome("opp-1", "lead-z"), "outcomes"),  # the same id twice in one batch
    ],
)
async def test_an_invalid_outcome_is_refused_naming_its_field_and_nothing_of_the_batch_is_taken(
    settings, bad, field
):
    async with running(build_app(settings), key=SALES_KEY) as client:
        refused = await client.post("/v1/outcomes", json={"outcomes": [outcome("opp-1", "lead-a"), bad]})
        taken = await client.post("/v1/outcomes", json={"outcomes": [outcome("opp-1", "lead-a")]})
    assert refused.status_code == 422, refused.text
    assert [e["field"] for e in refused.json()["errors"]] == [field]
    assert taken.json() == {"accepted": 1, "repeated": []}


async def test_batches_are_limited_and_only_crm_and_backend_keys_may_report(settings):
    backend_key = "delivery-backend-key-0123456789"
    with_backend = settings.model_copy(update={"backend_keys": [backend_key]})
    async with running(build_app(with_backend), key=SALES_KEY) as client:
        too_many = await client.post(
            "/v1/outcomes", json={"outcomes": [outcome(f"opp-{i}", "lead-a") for i in range(1001)]}
        )
        viewer = await client.post(
            "/v1/outcomes", json={"outcomes": [outcome("opp-1", "lead-a")]}, headers=VIEWER
        )
        backend = await client.post(
            "/v1/outcomes",
            json={"outcomes": [outcome("opp-2", "lead-a")]},
            headers={"X-API-Key": backend_key},
        )
    assert too_many.status_code == 422 and too_many.json()["errors"][0]["field"] == "outcomes"
    assert viewer.status_code == 403
    assert backend.status_code == 202 and backend.json()["accepted"] == 1
