"""The no-Java path keeps working: the five services on the embedded Tansu broker hand a lead off."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from leadrelay.devkit.infra.resolve import start_local_broker
from leadrelay.devkit.testing.kafka import TopicReader

pytestmark = pytest.mark.system

API = {"X-API-Key": "system-test-api-key-0123"}  # as configured by conftest
HOT = {
    "email": "smoke@example.com",
    "name": "Tansu Smoke",
    "company": "Smoke Works",
    "company_size": "1000+",
    "source": "referral",
    "message": "Can we see a demo this week?",
}


async def test_a_lead_is_handed_off_on_the_embedded_broker(system_on, tmp_path, monkeypatch):
    monkeypatch.setenv("LEADRELAY_DEV_BROKER", "tansu")
    broker = await asyncio.to_thread(start_local_broker, tmp_path / "broker")
    for name, value in broker.client_profile.items():  # the services are told what Tansu cannot do
        monkeypatch.setenv(name, value)
    try:
        assert broker.kind == "embedded (Tansu)"
        async with system_on(broker.bootstrap_servers) as system:
            async with TopicReader(broker.bootstrap_servers, system.kafka.topics.qualified) as reader:
                async with httpx.AsyncClient(timeout=10, headers=API) as http:
                    posted = await http.post(system.url("capture") + "/v1/leads", json=HOT)
                [handoff] = await reader.wait_for(1, timeout_s=60)
        assert posted.status_code == 202
        assert handoff.json()["data"]["lead_id"] == posted.json()["lead_id"]
    finally:
        await asyncio.to_thread(broker.stop)
