"""A transaction on a pooled connection's asyncpg driver, for hot paths that skip SQLAlchemy's execution."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import asyncpg
from sqlalchemy.ext.asyncio import AsyncEngine

# Errors after which the connection itself is suspect (broken socket, server gone or shutting down).
CONNECTION_ERRORS = (asyncpg.InterfaceError, asyncpg.PostgresConnectionError, OSError)


@asynccontextmanager
async def driver_transaction(engine: AsyncEngine) -> AsyncIterator[asyncpg.Connection]:
    """Yield the asyncpg connection of a pooled connection inside a transaction that commits on exit.

    The connection keeps SQLAlchemy's codecs (jsonb goes in as JSON text and comes out decoded). One that
    failed at the connection level is invalidated, so the pool never hands it out again.
    """
    async with engine.connect() as pooled:
        raw = await pooled.get_raw_connection()
        conn: asyncpg.Connection = raw.driver_connection  # type: ignore[assignment]
        try:
            async with conn.transaction():
                yield conn
        except CONNECTION_ERRORS:
            await pooled.invalidate()
            raise
