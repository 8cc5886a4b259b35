"""The SLA monitor's writes as a stranger, a viewer and a sales tool limited to one queue would try them:
refused with nothing stored; an unknown handoff is 404 and inserts no row."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import text

from leadrelay.db.engine import create_engine
from leadrelay.devkit.testing.apps import running
from leadrelay.devkit.testing.kafka import TopicReader, produce
from leadrelay.devkit.testing.keys import SALES, VIEWER, VIEWER_KEY, role_keys
from leadrelay.devkit.testing.waiting import wait_until
from leadrelay.events import encode, new_event
from leadrelay.events.handoff import DecisionRef, LeadQualified, Owner, SlaTerms
from leadrelay.sla_monitor.bootstrap import MIGRATIONS, build_app
from leadrelay.sla_monitor.settings import SlaMonitorSettings

ENTERPRISE_TOOL = {"X-API-Key": "enterprise-tool-key-0123456789"}


@pytest.fixture
async def settings(create_database, kafka_settings, postgres_settings) -> SlaMonitorSettings:
    keys = role_keys()
    keys["sales_keys"] = [*keys["sales_keys"], f"{ENTERPRISE_TOOL['X-API-Key']}:enterprise"]
    return SlaMonitorSettings(
        database=await create_database("sla-monitor", MIGRATIONS),
        kafka=kafka_settings,
        postgres=postgres_settings,
        outbox_poll_interval_s=0.2,
        **keys,
    )


def qualified(handoff_id: str, queue: str) -> bytes:
    data = LeadQualified(
        handoff_id=handoff_id,
        lead_id=f"lead-{handoff_id}",
        queue=queue,
        owner=Owner(id="rep-ada", name="Ada"),
        score=80,
        grade="A1",
        stage="sql",
        sla=SlaTerms(policy="none", due_at=datetime.now(UTC) + timedelta(hours=1)),
        decision=DecisionRef(trace_id="t", strategy="round_robin"),
    )
    return encode(new_event(data, source="leadrelay/routing", subject=data.lead_id))


async def rows(settings: SlaMonitorSettings, sql: str) -> list[tuple]:
    engine = create_engine(settings.database_url)
    try:
        async with engine.connect() as conn:
            return [tuple(r) for r in await conn.execute(text(sql))]
    finally:
        await engine.dispose()


async def test_strangers_viewers_and_other_queues_tools_change_nothing(settings):
    bs, topics = settings.kafka.bootstrap_servers, settings.kafka.topics
    await produce(bs, topics.qualified, qualified("ent-1", "enterprise"), key="a")
    await produce(bs, topics.qualified, qualified("smb-1", "smb"), key="b")
    later = (datetime.now(UTC) + timedelta(days=1)).isoformat()
    async with running(build_app(settings), key=VIEWER_KEY) as client:
        for handoff_id in ("ent-1", "smb-1"):
            await wait_until(
                lambda h=handoff_id: _status(client, f"/v1/handoffs/{h}", 200), what=f"clock {handoff_id}"
            )
        async with TopicReader(bs, topics.contacted) as contacted:
            attempts = {
                "stranger contact": await client.post(
                    "/v1/handoffs/smb-1/contact", json={}, headers={"X-API-Key": ""}
                ),
                "stranger callback": await client.post(
                    "/v1/handoffs/smb-1/callback",
                    json={"at": "2020-01-01T00:00:00Z"},
                    headers={"X-API-Key": ""},
                ),
                "viewer contact": await client.post("/v1/handoffs/smb-1/contact", json={}, headers=VIEWER),
                "other queue's tool": await client.post(
                    "/v1/handoffs/smb-1/contact", json={}, headers=ENTERPRISE_TOOL
                ),
                "other queue's callback": await client.post(
                    "/v1/handoffs/smb-1/callback", json={"at": later}, headers=ENTERPRISE_TOOL
                ),
                "unknown handoff": await client.post("/v1/handoffs/future-1/contact", json={}, headers=SALES),
            }
            listed = await client.get("/v1/handoffs", headers=ENTERPRISE_TOOL)
            other_queue = await client.get("/v1/handoffs", params={"queue": "smb"}, headers=ENTERPRISE_TOOL)
            hidden = await client.get("/v1/handoffs/smb-1", headers=ENTERPRISE_TOOL)
            own = await client.post(
                "/v1/handoffs/ent-1/contact", json={"channel": "phone"}, headers=ENTERPRISE_TOOL
            )
            await contacted.wait_for(1)
            [event] = await contacted.settle(0.5)  # only the enterprise tool's own contact
    assert {name: r.status_code for name, r in attempts.items()} == {
        "stranger contact": 401,
        "stranger callback": 401,
        "viewer contact": 403,
        "other queue's tool": 403,
        "other queue's callback": 403,
        "unknown handoff": 404,
    }
    assert attempts["stranger contact"].json()["header"] == "X-API-Key"
    assert [h["handoff_id"] for h in listed.json()] == ["ent-1"]
    assert other_queue.status_code == 403 and hidden.status_code == 404
    assert own.status_code == 200 and event.json()["data"]["handoff_id"] == "ent-1"
    assert await rows(settings, "SELECT handoff_id, state FROM handoffs ORDER BY handoff_id") == [
        ("ent-1", "contacted"),
        ("smb-1", "open"),
    ]


async def _status(client, path: str, expected: int) -> bool:
    return (await client.get(path)).status_code == expected
