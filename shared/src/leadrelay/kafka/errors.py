"""Telling transient infrastructure failures from bad messages."""

from __future__ import annotations

import asyncpg
from aiokafka.errors import KafkaError
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError

from leadrelay.kafka.producer import ProducerUnavailable

_TRANSIENT_TYPES = (
    OperationalError,
    InterfaceError,
    ConnectionError,
    OSError,
    TimeoutError,
    asyncpg.PostgresConnectionError,
    asyncpg.CannotConnectNowError,
    asyncpg.InterfaceError,
    KafkaError,
    ProducerUnavailable,
)
# PostgreSQL error classes that say "try again later", not "this message is bad": connection exceptions (08),
# transaction rollbacks such as deadlocks and serialization failures (40), insufficient resources (53) and
# operator intervention such as a shutting-down or starting server (57).
_TRANSIENT_SQLSTATE_CLASSES = ("08", "40", "53", "57")


def is_transient(exc: BaseException) -> bool:
    """Return True when retrying later (not dead-lettering) is the right answer."""
    for error in _causes(exc):
        if isinstance(error, DBAPIError) and error.connection_invalidated:
            return True
        if isinstance(error, _TRANSIENT_TYPES):
            return True
        sqlstate = getattr(error, "sqlstate", None)
        if isinstance(sqlstate, str) and sqlstate[:2] in _TRANSIENT_SQLSTATE_CLASSES:
            return True
    return False


def _causes(exc: BaseException, depth: int = 6) -> list[BaseException]:
    """The error and what it wraps: SQLAlchemy wraps the driver adapter's error, which wraps asyncpg's.

    Only the cause chain counts, never __context__: a bug raised while handling a connection error is a bug."""
    chain: list[BaseException] = []
    error: BaseException | None = exc
    while error is not None and error not in chain and len(chain) < depth:
        chain.append(error)
        error = getattr(error, "orig", None) or error.__cause__
    return chain
