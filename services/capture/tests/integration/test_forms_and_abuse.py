"""HTML forms, chat, activities, keys, origins, honeypot, size and rate limits."""

from __future__ import annotations

import pytest

from leadrelay.capture.bootstrap import build_app
from leadrelay.devkit.testing.apps import running
from leadrelay.devkit.testing.kafka import TopicReader

API = {"X-API-Key": "test-api-key-0123456789"}
DEMO_KEY = "pk_demo_2c8f1b7e4a9d4f00"
ORIGIN = "http://127.0.0.1:8001"


async def stored(settings, sql):
    from sqlalchemy import text

    from leadrelay.db.engine import create_engine

    engine = create_engine(settings.database_url)
    try:
        async with engine.connect() as conn:
            return (await conn.execute(text(sql))).all()
    finally:
        await engine.dispose()


async def test_plain_form_post_redirects_to_thanks_and_drops_fields_the_form_does_not_allow(settings):
    form = {
        "email": "Form@Example.com",
        "full_name": "Form Person",
        "organisation": "Acme",
        "country": "Germany",
        "phone": "030 123456",
        "consent_marketing": "on",
        "utm_source": "newsletter",
        "favourite_colour": "teal",
        "website": "",
    }
    async with running(build_app(settings)) as client:
        response = await client.post("/v1/forms/demo", data=form, headers={"Origin": ORIGIN})
        metrics = (await client.get("/metrics")).text
    assert response.status_code == 303 and response.headers["location"] == "/demo/thanks"
    assert response.headers["access-control-allow-origin"] == ORIGIN
    [consent] = await stored(settings, "SELECT consent_purposes, consent_policy_version, form_id FROM leads")
    assert tuple(consent) == (["contact", "marketing"], "2026-11", "demo")
    [row] = await stored(
        settings, "SELECT email, name, company, country, phone, consent_marketing, utm FROM leads"
    )
    assert tuple(row) == (
        "form@example.com",
        "Form Person",
        "Acme",
        "DE",
        "+4930123456",
        True,
        {"source": "newsletter"},
    )
    assert 'leadrelay_capture_dropped_fields_total{form="demo"} 1.0' in metrics
    assert "teal" not in str(await stored(settings, "SELECT * FROM leads"))


async def test_multipart_post_asking_for_json_gets_202_and_errors_read_by_a_person(settings):
    async with running(build_app(settings)) as client:
        ok = await client.post(
            "/v1/forms/demo",
            files={"email": (None, "multi@example.com")},
            headers={"Accept": "application/json", "Origin": ORIGIN},
        )
        bad_html = await client.post(
            "/v1/forms/demo", data={"email": "nope", "phone": "12"}, headers={"Origin": ORIGIN}
        )
        bad_json = await client.post(
            "/v1/forms/demo", data={"name": "x"}, headers={"Accept": "application/json", "Origin": ORIGIN}
        )
    assert ok.status_code == 202 and ok.json()["status"] == "accepted" and "lead_id" not in ok.json()
    assert bad_html.status_code == 422 and bad_html.headers["content-type"].startswith("text/html")
    assert "<strong>email</strong>" in bad_html.text and "<strong>phone</strong>" in bad_html.text
    assert bad_json.json()["errors"][0] == {"field": "email", "reason": "Field required", "type": "missing"}


async def test_honeypot_answers_like_a_person_but_stores_and_emits_nothing(settings):
    async with running(build_app(settings)) as client:
        response = await client.post(
            "/v1/forms/demo",
            data={"email": "bot@example.com", "website": "http://spam"},
            headers={"Origin": ORIGIN},
        )
        metrics = (await client.get("/metrics")).text
    assert response.status_code == 303
    assert await stored(settings, "SELECT id FROM leads") == []
    assert await stored(settings, "SELECT id FROM outbox") == []
    assert 'leadrelay_capture_honeypot_total{form="demo"} 1.0' in metrics


async def test_keys_and_origins(settings):
    lead = {"email": "k@example.com"}
    async with running(build_app(settings)) as client:
        nothing = await client.post("/v1/leads", json=lead)
        wrong = await client.post("/v1/leads", json=lead, headers={"X-API-Key": "x" * 20})
        browser = await client.post(
            "/v1/leads", json=lead, headers={"X-Form-Key": DEMO_KEY, "Origin": ORIGIN}
        )
        stranger = await client.post(
            "/v1/leads", json=lead, headers={"X-Form-Key": DEMO_KEY, "Origin": "https://evil.example"}
        )
        preflight_ok = await client.options(
            "/v1/leads", headers={"Origin": ORIGIN, "Access-Control-Request-Method": "POST"}
        )
        preflight_bad = await client.options(
            "/v1/forms/demo",
            headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "POST"},
        )
    assert nothing.status_code == wrong.status_code == 401
    assert browser.status_code == 202 and browser.headers["access-control-allow-origin"] == ORIGIN
    assert stranger.status_code == 403 and "access-control-allow-origin" not in stranger.headers
    assert (
        preflight_ok.status_code == 204
        and "x-form-key" in preflight_ok.headers["access-control-allow-headers"]
    )
    assert preflight_bad.status_code == 403 and "access-control-allow-origin" not in preflight_bad.headers
    [row] = await stored(settings, "SELECT form_id, source FROM leads")
    assert tuple(row) == ("demo", "web_form")


async def test_a_65_kib_body_is_refused_with_or_without_content_length(settings):
    big = b'{"email": "big@example.com", "message": "' + b"x" * (65 * 1024) + b'"}'

    async def chunks():
        for i in range(0, len(big), 4096):
            yield big[i : i + 4096]

    async with running(build_app(settings)) as client:
        declared = await client.post(
            "/v1/leads", content=big, headers={**API, "content-type": "application/json"}
        )
        chunked = await client.post(
            "/v1/leads", content=chunks(), headers={**API, "content-type": "application/json"}
        )
    assert declared.status_code == chunked.status_code == 413


async def test_a_burst_over_the_limit_gets_429_with_retry_after(settings):
    limited = settings.model_copy(update={"rate_limit_per_ip": "5/minute"})
    browser = {"X-Form-Key": DEMO_KEY, "Origin": ORIGIN}
    async with running(build_app(limited)) as client:
        codes = [
            (await client.post("/v1/leads", json={"email": f"r{i}@example.com"}, headers=browser))
            for i in range(7)
        ]
    assert [r.status_code for r in codes] == [202] * 5 + [429] * 2
    assert int(codes[-1].headers["retry-after"]) > 0


async def test_refused_and_malformed_requests_count_against_the_ip_before_the_body_is_read(settings):
    limited = settings.model_copy(update={"rate_limit_per_ip": "4/minute"})
    async with running(build_app(limited)) as client:
        no_key = [(await client.post("/v1/leads", content=b"{")).status_code for _ in range(2)]
        malformed = await client.post(
            "/v1/leads", content=b"{not json", headers={"X-Form-Key": DEMO_KEY, "Origin": ORIGIN}
        )
        unknown_form = await client.post("/v1/forms/nope", data={"email": "a@example.com"})
        after = await client.post(
            "/v1/leads",
            json={"email": "late@example.com"},
            headers={"X-Form-Key": DEMO_KEY, "Origin": ORIGIN},
        )
    assert no_key == [401, 401] and malformed.status_code == 422 and unknown_form.status_code == 404
    assert after.status_code == 429 and int(after.headers["retry-after"]) > 0
    assert await stored(settings, "SELECT id FROM leads") == []


async def test_a_backend_has_its_own_quota_and_is_not_throttled_by_the_public_limit(settings):
    limited = settings.model_copy(
        update={"rate_limit_per_ip": "2/minute", "rate_limit_per_backend_key": "5/minute"}
    )
    async with running(build_app(limited)) as client:
        codes = [
            (await client.post("/v1/leads", json={"email": f"b{i}@example.com"}, headers=API)).status_code
            for i in range(7)
        ]
    assert codes == [202] * 5 + [429] * 2


@pytest.mark.parametrize(
    ("lead", "expected"),
    [
        (
            {"email": "Ann@BÜCHER.example", "country": "de", "phone": "030 1234567"},
            ("ann@bücher.example", "DE", "+49301234567"),
        ),
        (
            {"email": "x@mailinator.com", "phone": "+1 415 555 0100"},
            ("x@mailinator.com", None, "+14155550100"),
        ),
    ],
)
async def test_contact_data_is_normalised_and_flagged(settings, lead, expected):
    async with running(build_app(settings)) as client:
        response = await client.post("/v1/leads", json=lead, headers=API)
        async with TopicReader(settings.kafka.bootstrap_servers, settings.kafka.topics.captured) as reader:
            [message] = await reader.wait_for(1)
    assert response.status_code == 202
    data = message.json()["data"]
    assert (data["contact"]["email"], data["company"]["country"], data["contact"]["phone"]) == expected
    assert data["disposable_email"] is ("mailinator" in lead["email"])


async def test_chat_and_activities(settings):
    async with running(build_app(settings)) as client:
        chat = await client.post(
            "/v1/chat",
            json={
                "visitor": {"email": "chat@example.com", "name": "Chatty"},
                "transcript": [
                    {"from": "bot", "text": "Hi!"},
                    {"from": "visitor", "text": "Do you integrate with Salesforce?"},
                ],
            },
            headers={"X-Form-Key": DEMO_KEY, "Origin": ORIGIN},
        )
        [(lead_id,)] = await stored(settings, "SELECT id FROM leads")
        activity = await client.post(f"/v1/leads/{lead_id}/activities", json={"kind": "webinar"}, headers=API)
        unknown = await client.post(
            "/v1/leads/00000000-0000-0000-0000-000000000000/activities", json={"kind": "webinar"}, headers=API
        )
        from_browser = await client.post(
            f"/v1/leads/{lead_id}/activities", json={"kind": "webinar"}, headers={"X-Form-Key": DEMO_KEY}
        )
        async with TopicReader(settings.kafka.bootstrap_servers, settings.kafka.topics.activity) as reader:
            [event] = await reader.wait_for(1)
    assert chat.status_code == 202 and set(chat.json()) == {"status", "receipt"}
    assert activity.status_code == 202
    assert unknown.status_code == 404 and from_browser.status_code == 403
    assert event.json()["data"]["kind"] == "webinar" and event.key == lead_id
    [row] = await stored(settings, "SELECT source, message FROM leads")
    assert tuple(row) == ("chat", "Do you integrate with Salesforce?")


async def test_consent_purposes_are_stored_and_announced(settings):
    body = {"email": "c@example.com", "consent": {"purposes": ["newsletter"], "policy_version": "v7"}}
    async with running(build_app(settings)) as client:
        response = await client.post("/v1/leads", json=body, headers=API)
        bad = await client.post(
            "/v1/leads", json={**body, "consent": {"purposes": ["sell_my_data"]}}, headers=API
        )
        async with TopicReader(settings.kafka.bootstrap_servers, settings.kafka.topics.captured) as reader:
            [message] = await reader.wait_for(1)
    assert response.status_code == 202 and bad.status_code == 422
    consent = message.json()["data"]["consent"]
    assert consent["purposes"] == ["contact", "newsletter"] and consent["marketing"] is False
    assert consent["policy_version"] == "v7" and consent["captured_at"]
