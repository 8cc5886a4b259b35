"""Capture's intake on real PostgreSQL and the broker: validation, storage, publishing, broker outages."""

from __future__ import annotations

import asyncio
import gc

import pytest
from sqlalchemy import text

from leadrelay.capture.bootstrap import build_app
from leadrelay.capture.settings import CaptureSettings
from leadrelay.db.engine import create_engine
from leadrelay.devkit.infra.net import free_port
from leadrelay.devkit.infra.resolve import local_broker
from leadrelay.devkit.testing.apps import running
from leadrelay.devkit.testing.kafka import TopicReader
from leadrelay.service.runtime import GC_THRESHOLDS

LEAD = {"email": "Ada@Example.COM", "name": "Ada", "company": "Acme", "phone": "+44 20 7946 0958"}
API_KEY = "test-api-key-0123456789"  # the key conftest configures

HEADERS = {"X-API-Key": API_KEY}


async def stored_emails(settings: CaptureSettings) -> list[str]:
    engine = create_engine(settings.database_url)
    try:
        async with engine.connect() as conn:
            return [r[0] for r in await conn.execute(text("SELECT email FROM leads ORDER BY captured_at"))]
    finally:
        await engine.dispose()


async def test_accepted_lead_is_stored_then_published_as_a_cloudevent(settings):
    async with running(build_app(settings)) as client:
        response = await client.post("/v1/leads", json={**LEAD, "company_size": 850}, headers=HEADERS)
        assert response.status_code == 202
        lead_id = response.json()["lead_id"]
        assert await stored_emails(settings) == ["ada@example.com"]
        async with TopicReader(settings.kafka.bootstrap_servers, settings.kafka.topics.captured) as reader:
            [message] = await reader.wait_for(1)
    event = message.json()
    assert message.key == lead_id
    assert event["type"] == "leadrelay.lead.captured.v1"
    assert event["source"] == "leadrelay/capture"
    assert event["subject"] == lead_id
    assert event["data"]["lead_id"] == lead_id
    assert event["data"]["completeness"] == "complete"
    assert event["data"]["contact"]["email"] == "ada@example.com"
    assert event["data"]["company"]["employees"] == 850 and event["data"]["company"]["size"] == "201-1000"


@pytest.mark.parametrize(
    ("body", "field", "reason"),
    [
        ({"name": "No Email"}, "email", "Field required"),
        ({"email": "not-an-email"}, "email", "must have an @-sign"),
        ({"email": "a@example.com", "name": 42}, "name", "valid string"),
        ({"email": "a@example.com", "consent": {"marketing": "maybe"}}, "consent.marketing", "valid boolean"),
        ({"email": "a@example.com", "name": "x" * 201}, "name", "at most 200 characters"),
        ({"email": "a@example.com", "country": "Atlantis"}, "country", "unknown country"),
        ({"email": "a@example.com", "favourite_colour": "red"}, "favourite_colour", "Extra inputs"),
    ],
)
async def test_bad_input_gets_a_422_naming_the_field_and_the_reason(settings, body, field, reason):
    async with running(build_app(settings)) as client:
        response = await client.post("/v1/leads", json=body, headers=HEADERS)
    assert response.status_code == 422
    errors = response.json()["errors"]
    assert any(e["field"] == field and reason in e["reason"] for e in errors), errors
    assert await stored_emails(settings) == []


async def test_every_bad_field_is_listed_at_once(settings):
    async with running(build_app(settings)) as client:
        response = await client.post(
            "/v1/leads", json={"email": "nope", "name": 1, "source": "carrier-pigeon"}, headers=HEADERS
        )
    assert {e["field"] for e in response.json()["errors"]} == {"email", "name", "source"}


async def test_oversized_body_gets_413_and_non_json_gets_422(settings):
    async with running(build_app(settings)) as client:
        huge = await client.post("/v1/leads", json={**LEAD, "message": "x" * 100_000}, headers=HEADERS)
        garbage = await client.post(
            "/v1/leads", content=b"{not json", headers={**HEADERS, "content-type": "application/json"}
        )
        alive = await client.get("/healthz")
    assert huge.status_code == 413
    assert garbage.status_code == 422
    assert alive.status_code == 200


async def test_a_body_that_is_not_json_gets_415_and_a_stranger_learns_nothing_about_the_body(settings):
    async with running(build_app(settings)) as client:
        form_encoded = await client.post("/v1/leads", data={"email": "a@example.com"}, headers=HEADERS)
        vendor_json = await client.post(
            "/v1/leads",
            content=b'{"email": "b@example.com"}',
            headers={**HEADERS, "content-type": "application/lead+json"},
        )
        stranger = await client.post("/v1/leads", json={"email": "nope"})
    assert form_encoded.status_code == 415 and form_encoded.json()["error"] == "unsupported_media_type"
    assert vendor_json.status_code == 202
    assert stranger.status_code == 401
    assert await stored_emails(settings) == ["b@example.com"]


async def test_the_openapi_document_describes_the_lead_body_and_the_idempotency_header(settings):
    async with running(build_app(settings)) as client:
        document = (await client.get("/openapi.json")).json()
    operation = document["paths"]["/v1/leads"]["post"]
    body_ref = operation["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    components = document["components"]["schemas"]
    assert body_ref == "#/components/schemas/LeadIn" and "email" in components["LeadIn"]["required"]
    assert components["LeadIn"]["properties"]["consent"]["$ref"] == "#/components/schemas/ConsentIn"
    assert [p["name"] for p in operation["parameters"]] == ["Idempotency-Key"]
    assert operation["responses"]["422"]["content"]["application/json"]["schema"]["$ref"].endswith(
        "HTTPValidationError"
    )
    assert components["HTTPValidationError"]["required"] == ["error", "errors"]


async def test_leads_accepted_while_the_broker_is_down_are_all_published_once_it_is_back(settings, tmp_path):
    port = free_port()
    kafka = settings.kafka.model_copy(
        update={"bootstrap_servers": f"127.0.0.1:{port}", "send_timeout_s": 2, "request_timeout_s": 2}
    )
    down_settings = settings.model_copy(update={"kafka": kafka})
    broker = local_broker(tmp_path, port=port)
    try:
        async with running(build_app(down_settings)) as client:
            responses = await asyncio.gather(
                *(
                    client.post("/v1/leads", json={**LEAD, "email": f"lead{i}@example.com"}, headers=HEADERS)
                    for i in range(20)
                )
            )
            assert [r.status_code for r in responses] == [202] * 20
            ready = await client.get("/readyz")
            # capture's outbox keeps accepting: it is ready, and says the broker is not reachable
            assert ready.status_code == 200 and ready.json()["checks"]["kafka"].startswith("unreachable")
            accepted = {r.json()["lead_id"] for r in responses}
            await asyncio.to_thread(broker.start)
            async with TopicReader(kafka.bootstrap_servers, kafka.topics.captured) as reader:
                await reader.wait_for(20, timeout_s=60)
                messages = await reader.settle(1.0)
    finally:
        broker.stop()
    published = [m.json()["data"]["lead_id"] for m in messages]
    assert sorted(published) == sorted(accepted)  # every accepted lead, once


async def test_without_its_database_capture_answers_503_and_stores_nothing(settings, unique):
    missing = settings.model_copy(update={"database": f"lrt_missing_{unique}"})
    async with running(build_app(missing)) as client:
        response = await client.post("/v1/leads", json=LEAD, headers=HEADERS)
        ready = await client.get("/readyz")
    assert response.status_code == 503 and response.headers["retry-after"] == "5"
    assert response.json()["error"] == "unavailable"
    assert ready.status_code == 503 and ready.json()["checks"]["database"].startswith("unreachable")


async def test_a_failing_write_answers_503_stores_nothing_and_the_next_lead_is_stored(settings):
    async with running(build_app(settings)) as client:
        await client.post("/v1/leads", json={"email": "first@example.com"}, headers=HEADERS)  # warm pool
        engine = create_engine(settings.database_url)
        try:
            async with engine.begin() as conn:  # the group commit's insert now fails inside PostgreSQL
                await conn.execute(text("ALTER TABLE outbox RENAME TO outbox_gone"))
            failed = await client.post("/v1/leads", json={"email": "second@example.com"}, headers=HEADERS)
            async with engine.begin() as conn:
                await conn.execute(text("ALTER TABLE outbox_gone RENAME TO outbox"))
        finally:
            await engine.dispose()
        stored = await client.post("/v1/leads", json={"email": "third@example.com"}, headers=HEADERS)
    assert failed.status_code == 503 and failed.headers["retry-after"] == "5"
    assert failed.json()["error"] == "unavailable"
    assert stored.status_code == 202
    assert await stored_emails(settings) == ["first@example.com", "third@example.com"]  # nothing half-stored


async def test_startup_objects_are_frozen_out_of_the_garbage_collector(settings):
    gc.unfreeze()  # earlier apps in this test process froze theirs
    gc.set_threshold(700, 10, 10)
    assert gc.get_freeze_count() == 0
    async with running(build_app(settings)) as client:
        assert (await client.get("/healthz")).status_code == 200
        # Full collections would otherwise walk every imported module's objects (~100 ms pauses under load).
        assert gc.get_freeze_count() > 100_000
        assert gc.get_threshold() == GC_THRESHOLDS  # young collections less often than every 700 objects
