"""Pytest fixtures on real infrastructure: one broker and PostgreSQL server per run, fresh topics and
databases per test (loaded with `-p leadrelay.devkit.testing.plugin`)."""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from leadrelay.db.engine import create_engine
from leadrelay.db.migrations import upgrade
from leadrelay.db.provision import drop_database, ensure_database
from leadrelay.devkit.infra.resolve import Infrastructure, resolve_infrastructure
from leadrelay.settings import KafkaSettings, PostgresSettings

# Training's OpenMP threads spin while they wait for a core; beside the broker and PostgreSQL on two cores that
# made one training test ten times slower. One thread per training is as fast here, in-process and in the
# CLI subprocesses (which inherit it). Set before scikit-learn loads its OpenMP runtime.
os.environ.setdefault("OMP_NUM_THREADS", "1")
# CI runs the suite on Apache Kafka: a machine without Java or Maven fails there at once, not on Tansu quietly.
if os.environ.get("CI") == "true":
    os.environ.setdefault("LEADRELAY_DEV_BROKER", "kafka")

CreateDatabase = Callable[[str, Path], Awaitable[str]]
OpenDatabase = Callable[[str, Path], Awaitable[AsyncEngine]]


@pytest.fixture(scope="session")
def infra(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Infrastructure]:
    """The broker and PostgreSQL server of this run: configured, containers, or embedded."""
    resolved = resolve_infrastructure(tmp_path_factory.mktemp("infra"))
    yield resolved
    resolved.close()


@pytest.fixture
def unique() -> str:
    """A short random suffix for this test's topics, groups and databases."""
    return uuid.uuid4().hex[:10]


@pytest.fixture
def kafka_settings(infra: Infrastructure, unique: str) -> KafkaSettings:
    """Kafka settings whose topics are this test's own (a unique prefix)."""
    return KafkaSettings(
        bootstrap_servers=infra.bootstrap_servers,
        topic_prefix=f"t{unique}.",
        session_timeout_ms=3000,
        heartbeat_interval_ms=500,
    )


@pytest.fixture
def postgres_settings(infra: Infrastructure) -> PostgresSettings:
    """The PostgreSQL server of this run."""
    return PostgresSettings(dsn=infra.postgres_dsn)


@pytest.fixture
async def create_database(infra: Infrastructure, unique: str) -> AsyncIterator[CreateDatabase]:
    """Create migrated databases for this test (dropped afterwards); returns the database name."""
    created: list[str] = []

    async def create(service: str, migrations: Path) -> str:
        name = f"lrt_{service.replace('-', '_')}_{unique}_{len(created)}"
        await ensure_database(infra.postgres_dsn, name)
        created.append(name)
        url = PostgresSettings(dsn=infra.postgres_dsn).database_url(name)
        await asyncio.to_thread(upgrade, url, migrations)
        return name

    yield create
    for name in created:
        await drop_database(infra.postgres_dsn, name)


@pytest.fixture
async def open_database(
    create_database: CreateDatabase, postgres_settings: PostgresSettings
) -> AsyncIterator[OpenDatabase]:
    """Create a migrated database for this test and return an engine on it (disposed afterwards)."""
    engines: list[AsyncEngine] = []

    async def open_(service: str, migrations: Path) -> AsyncEngine:
        engines.append(
            create_engine(postgres_settings.database_url(await create_database(service, migrations)))
        )
        return engines[-1]

    yield open_
    for engine in engines:
        await engine.dispose()


async def rows(engine: AsyncEngine, sql: str) -> list[tuple]:
    """Run a query and return its rows as tuples (for assertions on what a handler stored)."""
    async with engine.connect() as conn:
        return [tuple(row) for row in await conn.execute(text(sql))]
