"""Alembic, driven from code: each service's migrations/env.py calls run_env()."""

from __future__ import annotations

import asyncio
from pathlib import Path

from alembic import command, context
from alembic.config import Config
from sqlalchemy import MetaData, pool
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import create_async_engine

from leadrelay.db.tables import DROP_TRIGGER_SQL, NOTIFY_TRIGGER_SQL, messaging_tables


def upgrade(database_url: str, script_location: Path, revision: str = "head") -> None:
    """Migrate a database to `revision` (blocking; run it in a thread from async code)."""
    config = Config()
    config.set_main_option("script_location", str(script_location))
    config.attributes["database_url"] = database_url
    command.upgrade(config, revision)


def run_env(target_metadata: MetaData) -> None:
    """Body of a service's env.py: run migrations online against the configured database."""
    url = context.config.attributes.get("database_url") or context.config.get_main_option("sqlalchemy.url")
    if context.is_offline_mode():
        context.configure(url=url, target_metadata=target_metadata, literal_binds=True)
        with context.begin_transaction():
            context.run_migrations()
        return
    asyncio.run(_run_online(str(url), target_metadata))


async def _run_online(url: str, target_metadata: MetaData) -> None:
    engine = create_async_engine(url, poolclass=pool.NullPool)
    async with engine.connect() as conn:
        await conn.run_sync(_migrate, target_metadata)
        await conn.commit()
    await engine.dispose()


def _migrate(conn: Connection, target_metadata: MetaData) -> None:
    context.configure(connection=conn, target_metadata=target_metadata)
    with context.begin_transaction():
        context.run_migrations()


def create_messaging_tables() -> None:
    """Create the outbox (with its NOTIFY trigger) and inbox tables inside a migration."""
    from alembic import op

    metadata = MetaData()
    messaging_tables(metadata)
    metadata.create_all(op.get_bind())
    for statement in NOTIFY_TRIGGER_SQL:
        op.execute(statement)


def drop_messaging_tables() -> None:
    """Drop what create_messaging_tables created."""
    from alembic import op

    for statement in DROP_TRIGGER_SQL:
        op.execute(statement)
    op.drop_table("inbox")
    op.drop_table("outbox")
