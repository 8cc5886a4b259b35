"""A throwaway database with the messaging tables plus an `items` table for handler side effects."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest
from sqlalchemy import Column, MetaData, String, Table, text
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker

from leadrelay.db.engine import create_engine, session_factory
from leadrelay.db.provision import drop_database, ensure_database
from leadrelay.db.tables import NOTIFY_TRIGGER_SQL, messaging_tables
from leadrelay.db.uow import UnitOfWork


@dataclass
class MessagingDb:
    engine: AsyncEngine
    sessions: async_sessionmaker
    outbox: Table
    inbox: Table
    items: Table

    def uow(self) -> UnitOfWork:
        return UnitOfWork(self.sessions, self.outbox, self.inbox)

    async def item_ids(self) -> list[str]:
        async with self.engine.connect() as conn:
            return [r[0] for r in await conn.execute(text("SELECT id FROM items ORDER BY id"))]


@pytest.fixture
async def messaging_db(infra, postgres_settings, unique) -> AsyncIterator[MessagingDb]:
    name = f"lrt_shared_{unique}"
    await ensure_database(infra.postgres_dsn, name)
    metadata = MetaData()
    outbox, inbox = messaging_tables(metadata)
    items = Table("items", metadata, Column("id", String(100), primary_key=True))
    engine = create_engine(postgres_settings.database_url(name))
    async with engine.begin() as conn:
        await conn.run_sync(metadata.create_all)
        for statement in NOTIFY_TRIGGER_SQL:
            await conn.execute(text(statement))
    yield MessagingDb(engine, session_factory(engine), outbox, inbox, items)
    await engine.dispose()
    await drop_database(infra.postgres_dsn, name)
