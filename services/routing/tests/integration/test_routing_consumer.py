"""Routing consumes leads.scored: SQL leads are handed off by rule and round robin, others recorded."""

from __future__ import annotations

import pytest

from leadrelay.devkit.testing.apps import assert_path_and_background_lanes, running
from leadrelay.devkit.testing.kafka import TopicReader, produce
from leadrelay.devkit.testing.keys import VIEWER_KEY, role_keys
from leadrelay.devkit.testing.waiting import wait_until
from leadrelay.events import encode, new_event
from leadrelay.events.lead import Company, Contact, LeadSnapshot
from leadrelay.events.scoring import LeadScored
from leadrelay.routing.bootstrap import MIGRATIONS, build_app
from leadrelay.routing.settings import RoutingSettings

ADMIN_KEY = "test-admin-key-0123456789"


@pytest.fixture
async def settings(create_database, kafka_settings, postgres_settings) -> RoutingSettings:
    database = await create_database("routing", MIGRATIONS)
    return RoutingSettings(
        database=database,
        kafka=kafka_settings,
        postgres=postgres_settings,
        outbox_poll_interval_s=0.2,
        **role_keys(),
    )


def scored(lead_id: str, stage: str = "sql", size: str = "1000+", grade: str = "A1"):
    data = LeadScored(
        lead_id=lead_id,
        score=80 if stage == "sql" else 20,
        fit=70,
        engagement=10,
        grade=grade,
        stage=stage,
        ruleset_version="test",
        source="referral",
        lead=LeadSnapshot(contact=Contact(email=f"{lead_id}@example.com"), company=Company(size=size)),
    )
    return new_event(data, source="leadrelay/scoring", subject=lead_id)


async def decisions_of(client, lead_id: str):
    response = await client.get(f"/v1/decisions/{lead_id}")
    return response.json()["decisions"] if response.status_code == 200 else None


async def test_sql_leads_are_handed_off_round_robin_with_a_decision_trace(settings):
    topics = settings.kafka.topics
    bs = settings.kafka.bootstrap_servers
    for i in range(4):
        await produce(bs, topics.scored, encode(scored(f"big-{i}")), key="same")
    await produce(bs, topics.scored, encode(scored("cold", stage="nurture")), key="same")
    async with running(build_app(settings), key=VIEWER_KEY) as client:
        await wait_until(lambda: decisions_of(client, "cold"), what="all decisions")
        async with TopicReader(bs, topics.qualified) as reader:
            qualified = [m.json() for m in await reader.wait_for(4)]
        async with TopicReader(bs, topics.handoff("enterprise")) as reader:
            mirrored = [m.json() for m in await reader.wait_for(4)]
        [big0] = await decisions_of(client, "big-0")
        [cold] = await decisions_of(client, "cold")
    owners = {e["data"]["lead_id"]: e["data"]["owner"]["id"] for e in qualified}
    # Scored events share a key, so they are routed in order: strict turns.
    assert owners == {"big-0": "rep-ada", "big-1": "rep-grace", "big-2": "rep-ada", "big-3": "rep-grace"}
    assert sorted(e["id"] for e in mirrored) == sorted(e["id"] for e in qualified)
    first = next(e["data"] for e in qualified if e["data"]["lead_id"] == "big-0")
    assert first["queue"] == "enterprise" and first["attempt"] == 1
    assert first["sla"]["policy"] == "enterprise-first-contact"
    assert first["decision"]["rule"] == "large-companies"
    assert first["lead"]["contact"]["email"] == "big-0@example.com"
    assert big0["handed_off"] is True and big0["handoff_id"] == first["handoff_id"]
    assert big0["trace"]["rules"][0]["matched"] is True
    assert big0["trace"]["queues"][0]["chosen"] == "rep-ada"
    assert {c["rep"] for c in big0["trace"]["queues"][0]["candidates"]} == {"rep-ada", "rep-grace"}
    assert cold["handed_off"] is False and "nurture" in cold["trace"]["why"]


async def test_preview_and_config_endpoints(settings):
    async with running(build_app(settings), key=VIEWER_KEY) as client:
        preview = await client.post(
            "/v1/route/preview",
            json={"lead": scored("p", size="1-10").data.model_dump(mode="json")},
            headers={"X-Admin-Key": ADMIN_KEY},
        )
        draft = {
            **(await client.get("/v1/config", headers={"X-Admin-Key": ADMIN_KEY})).json(),
            "version": "d",
        }
        draft["rules"] = [{"name": "all-enterprise", "when": {}, "queue": "enterprise"}]
        drafted = await client.post(
            "/v1/route/preview",
            json={"lead": scored("p", size="1-10").data.model_dump(mode="json"), "config": draft},
            headers={"X-Admin-Key": ADMIN_KEY},
        )
        queues = await client.get("/v1/queues")
        missing = await client.get("/v1/decisions/nobody")
    assert preview.json()["queue"] == "smb" and preview.json()["rule"] == "everyone-else"
    assert preview.json()["owner"] == "rep-alan"
    assert drafted.json()["queue"] == "enterprise" and drafted.json()["config_version"] == "d"
    assert {q["name"] for q in queues.json()} == {"enterprise", "smb", "leadership"}
    assert missing.status_code == 404


async def test_a_lead_scored_again_is_not_handed_off_twice(settings):
    topics = settings.kafka.topics
    bs = settings.kafka.bootstrap_servers
    await produce(bs, topics.scored, encode(scored("again")), key="again")
    await produce(bs, topics.scored, encode(scored("again", grade="B1")), key="again")
    await produce(bs, topics.scored, encode(scored("marker")), key="again")
    async with running(build_app(settings), key=VIEWER_KEY) as client:
        await wait_until(lambda: decisions_of(client, "marker"), what="decisions")
        decisions = await decisions_of(client, "again")
        async with TopicReader(bs, topics.qualified) as reader:
            await reader.wait_for(2)
            handoffs = [m.json()["data"]["lead_id"] for m in await reader.settle(1.0)]
    assert [d["handed_off"] for d in decisions] == [True, False]
    assert "already handed off" in decisions[1]["trace"]["why"]
    assert sorted(handoffs) == ["again", "marker"]


async def test_only_scored_leads_share_the_consumer_on_the_handoff_path(settings):
    topics = settings.kafka.topics
    assert_path_and_background_lanes(
        build_app(settings),
        [topics.scored],
        {
            topics.sla_breached,
            topics.contacted,
            topics.outcomes,
            topics.erased,
            topics.consent,
            topics.sla_policies,
        },
    )
