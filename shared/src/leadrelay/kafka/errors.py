"""Telling transient infrastructure failures from bad messages."""

from __future__ import annotations

import asyncpg
from aiokafka.errors import KafkaError
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError

from leadrelay.kafka.producer import ProducerUnavailable


def is_transient(exc: BaseException) -> bool:
    """Return True when retrying later (not dead-lettering) is the right answer."""
    if isinstance(exc, DBAPIError) and exc.connection_invalidated:
        return True
    transient = (
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
    if isinstance(exc, transient):
        return True
    cause = exc.__cause__ or exc.__context__
    return cause is not None and cause is not exc and isinstance(cause, transient)
