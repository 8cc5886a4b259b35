"""The metrics service's integration fixtures: its settings and a publisher (the scripted leads are in
tests/conftest.py)."""

from __future__ import annotations

import pytest

from leadrelay.devkit.testing.kafka import produce
from leadrelay.devkit.testing.keys import role_keys
from leadrelay.events import EVENT_TYPES, Envelope, encode
from leadrelay.metrics.bootstrap import MIGRATIONS
from leadrelay.metrics.settings import MetricsSettings

ADMIN_KEY = "test-admin-key-0123456789"


@pytest.fixture
async def settings(create_database, kafka_settings, postgres_settings) -> MetricsSettings:
    database = await create_database("metrics", MIGRATIONS)
    return MetricsSettings(database=database, kafka=kafka_settings, postgres=postgres_settings, **role_keys())


@pytest.fixture
def publish(settings: MetricsSettings):
    """Produce events, each to its topic, keyed by lead."""

    async def send(events: list[Envelope]) -> None:
        for event in events:
            topic = settings.kafka.topics.name(EVENT_TYPES[event.type].topic)
            await produce(settings.kafka.bootstrap_servers, topic, encode(event), key=event.subject)

    return send
