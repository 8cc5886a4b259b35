"""The demo is a development feature, a form's origin check refuses posts without an Origin, and capture serves
its intake while the broker is down."""

from __future__ import annotations

import time

from leadrelay.capture.bootstrap import build_app
from leadrelay.devkit.infra.net import free_port
from leadrelay.devkit.testing.apps import running

ADMIN = {"X-Admin-Key": "test-admin-key-0123456789"}  # as configured by conftest
API = {"X-API-Key": "test-api-key-0123456789"}
DEMO_KEY = "pk_demo_2c8f1b7e4a9d4f00"
ORIGIN = "http://127.0.0.1:8001"


async def test_without_the_demo_switch_there_is_no_demo_form_page_or_key(settings):
    plain = settings.model_copy(update={"demo": False, "demo_form_key": None})
    async with running(build_app(plain)) as client:
        page = await client.get("/demo")
        forms = (await client.get("/v1/admin/forms", headers=ADMIN)).json()
        post = await client.post(
            "/v1/forms/demo", data={"email": "a@example.com"}, headers={"Origin": ORIGIN}
        )
        keyed = await client.post(
            "/v1/leads", json={"email": "a@example.com"}, headers={"X-Form-Key": DEMO_KEY, "Origin": ORIGIN}
        )
    assert page.status_code == 404 and forms == [] and post.status_code == 404 and keyed.status_code == 401


async def test_a_configured_demo_key_replaces_the_stored_one_at_start(settings):
    async with running(build_app(settings)) as client:
        assert (await client.get("/v1/admin/forms/demo", headers=ADMIN)).json()["public_key"] == DEMO_KEY
    rotated = settings.model_copy(update={"demo_form_key": "pk_demo_rotated_0123456789"})
    async with running(build_app(rotated)) as client:
        stored = (await client.get("/v1/admin/forms/demo", headers=ADMIN)).json()["public_key"]
        old = await client.post(
            "/v1/leads", json={"email": "a@example.com"}, headers={"X-Form-Key": DEMO_KEY, "Origin": ORIGIN}
        )
    assert stored == "pk_demo_rotated_0123456789" and old.status_code == 401


async def test_a_browser_post_without_origin_is_refused_unless_the_form_allows_it(settings):
    lenient = {
        "id": "kiosk",
        "public_key": "pk_kiosk_0123456789ab",
        "allowed_origins": [],
        "allow_missing_origin": True,
    }
    async with running(build_app(settings)) as client:
        script = await client.post("/v1/forms/demo", data={"email": "a@example.com"})
        keyed = await client.post(
            "/v1/leads", json={"email": "b@example.com"}, headers={"X-Form-Key": DEMO_KEY}
        )
        assert (await client.put("/v1/admin/forms/kiosk", json=lenient, headers=ADMIN)).status_code == 200
        kiosk = await client.post("/v1/forms/kiosk", data={"email": "c@example.com"})
        control = await client.put(
            "/v1/admin/forms/bad",
            json={**lenient, "id": "bad", "mapping": {"a\u0000b": "name"}},
            headers=ADMIN,
        )
    assert script.status_code == keyed.status_code == 403
    assert script.json()["error"] == "origin_required"
    assert kiosk.status_code == 202
    assert control.status_code == 422 and "control character" in control.json()["errors"][0]["reason"]


async def test_capture_takes_leads_and_is_ready_while_the_broker_is_down(settings):
    down = settings.model_copy(
        update={"kafka": settings.kafka.model_copy(update={"bootstrap_servers": f"127.0.0.1:{free_port()}"})}
    )
    started = time.monotonic()
    async with running(build_app(down)) as client:
        up_after = time.monotonic() - started
        ready = await client.get("/readyz")
        posted = await client.post("/v1/leads", json={"email": "outage@example.com"}, headers=API)
    assert up_after < 5, f"startup waited {up_after:.1f} s for the broker"
    assert ready.status_code == 200 and ready.json()["checks"]["kafka"].startswith("unreachable")
    assert ready.json()["optional"] == ["kafka"]
    assert posted.status_code == 202
