"""One person is one lead, also under concurrency; a retried Idempotency-Key gets the first answer."""

from __future__ import annotations

import asyncio

from sqlalchemy import text

from leadrelay.capture.bootstrap import build_app
from leadrelay.db.engine import create_engine
from leadrelay.testing.apps import running
from leadrelay.testing.kafka import TopicReader

HEADERS = {"X-API-Key": "test-api-key-0123456789"}


async def counts(settings) -> tuple[int, int, int]:
    engine = create_engine(settings.database_url)
    try:
        async with engine.connect() as conn:
            leads = await conn.scalar(text("SELECT count(*) FROM leads"))
            captured = await conn.scalar(
                text("SELECT count(*) FROM outbox WHERE topic LIKE '%leads.captured'")
            )
            activities = await conn.scalar(text("SELECT count(*) FROM activities"))
            return int(leads or 0), int(captured or 0), int(activities or 0)
    finally:
        await engine.dispose()


async def test_twenty_concurrent_posts_of_one_email_make_one_lead(settings):
    async with running(build_app(settings)) as client:
        responses = await asyncio.gather(
            *(
                client.post(
                    "/v1/leads", json={"email": "SAME@example.com", "name": f"Try {i}"}, headers=HEADERS
                )
                for i in range(20)
            )
        )
        assert {r.status_code for r in responses} == {202}
        assert len({r.json()["lead_id"] for r in responses}) == 1
        assert [r.json()["is_new"] for r in responses].count(True) == 1
        async with TopicReader(settings.kafka.bootstrap_servers, settings.kafka.topics.captured) as reader:
            events = [m.json()["data"] for m in await reader.wait_for(20)]
    assert await counts(settings) == (1, 20, 19)
    assert [e["is_new"] for e in events].count(True) == 1
    assert {e["lead_id"] for e in events} == {responses[0].json()["lead_id"]}


async def test_a_repeat_submission_fills_gaps_of_the_surviving_lead(settings):
    async with running(build_app(settings)) as client:
        first = await client.post("/v1/leads", json={"email": "ann@example.com"}, headers=HEADERS)
        again = await client.post(
            "/v1/leads",
            json={"email": "Ann@Example.com", "company": "Acme", "consent": {"marketing": True}},
            headers=HEADERS,
        )
    assert again.json() == {"lead_id": first.json()["lead_id"], "is_new": False}
    engine = create_engine(settings.database_url)
    try:
        async with engine.connect() as conn:
            row = (await conn.execute(text("SELECT company, consent_marketing FROM leads"))).one()
    finally:
        await engine.dispose()
    assert tuple(row) == ("Acme", True)


async def test_a_retried_idempotency_key_returns_the_first_answer_and_nothing_more(settings):
    body = {"email": "retry@example.com", "name": "Retry"}
    headers = {**HEADERS, "Idempotency-Key": "order-42"}
    async with running(build_app(settings)) as client:
        first, second, *concurrent = await asyncio.gather(
            *(client.post("/v1/leads", json=body, headers=headers) for _ in range(5))
        )
        other = await client.post("/v1/leads", json={**body, "name": "Changed"}, headers=headers)
    assert {r.status_code for r in (first, second, *concurrent)} == {202}
    assert len({r.text for r in (first, second, *concurrent)}) == 1
    assert await counts(settings) == (1, 1, 0)
    assert other.status_code == 422
    assert other.json()["errors"][0]["field"] == "Idempotency-Key"
