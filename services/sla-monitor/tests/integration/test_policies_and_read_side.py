"""Policies set deadlines (business hours or wall clock) and warnings; reassignments replace clocks;
callbacks move deadlines; the read side filters, reports compliance and exports speed to lead."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
import yaml

from leadrelay.devkit.testing.apps import running
from leadrelay.devkit.testing.kafka import TopicReader, produce
from leadrelay.devkit.testing.keys import SALES, VIEWER_KEY, role_keys
from leadrelay.devkit.testing.waiting import wait_until
from leadrelay.events import encode, new_event
from leadrelay.events.handoff import DecisionRef, LeadQualified, Owner, SlaTerms
from leadrelay.sla_monitor.bootstrap import MIGRATIONS, build_app
from leadrelay.sla_monitor.settings import SlaMonitorSettings

ADMIN = {"X-Admin-Key": "test-admin-key-0123456789"}
POLICIES = {
    "version": "test-policies",
    "fallback": "slow",
    "calendars": {
        "berlin": {
            "timezone": "Europe/Berlin",
            "working_hours": {d: ["09:00-17:00"] for d in ("mon", "tue", "wed", "thu", "fri")},
            "holidays": "DE-BY",
        }
    },
    "policies": [
        {"name": "office", "clock": "business_hours", "calendar": "berlin", "deadlines": {"A": 60, "C": 480}},
        {"name": "fast", "clock": "wall_clock", "deadlines": {"A": 0.05}, "warn_at": 0.5},
        {"name": "slow", "clock": "wall_clock", "deadlines": {"A": 60}, "callback_grace_minutes": 10},
    ],
}


@pytest.fixture
async def settings(create_database, kafka_settings, postgres_settings, tmp_path) -> SlaMonitorSettings:
    path = tmp_path / "policies.yaml"
    path.write_text(yaml.safe_dump(POLICIES))
    return SlaMonitorSettings(
        database=await create_database("sla-monitor", MIGRATIONS),
        kafka=kafka_settings,
        postgres=postgres_settings,
        outbox_poll_interval_s=0.2,
        breach_poll_interval_s=0.1,
        policies_path=path,
        gauge_refresh_interval_s=0.2,
        **role_keys(),
    )


def qualified(
    handoff_id: str,
    policy: str,
    *,
    lead: str | None = None,
    attempt: int = 1,
    at=None,
    grade="A1",
    owner="rep-ada",
    queue="enterprise",
    captured_at=None,
) -> bytes:
    data = LeadQualified(
        handoff_id=handoff_id,
        lead_id=lead or f"lead-{handoff_id}",
        attempt=attempt,
        queue=queue,
        owner=Owner(id=owner, name=owner),
        score=80,
        grade=grade,
        stage="sql",
        sla=SlaTerms(policy=policy, due_at=datetime.now(UTC) + timedelta(days=30)),
        decision=DecisionRef(trace_id="t", strategy="round_robin"),
        captured_at=captured_at,
    )
    return encode(new_event(data, source="leadrelay/routing", subject=data.lead_id, time=at))


async def clock(client, handoff_id: str):
    response = await client.get(f"/v1/handoffs/{handoff_id}")
    return response.json() if response.status_code == 200 else None


async def test_business_hours_policies_count_in_the_team_calendar(settings):
    bs, topics = settings.kafka.bootstrap_servers, settings.kafka.topics
    friday_evening = datetime.fromisoformat("2026-11-27T16:30:00+01:00")  # 30 minutes before closing
    before_epiphany = datetime.fromisoformat(
        "2026-01-05T16:00:00+01:00"
    )  # Monday; Tuesday is a holiday in Bavaria
    await produce(bs, topics.qualified, qualified("weekend", "office", at=friday_evening), key="a")
    await produce(
        bs, topics.qualified, qualified("holiday", "office", at=before_epiphany, grade="C1"), key="a"
    )
    await produce(bs, topics.qualified, qualified("unknown", "not-a-policy"), key="a")
    async with running(build_app(settings), key=VIEWER_KEY) as client:
        weekend = await wait_until(lambda: clock(client, "weekend"), what="clock")
        holiday = await wait_until(lambda: clock(client, "holiday"), what="clock")
        unknown = await wait_until(lambda: clock(client, "unknown"), what="clock")
    assert datetime.fromisoformat(weekend["due_at"]) == datetime.fromisoformat("2026-11-30T09:30:00+01:00")
    # one hour on Monday, Tuesday the 6th is Epiphany, seven hours on Wednesday
    assert datetime.fromisoformat(holiday["due_at"]) == datetime.fromisoformat("2026-01-07T16:00:00+01:00")
    # a queue naming a policy the set lacks is timed by its fallback, never by the deadline the handoff carries
    started = datetime.fromisoformat(unknown["handed_off_at"])
    assert datetime.fromisoformat(unknown["due_at"]) == started + timedelta(minutes=60)


async def test_a_warning_comes_once_before_the_breach(settings):
    bs, topics = settings.kafka.bootstrap_servers, settings.kafka.topics
    await produce(bs, topics.qualified, qualified("hurry", "fast"), key="a")
    async with running(build_app(settings), key=VIEWER_KEY) as client:
        async with (
            TopicReader(bs, topics.at_risk) as warnings,
            TopicReader(bs, topics.sla_breached) as breaches,
        ):
            [warning] = await warnings.wait_for(1)
            [breach] = await breaches.wait_for(1)
            assert len(await warnings.settle(1.0)) == 1
        state = await clock(client, "hurry")
    assert warning.json()["type"] == "leadrelay.handoff.at-risk.v1"
    assert datetime.fromisoformat(warning.json()["time"]) < datetime.fromisoformat(breach.json()["time"])
    assert state["state"] == "breached" and state["warned_at"] is not None


async def test_a_reassignment_replaces_the_open_clock_of_the_earlier_attempt(settings):
    bs, topics = settings.kafka.bootstrap_servers, settings.kafka.topics
    await produce(bs, topics.qualified, qualified("first", "slow", lead="moved"), key="moved")
    await produce(
        bs,
        topics.qualified,
        qualified("second", "slow", lead="moved", attempt=2, owner="rep-grace"),
        key="moved",
    )
    async with running(build_app(settings), key=VIEWER_KEY) as client:
        await wait_until(lambda: clock(client, "second"), what="second clock")
        first = await clock(client, "first")
        open_ones = (await client.get("/v1/handoffs", params={"state": "open"})).json()
    assert first["state"] == "replaced" and first["replaced_at"] is not None
    assert [h["handoff_id"] for h in open_ones] == ["second"]


async def test_a_callback_moves_the_deadline_and_a_closed_clock_refuses_it(settings):
    bs, topics = settings.kafka.bootstrap_servers, settings.kafka.topics
    await produce(bs, topics.qualified, qualified("call-me", "slow"), key="a")
    async with running(build_app(settings), key=VIEWER_KEY) as client:
        await wait_until(lambda: clock(client, "call-me"), what="clock")
        tomorrow = datetime.now(UTC).replace(microsecond=0) + timedelta(days=1)
        before = await clock(client, "call-me")

        async def callback(handoff_id: str, at: str):
            return await client.post(f"/v1/handoffs/{handoff_id}/callback", json={"at": at}, headers=SALES)

        past = await callback("call-me", (datetime.now(UTC) - timedelta(minutes=5)).isoformat())
        too_far = await callback("call-me", (datetime.now(UTC) + timedelta(days=31)).isoformat())
        unchanged = await clock(client, "call-me")
        moved = await callback("call-me", tomorrow.isoformat())
        naive = await callback("call-me", "2026-12-01T10:00:00")
        await client.post("/v1/handoffs/call-me/contact", json={"channel": "phone"}, headers=SALES)
        closed = await callback("call-me", tomorrow.isoformat())
        missing = await callback("nope", tomorrow.isoformat())
        stored_missing = await clock(client, "nope")
    assert past.status_code == too_far.status_code == 422
    assert past.json()["errors"][0]["field"] == "at" and "30 days" in too_far.json()["errors"][0]["reason"]
    assert unchanged["due_at"] == before["due_at"]
    assert moved.status_code == 200
    assert datetime.fromisoformat(moved.json()["due_at"]) == tomorrow + timedelta(minutes=10)
    assert naive.status_code == 422
    assert closed.status_code == 409 and missing.status_code == 404 and stored_missing is None


async def test_filters_compliance_and_speed_to_lead_metrics(settings):
    bs, topics = settings.kafka.bootstrap_servers, settings.kafka.topics
    now = datetime.now(UTC)
    captured = now - timedelta(seconds=2)
    await produce(
        bs, topics.qualified, qualified("a1", "slow", owner="rep-ada", captured_at=captured), key="a"
    )
    await produce(
        bs, topics.qualified, qualified("a2", "fast", owner="rep-ada", captured_at=captured), key="a"
    )
    await produce(
        bs,
        topics.qualified,
        qualified("g1", "slow", owner="rep-grace", queue="smb", captured_at=captured),
        key="a",
    )
    async with running(build_app(settings), key=VIEWER_KEY) as client:
        for handoff_id in ("a1", "a2", "g1"):
            await wait_until(lambda h=handoff_id: clock(client, h), what=handoff_id)
        await client.post("/v1/handoffs/a1/contact", json={"channel": "phone"}, headers=SALES)

        async def breached():
            return (await clock(client, "a2"))["state"] == "breached"

        await wait_until(breached, what="a2 breached")
        ada = (await client.get("/v1/handoffs", params={"owner": "rep-ada"})).json()
        overdue = (await client.get("/v1/handoffs", params={"overdue": "true"})).json()
        smb = (await client.get("/v1/handoffs", params={"queue": "smb"})).json()
        by_owner = (await client.get("/v1/compliance", params={"by": "owner"})).json()["rows"]

        async def gauges_refreshed() -> str | None:
            text = (await client.get("/metrics")).text
            return text if 'leadrelay_sla_compliance_ratio{queue="enterprise"} 0.5' in text else None

        metrics = await wait_until(gauges_refreshed, what="the compliance gauge refreshed")
    assert {h["handoff_id"] for h in ada} == {"a1", "a2"}
    assert [h["handoff_id"] for h in overdue] == ["a2"] and [h["handoff_id"] for h in smb] == ["g1"]
    ada_row = next(r for r in by_owner if r["owner"] == "rep-ada")
    assert (ada_row["decided"], ada_row["on_time"], ada_row["breached"], ada_row["compliance"]) == (
        2,
        1,
        1,
        0.5,
    )
    assert ada_row["routing_time_p50_s"] == pytest.approx(2.0, abs=1.0)
    assert re.search(r'leadrelay_speed_to_lead_rep_seconds_count\{queue="enterprise"\} [1-9]', metrics)
    assert re.search(r'leadrelay_speed_to_lead_quantile_seconds\{part="routing",quantile="0.95"\}', metrics)
    assert re.search(r'leadrelay_sla_compliance_ratio\{queue="enterprise"\} 0.5', metrics)


async def test_policies_through_the_admin_api(settings):
    async with running(build_app(settings), key=VIEWER_KEY) as client:
        unauthorised = await client.get("/v1/policies")
        bad = {
            **POLICIES,
            "version": "bad",
            "policies": [{"name": "x", "clock": "business_hours", "deadlines": {"A": 5}}],
        }
        invalid = await client.post("/v1/policies", json=bad, headers=ADMIN)
        exported = await client.get("/v1/policies?format=yaml", headers=ADMIN)
        edited = yaml.safe_load(exported.text) | {"version": "test-policies-2"}
        added = await client.post(
            "/v1/policies?activate=true",
            content=yaml.safe_dump(edited),
            headers={**ADMIN, "content-type": "application/yaml"},
        )
        versions = (await client.get("/v1/policies/versions", headers=ADMIN)).json()
        reactivated = await client.post("/v1/policies/versions/test-policies/activate", headers=ADMIN)
        audit = (await client.get("/v1/audit", headers=ADMIN)).json()
        async with TopicReader(
            settings.kafka.bootstrap_servers, settings.kafka.topics.sla_policies
        ) as reader:
            await reader.wait_for(3)
            announced = await reader.settle(1.0)
    assert reactivated.status_code == 200
    # each activation announced once (the seed's activation and the start's announcement are one event)
    assert [m.json()["data"]["policies"]["version"] for m in announced] == [
        "test-policies",
        "test-policies-2",
        "test-policies",
    ]
    assert [m.json()["data"]["activated_at"] for m in announced] == sorted(
        m.json()["data"]["activated_at"] for m in announced
    )
    assert [(e["action"], e["subject"], e["detail"]) for e in audit] == [
        ("policies_activated", "test-policies", {"previous": "test-policies-2"}),
        ("policies_activated", "test-policies-2", {"previous": "test-policies"}),
        ("policies_added", "test-policies-2", {"policies": len(edited["policies"]), "calendars": 1}),
        ("policies_activated", "test-policies", {"previous": None}),
        ("policies_added", "test-policies", {"policies": len(POLICIES["policies"]), "calendars": 1}),
    ]
    assert audit[0]["actor"].startswith("admin key ") and audit[-1]["actor"] == "seed file"
    assert unauthorised.status_code == 403  # a viewer key is not an admin key
    assert invalid.status_code == 422
    assert invalid.json()["errors"][0]["reason"] == "policy 'x' counts business hours but names no calendar"
    assert added.status_code == 201
    assert [(v["version"], v["active"]) for v in versions] == [
        ("test-policies-2", True),
        ("test-policies", False),
    ]
