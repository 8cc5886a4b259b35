"""Which failures restart a consumer (redelivery) instead of dead-lettering the message."""

from __future__ import annotations

import asyncpg
import pytest
from sqlalchemy.exc import DBAPIError

from leadrelay.kafka.errors import is_transient


def wrapped_like_sqlalchemy(driver_error: Exception) -> DBAPIError:
    """A driver error as SQLAlchemy's asyncpg dialect raises it: DBAPIError -> adapter error -> asyncpg."""
    try:
        try:
            raise driver_error
        except Exception as inner:
            raise RuntimeError(str(inner)) from inner
    except RuntimeError as adapted:
        return DBAPIError("SELECT 1", {}, adapted)


@pytest.mark.parametrize(
    "driver_error",
    [
        asyncpg.exceptions.AdminShutdownError("the database system is shutting down"),
        asyncpg.exceptions.CannotConnectNowError("the database system is starting up"),
        asyncpg.exceptions.DeadlockDetectedError("deadlock detected"),
        asyncpg.exceptions.SerializationError("could not serialize access"),
    ],
)
def test_a_database_that_says_try_later_is_transient_however_deeply_wrapped(driver_error):
    assert is_transient(wrapped_like_sqlalchemy(driver_error))


@pytest.mark.parametrize(
    "driver_error",
    [
        asyncpg.exceptions.StringDataRightTruncationError("value too long for type character varying(36)"),
        asyncpg.exceptions.UniqueViolationError("duplicate key"),
    ],
)
def test_a_bad_message_is_not_transient(driver_error):
    assert not is_transient(wrapped_like_sqlalchemy(driver_error))
    assert not is_transient(ValueError("handler bug"))


def test_a_bug_raised_while_handling_a_connection_error_is_not_transient():
    from leadrelay.kafka.errors import is_transient

    try:
        try:
            raise ConnectionError("database went away")
        except ConnectionError:
            raise KeyError("a bug in the fallback")  # noqa: B904 - the context, not the cause
    except KeyError as bug:
        assert not is_transient(bug)
    try:
        try:
            raise ConnectionError("database went away")
        except ConnectionError as cause:
            raise RuntimeError("wrapped") from cause
    except RuntimeError as wrapped:
        assert is_transient(wrapped)
