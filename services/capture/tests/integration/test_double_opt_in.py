"""Double opt-in: after an opt-out, marketing consent comes back when the person confirms a signed link."""

from __future__ import annotations

from urllib.parse import urlparse

from sqlalchemy import text

from leadrelay.capture.bootstrap import build_app
from leadrelay.db.engine import create_engine
from leadrelay.devkit.testing.apps import running
from leadrelay.devkit.testing.kafka import TopicReader

API = {"X-API-Key": "test-api-key-0123456789"}  # as configured by conftest
SECRET = "test-consent-secret-0123456789abcdef"


async def consent_of(settings) -> list[tuple]:
    engine = create_engine(settings.database_url)
    try:
        async with engine.connect() as conn:
            rows = await conn.execute(
                text("SELECT consent_marketing, marketing_opted_out_at IS NULL FROM leads")
            )
            return [tuple(r) for r in rows]
    finally:
        await engine.dispose()


async def test_a_confirmed_link_gives_consent_back_and_a_forged_one_changes_nothing(settings):
    configured = settings.model_copy(update={"consent_secret": SECRET})
    person = {"email": "doi@example.com", "consent": {"marketing": True}}
    async with running(build_app(configured)) as client:
        await client.post("/v1/leads", json=person, headers=API)
        await client.post("/v1/opt-outs", json={"email": "doi@example.com"}, headers=API)
        issued = await client.post(
            "/v1/consent-confirmations", json={"email": "doi@example.com"}, headers=API
        )
        link = urlparse(issued.json()["confirm_url"])
        token = issued.json()["token"]
        page = await client.get(f"{link.path}?{link.query}")
        after_page = await consent_of(settings)
        forged = await client.post("/v1/consent/confirm", data={"token": token[:-4] + "AAAA"})
        after_forged = await consent_of(settings)
        unknown = await client.post(
            "/v1/consent-confirmations", json={"email": "nobody@example.com"}, headers=API
        )
        async with TopicReader(settings.kafka.bootstrap_servers, settings.kafka.topics.consent) as consent:
            confirmed = await client.post("/v1/consent/confirm", data={"token": token})
            changes = [m.json()["data"] for m in await consent.wait_for(2)]
    assert issued.status_code == 201 and link.path == "/v1/consent/confirm"
    assert (
        page.status_code == 200
        and 'name="token"' in page.text
        and "frame-ancestors 'none'" in page.headers["content-security-policy"]
    )
    assert after_page == after_forged == [(False, False)]  # opening the link or forging it changes nothing
    assert forged.status_code == 400 and "not valid" in forged.text
    assert unknown.status_code == 404
    assert confirmed.status_code == 200 and await consent_of(settings) == [(True, True)]
    assert [(c["marketing"], c["channel"]) for c in changes] == [(False, "opt_out"), (True, "double_opt_in")]


async def test_without_a_secret_no_link_is_issued_and_none_is_accepted(settings):
    async with running(build_app(settings)) as client:
        await client.post("/v1/leads", json={"email": "nosecret@example.com"}, headers=API)
        issued = await client.post(
            "/v1/consent-confirmations", json={"email": "nosecret@example.com"}, headers=API
        )
        confirmed = await client.post("/v1/consent/confirm", data={"token": "a" * 40 + "." + "b" * 43})
    assert issued.status_code == 409 and issued.json()["error"] == "not_configured"
    assert confirmed.status_code == 400
