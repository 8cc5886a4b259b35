"""Async engine construction."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pydantic_core
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine

# Every statement is planned for its own parameters. The hot statements are prepared once per connection and
# take their keys as one array (`= ANY($1)`): PostgreSQL's generic plan for those is chosen once, often while a
# table is still nearly empty, and then kept a sequential scan as the table grows (at 200 leads/s that made
# PostgreSQL the busiest process on the machine). Planning these small statements costs far less.
SERVER_SETTINGS = {"plan_cache_mode": "force_custom_plan"}


@dataclass(frozen=True)
class ConnectionLimits:
    """How long a service waits on its database before giving up (None: the driver's defaults, for tools)."""

    statement_timeout_ms: int = 30_000
    command_timeout_s: float = 35.0
    connect_timeout_s: float = 5.0
    pool_timeout_s: float = 5.0


def create_engine(url: str, pool_size: int = 10, limits: ConnectionLimits | None = None) -> AsyncEngine:
    """Create an asyncpg engine; after a database restart the first failed use invalidates the whole pool."""
    # No pre-ping: it cost a round trip per transaction. A dead connection fails as a transient error instead
    # (consumers restart and redeliver, APIs answer 503), and SQLAlchemy then recycles every pooled connection.
    connect_args: dict[str, Any] = {"server_settings": dict(SERVER_SETTINGS)}
    pool_args: dict[str, Any] = {}
    if limits is not None:
        connect_args["server_settings"]["statement_timeout"] = str(limits.statement_timeout_ms)
        connect_args["command_timeout"] = limits.command_timeout_s
        connect_args["timeout"] = limits.connect_timeout_s
        pool_args["pool_timeout"] = limits.pool_timeout_s
    return create_async_engine(
        url,
        pool_size=pool_size,
        max_overflow=pool_size,
        json_serializer=json_text,
        connect_args=connect_args,
        **pool_args,
    )


def json_text(value: Any) -> str:
    """Serialise a JSON column's value in pydantic-core (the json module took a few percent of each consumer)."""
    return pydantic_core.to_json(value).decode()


def session_factory(engine: AsyncEngine) -> async_sessionmaker:
    """Return a session factory whose objects stay usable after commit."""
    return async_sessionmaker(engine, expire_on_commit=False)
