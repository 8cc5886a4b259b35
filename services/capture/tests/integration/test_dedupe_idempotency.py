"""One person is one lead, also under concurrency; a retried Idempotency-Key gets the first answer."""

from __future__ import annotations

import asyncio

from sqlalchemy import text

from leadrelay.capture.bootstrap import build_app
from leadrelay.db.engine import create_engine
from leadrelay.devkit.testing.apps import running
from leadrelay.devkit.testing.kafka import TopicReader

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


BROWSER = {"X-Form-Key": "pk_demo_2c8f1b7e4a9d4f00", "Origin": "http://127.0.0.1:8001"}
VICTIM = {
    "email": "victim@example.com",
    "name": "Vera Victim",
    "company": "Real Co",
    "company_size": "1000+",
    "message": None,
}


async def rows(settings, sql: str) -> list[tuple]:
    engine = create_engine(settings.database_url)
    try:
        async with engine.connect() as conn:
            return [tuple(r) for r in await conn.execute(text(sql))]
    finally:
        await engine.dispose()


async def test_a_stranger_resubmitting_a_known_email_overwrites_nothing_and_its_changes_are_proposed(
    settings,
):
    stranger = {
        **VICTIM,
        "name": "Mallory",
        "company": "Evil Corp",
        "company_size": "1-10",
        "phone": "+4930123456",
    }
    topics = settings.kafka.topics
    async with running(build_app(settings)) as client:
        first = await client.post("/v1/leads", json=VICTIM, headers=HEADERS)
        async with TopicReader(settings.kafka.bootstrap_servers, topics.activity) as activity:
            posted = await client.post("/v1/leads", json=stranger, headers=BROWSER)
            [resubmitted] = await activity.wait_for(1)
        async with TopicReader(settings.kafka.bootstrap_servers, topics.captured) as captured:
            events = [m.json()["data"] for m in await captured.wait_for(2)]
        crm = await client.post(
            "/v1/leads",
            json={"email": VICTIM["email"], "company": "Renamed Co", "update_existing": True},
            headers=HEADERS,
        )
        browser_update = await client.post(
            "/v1/leads", json={**stranger, "update_existing": True}, headers=BROWSER
        )
    assert first.status_code == posted.status_code == crm.status_code == 202
    assert set(posted.json()) == {"status", "receipt"}  # the stranger learns nothing about the lead
    assert (
        browser_update.status_code == 422 and browser_update.json()["errors"][0]["field"] == "update_existing"
    )
    second = events[1]
    assert second["lead_id"] == first.json()["lead_id"] and second["is_new"] is False
    assert (second["contact"]["name"], second["contact"]["company"], second["company"]["size"]) == (
        "Vera Victim",
        "Real Co",
        "1000+",
    )
    assert second["contact"]["phone"] == "+4930123456"  # a gap is filled
    assert resubmitted.json()["data"]["properties"]["proposed_fields"] == ["company", "company_size", "name"]
    assert "Mallory" not in resubmitted.value.decode()  # the values stay in capture's database
    [(proposed,)] = await rows(
        settings, "SELECT properties->'proposed_changes' FROM activities ORDER BY at LIMIT 1"
    )
    assert proposed == {"name": "Mallory", "company": "Evil Corp", "company_size": "1-10"}
    assert await rows(settings, "SELECT name, company FROM leads") == [("Vera Victim", "Renamed Co")]


async def test_marketing_consent_withdrawn_comes_back_only_through_a_confirmed_channel(settings):
    person = {"email": "opt@example.com", "consent": {"marketing": True}}
    async with running(build_app(settings)) as client:
        first = await client.post("/v1/leads", json=person, headers=HEADERS)
        async with TopicReader(settings.kafka.bootstrap_servers, settings.kafka.topics.consent) as consent:
            opted = await client.post("/v1/opt-outs", json={"email": "opt@example.com"}, headers=HEADERS)
            public = await client.post("/v1/leads", json=person, headers=BROWSER)
            backend_plain = await client.post("/v1/leads", json=person, headers=HEADERS)
            after_public = await rows(settings, "SELECT consent_marketing FROM leads")
            confirmed = await client.post(
                "/v1/leads", json={**person, "update_existing": True}, headers=HEADERS
            )
            changes = [m.json()["data"] for m in await consent.wait_for(2)]
            assert len(await consent.settle(0.5)) == 2  # the public post changed nothing
    assert (
        opted.status_code == public.status_code == backend_plain.status_code == confirmed.status_code == 202
    )
    assert after_public == [(False,)]
    lead_id = first.json()["lead_id"]
    assert [(c["lead_id"], c["marketing"], c["channel"]) for c in changes] == [
        (lead_id, False, "opt_out"),
        (lead_id, True, "backend"),
    ]
    assert "marketing" not in changes[0]["purposes"] and "marketing" in changes[1]["purposes"]
    assert await rows(settings, "SELECT consent_marketing, marketing_opted_out_at IS NULL FROM leads") == [
        (True, True)
    ]


async def test_idempotency_keys_are_erased_with_their_lead_and_expire(settings):
    app = build_app(settings.model_copy(update={"idempotency_keep_hours": 1}))
    async with running(app) as client:
        for email, key in (("erase-me@example.com", "k-erase"), ("keep-me@example.com", "k-keep")):
            posted = await client.post(
                "/v1/leads", json={"email": email}, headers={**HEADERS, "Idempotency-Key": key}
            )
            assert posted.status_code == 202
        erased = await client.post(
            "/v1/erasure-requests", json={"email": "erase-me@example.com"}, headers=HEADERS
        )
        assert erased.status_code == 202
        assert await rows(settings, "SELECT key FROM idempotency_keys") == [("backend:k-keep",)]
        engine = create_engine(settings.database_url)
        try:
            async with engine.begin() as conn:
                await conn.execute(
                    text("UPDATE idempotency_keys SET created_at = now() - interval '2 hours'")
                )
        finally:
            await engine.dispose()
        await app.state.runtime.housekeeper.sweep()
    assert await rows(settings, "SELECT key FROM idempotency_keys") == []
