"""Follow-up clocks on real PostgreSQL: breaches by database time, exactly once, never after contact."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import text

from leadrelay.db.engine import create_engine, session_factory
from leadrelay.devkit.testing.apps import running
from leadrelay.devkit.testing.kafka import TopicReader, produce
from leadrelay.devkit.testing.keys import SALES, VIEWER_KEY, role_keys
from leadrelay.devkit.testing.waiting import wait_until
from leadrelay.events import encode, new_event
from leadrelay.events.handoff import (
    DecisionRef,
    HandoffRejected,
    LeadContacted,
    LeadQualified,
    Owner,
    SlaTerms,
)
from leadrelay.sla_monitor.adapters.uow import PostgresSlaUnitOfWork as SlaUnitOfWork
from leadrelay.sla_monitor.bootstrap import MIGRATIONS, build_app
from leadrelay.sla_monitor.handlers import breach_due_handoffs, start_clock
from leadrelay.sla_monitor.settings import SlaMonitorSettings
from leadrelay.sla_policies import PolicySet

# One minute to first contact whatever the queue's policy: a handoff's start time sets its deadline.
ONE_MINUTE = PolicySet(version="one-minute", policies=[{"name": "one-minute", "deadlines": {"A": 1}}])


@pytest.fixture
async def settings(create_database, kafka_settings, postgres_settings, tmp_path) -> SlaMonitorSettings:
    database = await create_database("sla-monitor", MIGRATIONS)
    policies = tmp_path / "policies.yaml"
    policies.write_text(ONE_MINUTE.model_dump_json())  # JSON is YAML
    return SlaMonitorSettings(
        policies_path=policies,
        database=database,
        kafka=kafka_settings,
        postgres=postgres_settings,
        outbox_poll_interval_s=0.2,
        breach_poll_interval_s=0.1,
        **role_keys(),
    )


def qualified(handoff_id: str, due_in_s: float):
    """A handoff due in due_in_s under ONE_MINUTE: it started a minute before that."""
    started = datetime.now(UTC) + timedelta(seconds=due_in_s) - timedelta(minutes=1)
    data = LeadQualified(
        handoff_id=handoff_id,
        lead_id=f"lead-{handoff_id}",
        queue="smb",
        owner=Owner(id="rep-alan", name="Alan"),
        score=70,
        grade="B2",
        stage="sql",
        sla=SlaTerms(policy="smb", due_at=datetime.now(UTC) + timedelta(days=1)),
        decision=DecisionRef(trace_id="t", strategy="round_robin"),
    )
    return new_event(data, source="leadrelay/routing", subject=data.lead_id, time=started)


async def handoff(client, handoff_id: str):
    response = await client.get(f"/v1/handoffs/{handoff_id}")
    return response.json() if response.status_code == 200 else None


async def test_missed_deadline_breaches_once_and_contact_prevents_it(settings):
    topics = settings.kafka.topics
    bs = settings.kafka.bootstrap_servers
    await produce(bs, topics.qualified, encode(qualified("missed", 1.0)), key="a")
    async with running(build_app(settings), key=VIEWER_KEY) as client:
        await wait_until(lambda: handoff(client, "missed"), what="consumer up")
        # Produced once the consumer runs, so the contact surely beats these deadlines.
        await produce(bs, topics.qualified, encode(qualified("called", 4.0)), key="b")
        await produce(bs, topics.qualified, encode(qualified("by-event", 4.0)), key="c")
        await wait_until(lambda: handoff(client, "called"), what="clock started")
        await wait_until(lambda: handoff(client, "by-event"), what="clock started")
        contact = await client.post("/v1/handoffs/called/contact", json={"channel": "phone"}, headers=SALES)
        assert contact.status_code == 200 and contact.json()["state"] == "contacted"
        contacted = LeadContacted(
            handoff_id="by-event", lead_id="lead-by-event", channel="email", at=datetime.now(UTC)
        )
        await produce(
            bs, topics.contacted, encode(new_event(contacted, source="crm", subject="lead-by-event")), key="c"
        )
        async with TopicReader(bs, topics.sla_breached) as reader:
            [breach] = await reader.wait_for(1, timeout_s=20)
            await wait_until(lambda: _past(client, "by-event"), what="by-event deadline passed")
            await wait_until(lambda: _past(client, "called"), what="called deadline passed")
            settled = await reader.settle(1.0)
        open_ = (await client.get("/v1/handoffs", params={"state": "open"})).json()
        by_event = await handoff(client, "by-event")
        late = await client.post("/v1/handoffs/missed/contact", json={"channel": "phone"}, headers=SALES)
    assert [m.json()["data"]["handoff_id"] for m in settled] == ["missed"]
    data = breach.json()["data"]
    assert breach.json()["type"] == "leadrelay.handoff.breached.v1"
    assert data["overdue_seconds"] >= 0 and data["owner_id"] == "rep-alan"
    assert open_ == []
    assert by_event["state"] == "contacted" and by_event["contact_channel"] == "email"
    assert late.json()["state"] == "breached" and late.json()["contacted_at"] is not None


async def _past(client, handoff_id: str) -> bool:
    h = await handoff(client, handoff_id)
    return datetime.fromisoformat(h["due_at"]) < datetime.now(UTC) - timedelta(seconds=0.5)


async def test_competing_pollers_breach_each_due_clock_exactly_once(settings):
    engine = create_engine(settings.database_url)
    sessions = session_factory(engine)
    try:
        for i in range(60):
            await start_clock(
                qualified(f"h{i}", -1.0), SlaUnitOfWork(sessions), settings.kafka.topics, ONE_MINUTE
            )
        counts = await asyncio.gather(
            *(breach_due_handoffs(SlaUnitOfWork(sessions), settings.kafka.topics, 7) for _ in range(12))
        )
        while sum(counts) < 60 and (
            more := await breach_due_handoffs(SlaUnitOfWork(sessions), settings.kafka.topics, 50)
        ):
            counts.append(more)
        async with SlaUnitOfWork(sessions) as uow:
            rows = await uow.session.execute(text("SELECT count(*), count(DISTINCT event_id) FROM outbox"))
            total, distinct = rows.one()
    finally:
        await engine.dispose()
    assert sum(counts) == 60
    assert total == distinct == 60


async def test_a_clock_not_yet_due_never_fires_early(settings):
    engine = create_engine(settings.database_url)
    sessions = session_factory(engine)
    try:
        await start_clock(
            qualified("later", 30.0), SlaUnitOfWork(sessions), settings.kafka.topics, ONE_MINUTE
        )
        assert await breach_due_handoffs(SlaUnitOfWork(sessions), settings.kafka.topics, 10) == 0
    finally:
        await engine.dispose()


async def test_contact_announced_before_its_handoff_arrives_is_kept_and_announced(settings):
    topics = settings.kafka.topics
    bs = settings.kafka.bootstrap_servers
    contacted = LeadContacted(handoff_id="early", lead_id="lead-early", channel="phone", at=datetime.now(UTC))
    async with running(build_app(settings), key=VIEWER_KEY) as client:
        async with TopicReader(bs, topics.contacted) as reader:
            await produce(
                bs,
                topics.contacted,
                encode(new_event(contacted, source="crm", subject="lead-early")),
                key="e",
            )
            await wait_until(lambda: handoff(client, "early"), what="the early contact kept")
            await produce(bs, topics.qualified, encode(qualified("early", 0.5)), key="e")
            await wait_until(lambda: _known(client, "early"), what="handoff details filled in")
            await reader.wait_for(1)
        async with TopicReader(bs, topics.sla_breached) as breaches:
            await wait_until(lambda: _past(client, "early"), what="deadline passed")
            assert await breaches.settle(1.0) == []
        early = await handoff(client, "early")
        bad = await client.post(
            "/v1/handoffs/nope/contact", json={"channel": "Carrier Pigeon!"}, headers=SALES
        )
        bad_id = await client.post(
            "/v1/handoffs/" + "x" * 40 + "/contact", json={"channel": "phone"}, headers=SALES
        )
    assert early["state"] == "contacted" and early["contact_channel"] == "phone"
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "channel"
    assert bad_id.status_code == 422


async def _known(client, handoff_id: str) -> bool:
    h = await handoff(client, handoff_id)
    return bool(h and h["due_at"] and h["state"] == "contacted")


async def test_clocks_start_from_a_consumer_on_the_handoff_path(settings):
    # Deadlines run from each event's own time, but a clock started half a second late can miss its warning.
    (consumer,) = build_app(settings).state.runtime.consumers
    assert not consumer.background


async def test_a_rejected_handoff_never_breaches(settings):
    topics = settings.kafka.topics
    bs = settings.kafka.bootstrap_servers

    def rejection(handoff_id: str):
        data = HandoffRejected(
            handoff_id=handoff_id, lead_id=f"lead-{handoff_id}", owner_id="rep-alan", queue="smb",
            reason="not a fit", at=datetime.now(UTC),
        )  # fmt: skip
        return encode(new_event(data, source="leadrelay/routing", subject=data.lead_id))

    # one rejection arrives before its handoff, as topics do not keep order between each other
    await produce(bs, topics.rejected, rejection("early"), key="e")
    async with running(build_app(settings), key=VIEWER_KEY) as client:
        await produce(bs, topics.qualified, encode(qualified("kept", 3.0)), key="k")
        await produce(bs, topics.qualified, encode(qualified("rejected", 3.0)), key="r")
        await produce(bs, topics.qualified, encode(qualified("early", 3.0)), key="e")
        await wait_until(lambda: handoff(client, "rejected"), what="clock started")
        await produce(bs, topics.rejected, rejection("rejected"), key="r")

        async def stopped() -> bool:
            found = await handoff(client, "rejected")
            return found is not None and found["state"] == "rejected"

        await wait_until(stopped, what="the rejection stops the clock")
        async with TopicReader(bs, topics.sla_breached) as reader:
            await reader.wait_for(1, timeout_s=20)  # the kept one breaches
            for handoff_id in ("kept", "rejected", "early"):
                await wait_until(lambda h=handoff_id: _past(client, h), what=f"{handoff_id} deadline passed")
            settled = await reader.settle(1.0)
        compliance = (await client.get("/v1/compliance", params={"by": "queue"})).json()
        early = await handoff(client, "early")
    assert [m.json()["data"]["handoff_id"] for m in settled] == ["kept"]
    assert early["state"] == "rejected" and early["due_at"] is not None
    [smb] = [row for row in compliance["rows"] if row["queue"] == "smb"]
    assert smb["rejected"] == 2 and smb["breached"] == 1 and smb["decided"] == 1
