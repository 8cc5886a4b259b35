"""An erasure request leaves no personal data of the lead in any service's database, and none in the logs."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy import text

from leadrelay.db.engine import create_engine
from leadrelay.devkit.testing.kafka import TopicReader
from leadrelay.devkit.testing.waiting import wait_until
from leadrelay.settings import PostgresSettings

pytestmark = pytest.mark.system

API = {"X-API-Key": "system-test-api-key-0123"}  # as configured by conftest

VIEWER = {"X-API-Key": "system-test-viewer-key-0123"}  # as configured by conftest


async def traces_of(system, infra, needles: list[str]) -> dict[str, int]:
    """Count rows, per database and table, whose text (or bytes, as hex) contains any needle."""
    found: dict[str, int] = {}
    server = PostgresSettings(dsn=infra.postgres_dsn)
    for spec_name, service in system.stack.services.items():
        database = service.env[f"{service.spec.env_prefix}DATABASE"]
        engine = create_engine(server.database_url(database))
        try:
            async with engine.connect() as conn:
                tables = [
                    r[0]
                    for r in await conn.execute(
                        text("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
                    )
                ]
                for table in tables:
                    for needle in needles:
                        hexed = needle.encode().hex()
                        count = await conn.scalar(
                            text(
                                f'SELECT count(*) FROM "{table}" t WHERE t::text ILIKE :p OR t::text ILIKE :h'
                            ),
                            {"p": f"%{needle}%", "h": f"%{hexed}%"},
                        )
                        if count:
                            found[f"{spec_name}.{table}"] = found.get(f"{spec_name}.{table}", 0) + int(count)
        finally:
            await engine.dispose()
    return found


async def test_erasure_reaches_every_copy(system, infra, unique):
    email = f"erase.me.{unique}@example.com"
    person = {
        "email": email,
        "name": f"Eraseable {unique}",
        "phone": "+44 20 7946 0123",
        "company": "Forget Ltd",
        "company_size": "1000+",
        "source": "referral",
        "title": "CTO",
        "message": f"call me {unique}",
    }
    needles = [email, person["name"], "+442079460123", person["message"]]
    log_sizes = {name: s.log_path.stat().st_size for name, s in system.stack.services.items()}
    async with httpx.AsyncClient(timeout=10, headers=API) as http:
        posted = await http.post(system.url("capture") + "/v1/leads", json=person)
        lead_id = posted.json()["lead_id"]
        async with TopicReader(system.kafka.bootstrap_servers, system.kafka.topics.qualified) as reader:
            await reader.wait_for(1, timeout_s=60)
        await wait_until(lambda: _metrics_saw(http, system), what="metrics counted the handoff")
        before = await traces_of(system, infra, needles)
        assert {"capture.leads", "scoring.outbox", "routing.outbox"} <= set(before)  # copies exist ...

        erased = await http.post(system.url("capture") + "/v1/erasure-requests", json={"email": email})
        assert erased.status_code == 202 and erased.json() == {"erased_lead_ids": [lead_id]}

        async def nothing_left() -> bool:
            return await traces_of(system, infra, needles) == {}

        await wait_until(
            nothing_left, what="no personal data left anywhere", timeout_s=60
        )  # ... and are gone
        again = await http.post(system.url("capture") + "/v1/erasure-requests", json={"lead_id": lead_id})
        assert again.json() == {"erased_lead_ids": []}
    for name, service in system.stack.services.items():
        with service.log_path.open("rb") as fh:
            fh.seek(log_sizes[name])
            written = fh.read().decode(errors="replace")
        assert email not in written, f"{name} logged the email"


async def _metrics_saw(http: httpx.AsyncClient, system) -> bool:
    totals = (await http.get(system.url("metrics") + "/v1/kpis", headers=VIEWER)).json()["totals"]
    return totals.get("handed_off", 0) >= 1
