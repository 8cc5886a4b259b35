"""Capture on a fresh database and topic prefix, with a backend API key and the demo form."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from sqlalchemy import text

from leadrelay.capture.bootstrap import MIGRATIONS
from leadrelay.capture.settings import CaptureSettings
from leadrelay.db.engine import create_engine
from leadrelay.db.provision import drop_database
from leadrelay.devkit.devstack import SERVICES, ServiceProcess, service_env
from leadrelay.devkit.infra.net import free_port
from leadrelay.settings import KafkaSettings, PostgresSettings

API_KEY = "test-api-key-0123456789"
ADMIN_KEY = "test-admin-key-0123456789"
DEMO_KEY = "pk_demo_2c8f1b7e4a9d4f00"
DEMO_ORIGIN = "http://127.0.0.1:8001"


@pytest.fixture
async def settings(create_database, kafka_settings, postgres_settings) -> CaptureSettings:
    database = await create_database("capture", MIGRATIONS)
    return CaptureSettings(
        database=database,
        kafka=kafka_settings,
        postgres=postgres_settings,
        outbox_poll_interval_s=0.2,
        api_keys=[API_KEY],
        admin_keys=[ADMIN_KEY],
        demo=True,
        demo_form_key=DEMO_KEY,
    )


async def scalar(settings: CaptureSettings, sql: str) -> object:
    """Run one query against capture's database and return the first column of the first row."""
    engine = create_engine(settings.database_url)
    try:
        async with engine.connect() as conn:
            return await conn.scalar(text(sql))
    finally:
        await engine.dispose()


@dataclass
class CaptureProcess:
    """Capture running as its own process; where it listens and what it writes to."""

    url: str
    database_url: str
    kafka: KafkaSettings


@pytest.fixture(scope="module")
def capture_process(infra, tmp_path_factory) -> Iterator[CaptureProcess]:
    """Capture as its own process on the real broker and PostgreSQL, with limits a fuzzer can live with."""
    unique = uuid.uuid4().hex[:10]
    database = f"lrt_proc_capture_{unique}"
    prefix = f"p{unique}."
    env = service_env(
        infra.bootstrap_servers,
        infra.postgres_dsn,
        LEADRELAY_KAFKA_TOPIC_PREFIX=prefix,
        LEADRELAY_CAPTURE_DATABASE=database,
        LEADRELAY_CAPTURE_API_KEYS="process-api-key-0123456789",
        LEADRELAY_CAPTURE_DEMO="true",
        LEADRELAY_CAPTURE_DEMO_FORM_KEY=DEMO_KEY,
        LEADRELAY_CAPTURE_RATE_LIMIT_PER_IP="1000000/minute",
        LEADRELAY_CAPTURE_RATE_LIMIT_PER_FORM="1000000/minute",
        LEADRELAY_CAPTURE_LOG_LEVEL="WARNING",
        LEADRELAY_CAPTURE_OUTBOX_POLL_INTERVAL_S="0.2",
    )
    spec = next(s for s in SERVICES if s.name == "capture")
    process = ServiceProcess(spec, env, tmp_path_factory.mktemp("capture-logs"), port=free_port())
    process.start()
    try:
        process.wait_ready(60)
        yield CaptureProcess(
            process.url,
            PostgresSettings(dsn=infra.postgres_dsn).database_url(database),
            KafkaSettings(bootstrap_servers=infra.bootstrap_servers, topic_prefix=prefix),
        )
    finally:
        process.stop()
        asyncio.run(drop_database(infra.postgres_dsn, database))
