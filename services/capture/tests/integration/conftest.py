"""Capture on a fresh database and topic prefix, with a backend API key and the demo form."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from leadrelay.capture.bootstrap import MIGRATIONS
from leadrelay.capture.settings import CaptureSettings
from leadrelay.db.engine import create_engine

API_KEY = "test-api-key-0123456789"
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
    )


async def scalar(settings: CaptureSettings, sql: str) -> object:
    """Run one query against capture's database and return the first column of the first row."""
    engine = create_engine(settings.database_url)
    try:
        async with engine.connect() as conn:
            return await conn.scalar(text(sql))
    finally:
        await engine.dispose()
