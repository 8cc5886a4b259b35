"""Scoring consumes leads.captured on the real broker: dedupe, DLQ, LeadScored."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import text

from leadrelay.devkit.testing.apps import assert_path_and_background_lanes, running
from leadrelay.devkit.testing.kafka import TopicReader, produce
from leadrelay.devkit.testing.keys import VIEWER_KEY, role_keys
from leadrelay.devkit.testing.waiting import wait_until
from leadrelay.events import encode, new_event
from leadrelay.events.handoff import HandoffRejected
from leadrelay.events.lead import Company, Consent, Contact, LeadActivity, LeadCaptured
from leadrelay.scoring.bootstrap import MIGRATIONS, build_app
from leadrelay.scoring.settings import ScoringSettings


@pytest.fixture
async def settings(create_database, kafka_settings, postgres_settings) -> ScoringSettings:
    database = await create_database("scoring", MIGRATIONS)
    return ScoringSettings(
        database=database,
        kafka=kafka_settings,
        postgres=postgres_settings,
        outbox_poll_interval_s=0.2,
        **role_keys(),
    )


def captured(lead_id: str, **data):
    lead = LeadCaptured(
        lead_id=lead_id,
        source=data.pop("source", "referral"),
        completeness="complete",
        contact=Contact(email=f"{lead_id}@example.com", title="CTO"),
        company=Company(size="1000+"),
        consent=data.pop("consent", Consent(purposes=["contact"])),
        **data,
    )
    return new_event(lead, source="leadrelay/capture", subject=lead_id)


async def score_of(client, lead_id: str):
    response = await client.get(f"/v1/scores/{lead_id}")
    return response.json() if response.status_code == 200 else None


async def test_the_same_event_delivered_twice_gives_one_score_and_one_lead_scored(settings):
    topics = settings.kafka.topics
    duplicate = captured("lead-dup")
    for _ in range(2):
        await produce(settings.kafka.bootstrap_servers, topics.captured, encode(duplicate), key="lead-dup")
    await produce(
        settings.kafka.bootstrap_servers, topics.captured, encode(captured("lead-next")), key="lead-dup"
    )
    async with running(build_app(settings), key=VIEWER_KEY) as client:
        await wait_until(lambda: score_of(client, "lead-next"), what="the event behind the duplicate")
        score = await score_of(client, "lead-dup")
        async with TopicReader(settings.kafka.bootstrap_servers, topics.scored) as reader:
            await reader.wait_for(2)
            messages = await reader.settle(1.5)
    assert score["times_scored"] == 1
    scored = [m.json() for m in messages]
    assert [e["data"]["lead_id"] for e in scored].count("lead-dup") == 1
    first = next(e for e in scored if e["data"]["lead_id"] == "lead-dup")
    assert first["type"] == "leadrelay.lead.scored.v1"
    assert first["data"]["stage"] == "sql"
    assert first["data"]["lead"]["contact"]["email"] == "lead-dup@example.com"
    assert any(r["factor"] == "source" and r["points"] == 25 for r in first["data"]["reasons"])


async def test_an_undecodable_message_goes_to_the_dlq_and_the_ones_behind_it_are_scored(settings):
    topics = settings.kafka.topics
    bs = settings.kafka.bootstrap_servers
    await produce(bs, topics.captured, b"<html>definitely not an event</html>", key="k")
    wrong_version = encode(captured("lead-v9")).replace(b"captured.v1", b"captured.v9")
    await produce(bs, topics.captured, wrong_version, key="k")
    await produce(bs, topics.captured, encode(captured("lead-after")), key="k")
    async with running(build_app(settings), key=VIEWER_KEY) as client:
        await wait_until(lambda: score_of(client, "lead-after"), what="the lead behind the poison")
        assert await score_of(client, "lead-v9") is None
        async with TopicReader(bs, topics.dlq(topics.captured)) as dlq:
            dead = await dlq.wait_for(2)
        metrics = (await client.get("/metrics")).text
    assert dead[0].value == b"<html>definitely not an event</html>"
    assert dead[0].headers["original_topic"] == topics.captured
    assert "unknown event type" in dead[1].headers["error"]
    assert f'leadrelay_dead_lettered_total{{service="scoring",topic="{topics.captured}"}} 2.0' in metrics


async def test_activity_re_scores_and_promotes_an_mql_to_sql(settings):
    topics = settings.kafka.topics
    bs = settings.kafka.bootstrap_servers
    warm = LeadCaptured(
        lead_id="warm",
        source="web_form",
        completeness="complete",
        contact=Contact(email="warm@example.com"),
        company=Company(size="11-50"),
        consent=Consent(purposes=["contact"]),
    )
    await produce(bs, topics.captured, encode(new_event(warm, source="capture", subject="warm")), key="warm")
    async with running(build_app(settings), key=VIEWER_KEY) as client:
        async with TopicReader(bs, topics.scored) as reader:
            [first] = await reader.wait_for(1)
            for kind in ("webinar", "demo_request"):
                activity = LeadActivity(lead_id="warm", kind=kind, at=datetime.now(UTC))
                await produce(
                    bs,
                    topics.activity,
                    encode(new_event(activity, source="capture", subject="warm")),
                    key="warm",
                )
            await wait_until(lambda: _stage(client, "warm", "sql"), what="promotion to sql")
            scored = [m.json()["data"] for m in await reader.wait_for(3)]
    assert first.json()["data"]["stage"] == "mql"
    assert scored[-1]["stage"] == "sql"
    assert [s["previous_stage"] for s in scored] == [None, "mql", "mql"]
    assert any(r["factor"] == "recent activity" for r in scored[-1]["reasons"])


async def _stage(client, lead_id: str, stage: str) -> bool:
    score = await score_of(client, lead_id)
    return bool(score and score["stage"] == stage)


async def test_a_rejected_handoff_returns_the_lead_to_nurture_with_the_reason(settings):
    topics = settings.kafka.topics
    bs = settings.kafka.bootstrap_servers
    await produce(bs, topics.captured, encode(captured("turned-down")), key="turned-down")
    async with running(build_app(settings), key=VIEWER_KEY) as client:
        await wait_until(lambda: _stage(client, "turned-down", "sql"), what="the lead scored sql")
        rejected = HandoffRejected(
            handoff_id="00000000-0000-0000-0000-000000000001",
            lead_id="turned-down",
            owner_id="rep-ada",
            queue="enterprise",
            reason="no budget this year",
            at=datetime.now(UTC),
        )
        await produce(
            bs, topics.rejected, encode(new_event(rejected, source="routing", subject="turned-down"))
        )
        await wait_until(lambda: _stage(client, "turned-down", "nurture"), what="back to nurture")
        async with TopicReader(bs, topics.scored) as reader:
            events = [m.json()["data"] for m in await reader.wait_for(2)]
        score = await score_of(client, "turned-down")
    assert [(e["stage"], e["previous_stage"]) for e in events] == [("sql", None), ("nurture", "sql")]
    assert events[1]["reasons"][0]["text"] == "returned to nurture by sales: no budget this year"
    assert score["reasons"][0]["factor"] == "returned by sales"


async def test_only_captured_leads_share_the_consumer_on_the_handoff_path(settings):
    topics = settings.kafka.topics
    assert_path_and_background_lanes(
        build_app(settings),
        [topics.captured],
        {topics.activity, topics.outcomes, topics.rejected, topics.erased, topics.consent},
    )


async def test_an_opt_out_reaches_the_facts_scoring_keeps(settings):
    from leadrelay.db.engine import create_engine
    from leadrelay.events.lead import ConsentChanged

    bs, topics = settings.kafka.bootstrap_servers, settings.kafka.topics
    consenting = captured("consent-lead", consent=Consent(purposes=["contact", "marketing"], marketing=True))
    withdrawn = ConsentChanged(
        lead_id="consent-lead", marketing=False, purposes=["contact"], channel="opt_out", at=datetime.now(UTC)
    )
    engine = create_engine(settings.database_url)

    async def consent_kept() -> dict | None:
        async with engine.connect() as conn:
            facts = await conn.scalar(text("SELECT facts FROM lead_facts WHERE lead_id = 'consent-lead'"))
        return facts["consent"] if facts else None

    try:
        async with running(build_app(settings), key=VIEWER_KEY) as client:
            await produce(bs, topics.captured, encode(consenting), key="consent-lead")
            await wait_until(lambda: score_of(client, "consent-lead"), what="the lead scored")
            assert (await consent_kept())["marketing"] is True
            await produce(
                bs,
                topics.consent,
                encode(new_event(withdrawn, source="leadrelay/capture", subject="consent-lead")),
                key="consent-lead",
            )

            async def withdrawn_kept() -> bool:
                return (await consent_kept())["marketing"] is False

            await wait_until(withdrawn_kept, what="the opt-out applied", timeout_s=30)
        assert (await consent_kept())["purposes"] == ["contact"]
    finally:
        await engine.dispose()
